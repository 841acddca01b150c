#!/usr/bin/env bash
# `make security`: installs the pinned scanners into .venv-security (once), then runs
# scripts/security.py (wapiti + sqlmap against a local server; see its docstring).
set -euo pipefail
cd "$(dirname "$0")/.."
REQUIREMENTS=scripts/security-requirements.txt
SEC=.venv-security

if [ ! -f "$SEC/.installed" ] || [ "$REQUIREMENTS" -nt "$SEC/.installed" ]; then
  # wapiti 3.3 needs Python >= 3.12; take the newest interpreter that runs (pyenv shims
  # may name versions that aren't installed), else the pinned wapiti for 3.11.
  PY=""
  PYENV_PYTHONS=$(ls -d "$(pyenv root 2>/dev/null || echo /nonexistent)"/versions/3.1[234]*/bin/python3 2>/dev/null | sort -rV || true)
  for candidate in python3.14 python3.13 python3.12 $PYENV_PYTHONS python3.11 python3; do
    if "$candidate" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
      PY=$candidate; break
    fi
  done
  [ -n "$PY" ] || { echo "No Python >= 3.11 found for the scanners." >&2; exit 1; }
  echo "Installing wapiti and sqlmap into $SEC with $($PY --version)."
  rm -rf "$SEC"
  "$PY" -m venv "$SEC"
  "$SEC/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
  touch "$SEC/.installed"
fi

exec .venv/bin/python scripts/security.py "$@"
