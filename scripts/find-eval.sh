#!/usr/bin/env bash
# Prints the gncyclegan-eval binary the evaluation scripts use: the one
# GNCYCLEGAN_EVAL names, or BUILD_DIR's (default build, relative to the
# repository), brought up to date first when it is a ninja build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${GNCYCLEGAN_EVAL:-}" ]; then
  echo "$GNCYCLEGAN_EVAL"
  exit 0
fi
build=${BUILD_DIR:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
if [ -f "$build/build.ninja" ]; then
  ninja --quiet -C "$build" trainer/gncyclegan-eval >&2
elif [ ! -x "$build/trainer/gncyclegan-eval" ]; then
  echo "$0: no build in $build: run 'meson setup $build' first, or set BUILD_DIR" >&2
  exit 1
fi
echo "$build/trainer/gncyclegan-eval"
