#!/usr/bin/env bash
# Create .venv with Python 3.10 and install the locked dependencies.
# Rasa 3.6 runs on Python 3.8-3.10 only; this project is locked for 3.10.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.9
VENV=.venv
STAMP=$VENV/.installed

is_py310() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; }

find_python() {
  if [ -n "${PYTHON:-}" ] && is_py310 "$PYTHON"; then echo "$PYTHON"; return; fi
  # A pyenv shim named python3.10 can exist without a working 3.10 behind it.
  if command -v python3.10 >/dev/null 2>&1 && is_py310 python3.10; then command -v python3.10; return; fi
  if command -v pyenv >/dev/null 2>&1; then
    for candidate in "$(pyenv root)"/versions/3.10*/bin/python; do
      if [ -x "$candidate" ] && is_py310 "$candidate"; then echo "$candidate"; return; fi
    done
  fi
  return 1
}

if [ -x "$VENV/bin/python" ] && ! is_py310 "$VENV/bin/python"; then
  echo "==> $VENV is not Python 3.10; recreating it"
  rm -rf "$VENV"
fi

if [ ! -x "$VENV/bin/python" ]; then
  if ! PY=$(find_python); then
    echo "error: Python 3.10 was not found (Rasa 3.6 needs 3.8-3.10): install it with 'pyenv install 3.10' or your system's python3.10 and python3.10-venv packages, or set PYTHON=/path/to/python3.10." >&2
    exit 1
  fi
  echo "==> creating $VENV with $PY"
  "$PY" -m venv "$VENV"
fi

if [ -f "$STAMP" ] && [ "$STAMP" -nt requirements.lock ] && [ "$STAMP" -nt requirements-dev.lock ]; then
  exit 0
fi

if ! "$VENV/bin/uv" --version 2>/dev/null | grep -q "^uv $UV_VERSION"; then
  echo "==> installing uv $UV_VERSION"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
echo "==> installing the locked dependencies (requirements.lock, requirements-dev.lock)"
# --python pins uv to this venv (it must never fetch its own interpreter).
UV_PYTHON_DOWNLOADS=never "$VENV/bin/uv" pip sync --python "$VENV/bin/python" requirements.lock requirements-dev.lock
touch "$STAMP"
echo "==> dependencies installed"
