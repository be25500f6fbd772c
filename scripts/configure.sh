#!/usr/bin/env bash
# Configures a build directory (once; again when options are given), with the
# OpenVINO CPU backend from scripts/openvino-env.sh unless
# GNCYCLEGAN_OPENVINO=0. The other scripts build through it.
#
#   scripts/configure.sh BUILD_DIR [MESON_OPTION ...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=$1
shift
openvino=()
if [ "${GNCYCLEGAN_OPENVINO:-1}" != 0 ]; then
  openvino=(-Dopenvino=enabled "-Dopenvino_dir=$(scripts/openvino-env.sh | tail -n 1)")
fi
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "${openvino[@]}" "$@"
elif [ $# -gt 0 ]; then
  meson setup --reconfigure "$build" "$@"
fi
