#!/usr/bin/env bash
# The element against the raw forward and against a Python loop, on one
# machine in one run, at 640x480, for the bundled compact model and the full
# paper-size model (resnet_9blocks_cbam, ngf 64, random weights: speed does not
# depend on them); all three run the same weights file:
#   (a) the raw LibTorch forward (bench-forward), median ms/frame;
#   (b) filesrc ! decodebin ! gncycleganir ! fakesink sync=false: frames/s (from
#       the median time between frames) and the element's mean per-frame
#       latency (its mean-latency property);
#   (c) the same job as a Python loop (python3-torch + python3-opencv), frames/s
#       likewise.
# Every part decodes the same MJPEG clip and writes 8-bit gray. (a), (b) and (c)
# take turns for ROUNDS rounds and each column is the median over the rounds,
# so a slow spell of the machine does not land on one of them alone.
#
#   benchmarks/element.sh [FRAMES] [THREADS] [ROUNDS]
#   defaults 20, 2 and 3 (the full model decodes FRAMES / 3 frames, at least 6)
set -euo pipefail
cd "$(dirname "$0")/.."
frames=${1:-20}
threads=${2:-2}
rounds=${3:-3}
scripts/install-deps.sh --bench
[ -f build/build.ninja ] || meson setup build -Dbuildtype=release >/dev/null
ninja --quiet -C build benchmarks/bench-forward benchmarks/bench-element plugin/libgstgncycleganir.so
export GST_PLUGIN_PATH=$PWD/build/plugin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
build/benchmarks/bench-forward --write-random resnet_9blocks_cbam 64 "$work/full.safetensors"

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf "CPU: %s, %s threads; 640x480 frames; medians of %s rounds\n\n" \
  "$(lscpu | sed -n 's/^Model name: *//p')" "$threads" "$rounds"
printf "| model | frames | (a) forward ms | (a) frames/s | (b) element frames/s | (b) latency ms | (c) Python frames/s | (b)/(a) | (b)/(c) |\n"
printf "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
for row in "gncyclegan-compact models/gncyclegan-compact.safetensors $frames" \
           "resnet_9blocks_cbam-ngf64 $work/full.safetensors $(( frames / 3 > 6 ? frames / 3 : 6 ))"; do
  set -- $row
  name=$1 model=$2 n=$3
  clip=$work/clip-$n.avi
  [ -f "$clip" ] || gst-launch-1.0 -q videotestsrc pattern=smpte horizontal-speed=4 num-buffers=$((n + 2)) \
    ! video/x-raw,format=I420,width=640,height=480,framerate=30/1 ! jpegenc ! avimux ! filesink location="$clip"
  : > "$work/a"; : > "$work/b"; : > "$work/latency"; : > "$work/c"
  for _ in $(seq "$rounds"); do
    build/benchmarks/bench-forward "$model" 640 480 "$n" "$threads" >> "$work/a"
    read -r element latency < <(build/benchmarks/bench-element "filesrc location=\"$clip\" ! decodebin" "$model" "$threads" cpu fp32 backend=libtorch)
    echo "$element" >> "$work/b"; echo "$latency" >> "$work/latency"
    /usr/bin/python3 benchmarks/python_loop.py "$clip" "$model" "$threads" >> "$work/c"
  done
  awk -v name="$name" -v n="$n" -v a="$(median < "$work/a")" -v b="$(median < "$work/b")" \
      -v l="$(median < "$work/latency")" -v c="$(median < "$work/c")" 'BEGIN {
    printf "| %s | %d | %.1f | %.2f | %.2f | %.1f | %.2f | %.2f | %.2f |\n", name, n, a, 1000 / a, b, l, c, b / (1000 / a), b / c }'
done
