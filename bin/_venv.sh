# Sourced by bin/demo, bin/test and .ci/run: create .venv (Python 3.11, else python3) and install the
# project into it with `pip install -e ".[$HELPDESK_EXTRAS]"` (default: dev; bin/test and .ci/run add
# ldap, which needs Debian's libldap2-dev and libsasl2-dev), again only when pyproject.toml or the
# extras have changed since.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [ ! -x .venv/bin/python ]; then
  PYTHON_BIN="${PYTHON:-$(command -v python3.11 || command -v python3 || true)}"
  if [ -z "$PYTHON_BIN" ]; then
    echo "✗ Python 3.11 is needed (python3.11 or python3 on the PATH)." >&2
    exit 1
  fi
  echo "→ Creating the virtual environment (.venv) with $("$PYTHON_BIN" --version 2>&1)"
  "$PYTHON_BIN" -m venv .venv
fi

# The stamp holds the hash of the pyproject.toml last installed from, and the extras.
HELPDESK_EXTRAS="${HELPDESK_EXTRAS:-dev}"
STAMP=.venv/.helpdesk-installed
WANTED="$(.venv/bin/python -c 'import hashlib; print(hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest())') $HELPDESK_EXTRAS"
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$WANTED" ]; then
  echo "→ Installing the helpdesk and its dependencies into .venv ([$HELPDESK_EXTRAS]; pyproject.toml changed)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[$HELPDESK_EXTRAS]"
  echo "$WANTED" >"$STAMP"
fi
export PATH="$ROOT/.venv/bin:$PATH"
