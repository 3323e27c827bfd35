#!/usr/bin/env bash
# Installs Odoo 18.0 Community next to (never inside) this project and puts `odoo` on PATH.
# Source: a clean 18.0 tree in $ODOO_SRC, else the fetched mirror's first commit (82a18140).
# Idempotent: re-running it on a ready machine only checks.
set -euo pipefail
ODOO_HOME=${ODOO_HOME:-/opt/odoo18}
ODOO_COMMIT=${ODOO_COMMIT:-82a18140}
ODOO_MIRROR=${ODOO_MIRROR:-/work/.mirror/ducminh-1+odoo-18.0/repo}
here=$(cd "$(dirname "$0")/.." && pwd)

if [ ! -x "$ODOO_HOME/odoo-bin" ]; then
  if [ -n "${ODOO_SRC:-}" ]; then
    mkdir -p "$ODOO_HOME" && cp -a "$ODOO_SRC"/. "$ODOO_HOME"/
  elif [ -d "$ODOO_MIRROR" ]; then
    mkdir -p "$ODOO_HOME"
    git --git-dir="$ODOO_MIRROR" archive "$ODOO_COMMIT" | tar -x -C "$ODOO_HOME" --exclude='custom_addons'
  else
    echo "setup_odoo: no Odoo 18.0 source (set ODOO_SRC or fetch ducminh-1/odoo-18.0)" >&2
    exit 3
  fi
fi

need_apt=()
for pkg in libldap2-dev libsasl2-dev libpq-dev chromium; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

if [ ! -x "$ODOO_HOME/venv/bin/python" ]; then
  python3 -m venv "$ODOO_HOME/venv"
fi
py="$ODOO_HOME/venv/bin/python"
if ! "$py" -c 'import odoo, websocket, aiohttp, pytest' 2>/dev/null; then
  "$py" -m pip install -q --upgrade pip 'setuptools<81' setuptools_scm wheel
  # cbor2 5.4.2 only builds with setuptools<81: build it here, without isolation.
  "$py" -m pip install -q --no-build-isolation 'cbor2==5.4.2'
  "$py" -m pip install -q -r "$ODOO_HOME/requirements.txt"
  "$py" -m pip install -q --no-deps -e "$ODOO_HOME"
  "$py" -m pip install -q -r "$here/requirements-dev.txt"
fi
ln -sf "$ODOO_HOME/venv/bin/odoo" /usr/local/bin/odoo
echo "setup_odoo: $(odoo --version) at $(command -v odoo)"
