#!/usr/bin/env bash
# The element against the raw forward and against a Python loop, on one
# machine in one run, at 640x480, for the bundled compact model and the full
# paper-size model (resnet_9blocks_cbam, ngf 64; random weights, since speed
# does not depend on them):
#   (a) the raw LibTorch forward (bench-forward), median ms/frame;
#   (b) filesrc ! decodebin ! gncycleganir ! fakesink sync=false: frames/s (from
#       the median time between frames) and the element's mean per-frame
#       latency (its mean-latency property);
#   (c) the same job as a Python loop (python3-torch + python3-opencv), frames/s
#       likewise.
# Every part decodes the same MJPEG clip and writes 8-bit gray.
#
#   benchmarks/element.sh [FRAMES] [THREADS]     defaults 20 and 2 (full model: FRAMES / 5)
set -euo pipefail
cd "$(dirname "$0")/.."
frames=${1:-20}
threads=${2:-2}
scripts/install-deps.sh --bench
[ -f build/build.ninja ] || meson setup build -Dbuildtype=release >/dev/null
ninja --quiet -C build benchmarks/bench-forward plugin/libgstgncycleganir.so
export GST_PLUGIN_PATH=$PWD/build/plugin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
build/benchmarks/bench-forward --write-random resnet_9blocks_cbam 64 "$work/full.safetensors"

printf "CPU: %s, %s threads; 640x480 frames\n\n" "$(lscpu | sed -n 's/^Model name: *//p')" "$threads"
printf "| model | frames | (a) forward ms | (a) frames/s | (b) element frames/s | (b) latency ms | (c) Python frames/s | (b)/(a) | (b)/(c) |\n"
printf "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
for row in "gncyclegan-compact models/gncyclegan-compact.safetensors resnet_6blocks_cbam 16 $frames" \
           "resnet_9blocks_cbam-ngf64 $work/full.safetensors resnet_9blocks_cbam 64 $(( frames / 5 > 3 ? frames / 5 : 3 ))"; do
  set -- $row
  name=$1 model=$2 architecture=$3 ngf=$4 n=$5
  clip=$work/clip-$n.avi
  [ -f "$clip" ] || gst-launch-1.0 -q videotestsrc pattern=smpte horizontal-speed=4 num-buffers=$((n + 2)) \
    ! video/x-raw,format=I420,width=640,height=480,framerate=30/1 ! jpegenc ! avimux ! filesink location="$clip"
  forward=$(build/benchmarks/bench-forward "$model" 640 480 "$n" "$threads")
  read -r element latency < <(/usr/bin/python3 benchmarks/element_throughput.py "$clip" "$model" "$threads")
  loop=$(cd benchmarks && /usr/bin/python3 python_loop.py "$clip" "$architecture" "$ngf" "$threads")
  awk -v name="$name" -v n="$n" -v a="$forward" -v b="$element" -v l="$latency" -v c="$loop" 'BEGIN {
    printf "| %s | %d | %.1f | %.2f | %.2f | %.1f | %.2f | %.2f | %.2f |\n", name, n, a, 1000 / a, b, l, c, b / (1000 / a), b / c }'
done
