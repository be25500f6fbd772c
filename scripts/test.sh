#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test.
#
#   scripts/test.sh [MESON_OPTION ...]   options go to `meson setup` (BUILD_DIR, default build/)
#   GNCYCLEGAN_OPENVINO=0 scripts/test.sh -Dopenvino=disabled   the same without the OpenVINO backend
#
# The safetensors interop tests run when GNCYCLEGAN_PYTHON names a Python with
# safetensors and numpy, or when scripts/python-env.sh has made its environment;
# elsewhere they are skipped, and the test output says so.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

if [ -z "${GNCYCLEGAN_PYTHON:-}" ]; then
  venv=$(scripts/python-env.sh --if-present)
  [ -n "$venv" ] && export GNCYCLEGAN_PYTHON="$venv/bin/python"
fi

build=${BUILD_DIR:-build}
scripts/configure.sh "$build" "$@"
ninja -C "$build"
status=0
# One suite at a time: each already uses every core (LibTorch's OpenMP threads).
# Two at once on a 2-core machine oversubscribe them: against PyPI's LibTorch the
# trainer suite, 4.5 minutes alone, ran past its 20-minute timeout.
meson test -C "$build" --print-errorlogs --num-processes 1 || status=$?
python3 scripts/test-summary.py "$build" "$(basename "$build")" || status=$((status ? status : 1))
exit "$status"
