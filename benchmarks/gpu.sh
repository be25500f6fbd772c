#!/usr/bin/env bash
# The element and the trainer on a GPU. For the bundled compact model and the
# full paper-size model (resnet_9blocks_cbam, ngf 64, random weights: speed
# does not depend on them), at 640x480 and 1280x720, in fp32 and fp16:
#   (a) the raw LibTorch forward on the GPU (bench-forward: the input already
#       on the GPU, timed to the end of the kernels), median ms/frame;
#   (b) videotestsrc pattern=black (about 0.1 ms a frame: the source never
#       limits the rate) ! I420 ! queue ! gncycleganir device=cuda ! GRAY8 !
#       fakesink sync=false: frames/s (from the median time between frames)
#       and the element's mean per-frame latency (upload through pinned
#       memory, colour conversion, forward, download), replaying the
#       generator as a CUDA graph (the default) and op by op (cuda-graph=false);
# then gncyclegan-train's training step (bench-train-step, batch 1) on the GPU
# for the paper configuration and the compact one, gradient normalization on
# and off.
#
#   benchmarks/gpu.sh [FRAMES] [STEPS]     defaults 100 and 20
#   BUILD_DIR   a build with CUDA (default build-cuda, which scripts/build-cuda.sh makes)
set -euo pipefail
cd "$(dirname "$0")/.."
frames=${1:-100}
steps=${2:-20}
build=${BUILD_DIR:-build-cuda}
if [ -f "$build/build.ninja" ]; then
  ninja --quiet -C "$build" benchmarks/bench-forward benchmarks/bench-element benchmarks/bench-train-step \
    plugin/libgstgncycleganir.so
fi
export GST_PLUGIN_PATH=$PWD/$build/plugin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/benchmarks/bench-forward" --write-random resnet_9blocks_cbam 64 "$work/full.safetensors"

printf "GPU: %s; CPU: %s\n\n" "$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -n 1)" \
  "$(lscpu | sed -n 's/^Model name: *//p')"
printf "| model | size | precision | (a) forward ms | (a) frames/s | (b) element frames/s | (b) latency ms | (b)/(a) | (b) op by op frames/s | op by op latency ms |\n"
printf "|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n"
for row in "gncyclegan-compact models/gncyclegan-compact.safetensors" "resnet_9blocks_cbam-ngf64 $work/full.safetensors"; do
  set -- $row
  name=$1 model=$2
  for size in 640x480 1280x720; do
    width=${size%x*} height=${size#*x}
    for precision in fp32 fp16; do
      a=$("$build/benchmarks/bench-forward" "$model" "$width" "$height" "$frames" 1 cuda "$precision")
      source="videotestsrc num-buffers=$((frames + 3)) pattern=black ! video/x-raw,format=I420,width=$width,height=$height,framerate=30/1 ! queue"
      read -r b latency < <("$build/benchmarks/bench-element" "$source" "$model" 1 cuda "$precision")
      read -r b_eager latency_eager < <("$build/benchmarks/bench-element" "$source" "$model" 1 cuda "$precision" cuda-graph=false)
      awk -v name="$name" -v size="$size" -v p="$precision" -v a="$a" -v b="$b" -v l="$latency" -v be="$b_eager" \
          -v le="$latency_eager" 'BEGIN {
        printf "| %s | %s | %s | %.2f | %.1f | %.1f | %.2f | %.2f | %.1f | %.2f |\n", name, size, p, a, 1000 / a, b, l,
          b / (1000 / a), be, le }'
    done
  done
done

printf "\n| training step | GN | steps | ms/step | steps/s |\n|---|---|---:|---:|---:|\n"
for config in "resnet_9blocks_cbam 64 256" "resnet_6blocks_cbam 16 128"; do
  set -- $config
  for gn in 1 0; do
    ms=$("$build/benchmarks/bench-train-step" "$1" "$2" "$3" "$gn" "$steps" 1 cuda)
    awk -v c="$1 ngf $2, ${3}x$3" -v gn="$([ "$gn" = 1 ] && echo on || echo off)" -v n="$steps" -v ms="$ms" 'BEGIN {
      printf "| %s | %s | %d | %.1f | %.2f |\n", c, gn, n, ms, 1000 / ms }'
  done
done
