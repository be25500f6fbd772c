#!/usr/bin/env bash
# Builds and tests against a CUDA-enabled LibTorch, in build-cuda/. By default
# that LibTorch is the one inside PyPI's torch wheel (scripts/python-env.sh
# makes the environment); LIBTORCH=/path/to/libtorch (or a PyTorch install's
# torch/ directory) uses another. Needs the CUDA toolkit (/usr/local/cuda or
# CUDA_PATH). Without a GPU it compiles and links every CUDA path, and the
# GPU tests skip, saying so. It is built without the OpenVINO CPU backend.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --cuda
if [ -z "${LIBTORCH:-}" ]; then
  venv=$(scripts/python-env.sh | tail -n 1)
  LIBTORCH=$("$venv/bin/python" -c 'import os, torch; print(os.path.dirname(torch.__file__))')
  export GNCYCLEGAN_PYTHON=${GNCYCLEGAN_PYTHON:-$venv/bin/python}
fi
# Without the OpenVINO CPU backend: CUDA runs on LibTorch, and this is also
# the suite's run of a build without OpenVINO.
BUILD_DIR=build-cuda GNCYCLEGAN_OPENVINO=0 scripts/test.sh -Dlibtorch="$LIBTORCH" -Dcuda=enabled -Dopenvino=disabled
# The benchmarks are not built by default; here they are, so that every path
# compiles against CUDA.
ninja -C build-cuda benchmarks/bench-train-step benchmarks/bench-forward benchmarks/bench-element benchmarks/bench-backends
