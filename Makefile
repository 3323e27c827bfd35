# pos_orderweb: demo, tests, benchmark, deployment proof, against the Odoo 18.0 or 19.0 you have:
# ODOO_BIN if set, else `odoo` on PATH (tools/odoo_env.py derives its Python and addons path).
# PostgreSQL from the usual PG* variables (a superuser role other than `postgres`;
# default 127.0.0.1, role root).
ODOO_ENV = found=$$(python3 tools/odoo_env.py) && eval "$$found"

.PHONY: demo test test-fast bench prove

demo:  ## stand-in + demo database + POS session + Odoo on localhost:8069, orders flowing
	@$(ODOO_ENV) && "$$ODOO_PYTHON" tools/demo.py

test:  ## every test of the addon (the CI script, about 30 min); fails at the end when no Odoo was found
	bash .ci/run
	@python3 tools/odoo_env.py >/dev/null

test-fast:  ## before each commit (under 10 min): wire tests, lint, the addon's Odoo suite on each series
	bash .ci/run --fast
	@python3 tools/odoo_env.py >/dev/null

bench:  ## frame -> committed POS order on real Odoo servers, seen from outside (bench/bench_server.py)
	@$(ODOO_ENV) && "$$ODOO_PYTHON" bench/bench_server.py

prove:  ## one WebSocket and takeover across real server processes (threaded, prefork, two servers)
	@$(ODOO_ENV) && "$$ODOO_PYTHON" tools/prove_deployments.py
