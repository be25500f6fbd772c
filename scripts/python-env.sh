#!/usr/bin/env bash
# Makes (or reuses) the Python environment with PyPI's CUDA-enabled torch wheel,
# safetensors and numpy, outside the source tree so that every clone shares it.
# Prints the environment's directory on its last line.
#
#   scripts/python-env.sh              make it if needed
#   scripts/python-env.sh --if-present print it only if it is already complete
#   GNCYCLEGAN_VENV   where it lives (default ~/.cache/gncycleganir/venv-<pins hash>)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
requirements="$here/requirements-python-env.txt"
pins=$(grep -v '^#' "$requirements" | sha256sum | cut -c1-12)
venv=${GNCYCLEGAN_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/gncycleganir/venv-$pins}

if [ "${1:-}" = "--if-present" ]; then
  [ -f "$venv/.complete" ] && echo "$venv"
  exit 0
fi
if [ ! -f "$venv/.complete" ]; then
  "$here/install-deps.sh" --venv
  echo "Creating the Python environment in $venv (torch wheel: a few GB) ..." >&2
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2
  touch "$venv/.complete"
fi
echo "$venv"
