#!/usr/bin/env bash
# On a GPU machine, with gpu-bundle/ from scripts/gpu-bundle.sh in this tree:
# runs the model and element test suites (the CUDA tests among them) and
# benchmarks/gpu.sh against that machine's PyTorch, which must be the version
# the bundle was built against. Exits non-zero if any of them failed.
#
#   scripts/gpu-check.sh [FRAMES] [STEPS]     (passed to benchmarks/gpu.sh)
set -uo pipefail
cd "$(dirname "$0")/.."
bundle=$PWD/gpu-bundle
if [ ! -f "$bundle/libtorch-runpath" ]; then
  echo "gpu-check.sh: no gpu-bundle/ here; make it with scripts/gpu-bundle.sh on the build machine" >&2
  exit 1
fi
site=$(python3 -c 'import os, torch; print(os.path.dirname(os.path.dirname(torch.__file__)))') || exit 1
# The binaries look for LibTorch, and for the source tree, where the build
# machine had them; link this machine's there when they are missing.
link_if_missing() { [ -e "$2" ] || { mkdir -p "$(dirname "$2")" && ln -s "$1" "$2"; }; }
runpath=$(cat "$bundle/libtorch-runpath")
link_if_missing "$site" "${runpath%/torch/lib}"
link_if_missing "$PWD" "$(cat "$bundle/source-dir")"

nvidia-smi -L
python3 -c 'import torch; print("PyTorch", torch.__version__, "CUDA", torch.version.cuda)'
# The safetensors interop test's Python, with this machine's libraries rather than the bundle's.
printf '#!/bin/sh\nLD_LIBRARY_PATH="%s" exec "%s" "$@"\n' "${LD_LIBRARY_PATH:-}" "$(command -v python3)" \
  > "$bundle/bin/python3-for-tests"
chmod +x "$bundle/bin/python3-for-tests"
export GNCYCLEGAN_PYTHON=$bundle/bin/python3-for-tests

export LD_LIBRARY_PATH=$bundle/lib:$site/nvidia/cu13/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export PATH=$bundle/bin:$PATH
export GST_PLUGIN_SYSTEM_PATH=$bundle/gstreamer-1.0 GST_PLUGIN_SCANNER=$bundle/bin/gst-plugin-scanner
export GST_PLUGIN_PATH=$bundle/build-cuda/plugin GST_REGISTRY_1_0=$bundle/registry.bin
status=0
"$bundle/build-cuda/tests/model-tests" || status=1
# The pipelines/ scripts need plugins (encoders, muxers, RTSP) the bundle leaves out.
"$bundle/build-cuda/tests/element-tests" --gtest_filter='-Pipelines.*' || status=1
# The README's pipelines with the bundled default model, on the GPU (device auto).
for ending in "" "! video/x-raw,format=BGRx"; do
  GST_DEBUG=gncycleganir:4 gst-launch-1.0 videotestsrc num-buffers=60 ! video/x-raw,format=YUY2,width=640,height=480 \
    ! gncycleganir $ending ! fakesink 2>&1 | grep -E "loaded|warmed up|ERROR|Execution ended" || status=1
done
BUILD_DIR=gpu-bundle/build-cuda benchmarks/gpu.sh "$@" || status=1
exit $status
