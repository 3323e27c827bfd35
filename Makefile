# pos_orderweb: one-command demo, tests, benchmark. PostgreSQL must be running
# (PGHOST/PGUSER: a superuser role other than `postgres`, default 127.0.0.1/root).
ODOO_HOME ?= /opt/odoo18
PY := $(ODOO_HOME)/venv/bin/python
# Odoo finds an addon by its directory name: this checkout is linked there as pos_orderweb.
OW_ADDONS ?= $(HOME)/.cache/pos_orderweb/addons
export ODOO_HOME OW_ADDONS

.PHONY: demo test bench prove odoo

odoo:  ## install Odoo 18.0 next to this project (idempotent), link the addon
	bash tools/setup_odoo.sh
	mkdir -p $(OW_ADDONS) && ln -sfn $(CURDIR) $(OW_ADDONS)/pos_orderweb

demo: odoo  ## stand-in + demo database + POS session + Odoo on localhost:8069, orders flowing
	$(PY) tools/demo.py

test: odoo  ## every test of the addon
	bash .ci/run

bench: odoo  ## live listener figures on real Odoo (bench/bench_odoo_listener.py)
	$(PY) bench/bench_odoo_listener.py

prove: odoo  ## one WebSocket and takeover across real server processes (threaded, prefork, two servers)
	$(PY) tools/prove_deployments.py
