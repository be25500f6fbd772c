#!/usr/bin/env bash
# Makes (or reuses) a Python environment holding PyPI's OpenVINO wheel, whose
# C++ runtime (libopenvino.so, headers, OpenVINOConfig.cmake) the OpenVINO CPU
# backend builds and runs against; outside the source tree so every clone
# shares it. Prints the directory holding OpenVINOConfig.cmake on its last line
# (give it to meson as -Dopenvino_dir).
#
#   scripts/openvino-env.sh              make it if needed
#   scripts/openvino-env.sh --if-present print it only if it is already complete
#   GNCYCLEGAN_OPENVINO_ENV   where it lives (default ~/.cache/gncycleganir/openvino-<version>)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=2026.4.1  # pinned: the wheel is Intel's Python package, its C++ API is used as shipped
env=${GNCYCLEGAN_OPENVINO_ENV:-${XDG_CACHE_HOME:-$HOME/.cache}/gncycleganir/openvino-$version}
cmake_dir() { echo "$(find "$env/lib" -maxdepth 3 -type d -name site-packages | head -n 1)/openvino/cmake"; }

if [ "${1:-}" = "--if-present" ]; then
  [ -f "$env/.complete" ] && cmake_dir
  exit 0
fi
if [ ! -f "$env/.complete" ]; then
  "$here/install-deps.sh" --venv
  echo "Installing OpenVINO $version into $env ..." >&2
  rm -rf "$env"
  mkdir -p "$(dirname "$env")"
  python3 -m venv "$env"
  # The runtime only: its Python dependencies (numpy, ...) are not needed.
  "$env/bin/pip" install --quiet --disable-pip-version-check --no-deps "openvino==$version" >&2
  [ -f "$(cmake_dir)/OpenVINOConfig.cmake" ] || { echo "openvino-env.sh: the wheel holds no OpenVINOConfig.cmake" >&2; exit 1; }
  touch "$env/.complete"
fi
cmake_dir
