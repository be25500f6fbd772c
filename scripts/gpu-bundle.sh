#!/usr/bin/env bash
# Packs the CUDA build for a GPU machine that has PyTorch (the version pinned in
# scripts/requirements-python-env.txt) but neither GStreamer nor build tools,
# such as an offline GPU server: build-cuda's model and element tests, the
# benchmark programs and the plugin, with this machine's GStreamer runtime
# (its libraries, the coreelements, videotestsrc and nvcodec plugins, gst-launch-1.0,
# gst-inspect-1.0 and the plugin scanner), into gpu-bundle/ (git-ignored,
# about 25 MB). Copy the source tree with gpu-bundle/ in it to that machine and
# run scripts/gpu-check.sh there.
#
#   scripts/gpu-bundle.sh          (after scripts/build-cuda.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build-cuda/build.ninja ]; then
  echo "gpu-bundle.sh: build-cuda/ is not configured; run scripts/build-cuda.sh first" >&2
  exit 1
fi
ninja --quiet -C build-cuda tests/model-tests tests/element-tests benchmarks/bench-forward benchmarks/bench-element \
  benchmarks/bench-train-step plugin/libgstgncycleganir.so
rm -rf gpu-bundle
mkdir -p gpu-bundle/build-cuda/{tests,benchmarks,plugin} gpu-bundle/{bin,lib,gstreamer-1.0}
cp build-cuda/tests/{model-tests,element-tests} gpu-bundle/build-cuda/tests/
cp build-cuda/benchmarks/bench-{forward,element,train-step} gpu-bundle/build-cuda/benchmarks/
cp build-cuda/plugin/libgstgncycleganir.so gpu-bundle/build-cuda/plugin/
plugins=$(pkg-config --variable=pluginsdir gstreamer-1.0)
cp "$plugins"/libgst{coreelements,videotestsrc}.so gpu-bundle/gstreamer-1.0/
# NVIDIA's elements (cudaupload, cudadownload), for the CUDA memory test.
[ ! -f "$plugins/libgstnvcodec.so" ] || cp "$plugins/libgstnvcodec.so" gpu-bundle/gstreamer-1.0/
cp "$(command -v gst-launch-1.0)" "$(command -v gst-inspect-1.0)" \
  "$(pkg-config --variable=pluginscannerdir gstreamer-1.0)/gst-plugin-scanner" gpu-bundle/bin/
# Every library they load except LibTorch and CUDA's (the GPU machine's own
# PyTorch provides those) and the C and C++ runtimes.
for file in gpu-bundle/build-cuda/*/* gpu-bundle/gstreamer-1.0/* gpu-bundle/bin/*; do ldd "$file"; done |
  awk '$3 ~ /^\// { print $3 }' | sort -u |
  grep -v -E '/torch/lib/|/nvidia/|/(libc|libm|libdl|librt|libpthread|libutil|libstdc\+\+|libgcc_s|libcudart)\.so|ld-linux' |
  xargs cp -L -t gpu-bundle/lib/
# Where the binaries look for LibTorch (their RUNPATH) and for the source tree
# (compiled in): gpu-check.sh makes both paths exist on the GPU machine.
readelf -d build-cuda/tests/model-tests | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p' > gpu-bundle/libtorch-runpath
echo "$PWD" > gpu-bundle/source-dir
du -sh gpu-bundle
