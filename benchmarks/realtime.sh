#!/usr/bin/env bash
# Real time on the CPU, in one run on one machine:
#   1. the generator's forward at 320x240 and 640x480 through every backend and
#      precision this build has, beside the fp32 arithmetic limit
#      (bench-backends);
#   2. the element's throughput converting a 640x480 file as fast as it can
#      (no deadline: full size), with default properties (which smooth a
#      file's output over time) and with temporal-smoothing=0;
#   3. the README's live pipeline: a 640x480 YUY2 camera at 30 frames/s,
#      default properties, fpsdisplaysink sync=true: frames rendered and
#      dropped over FRAMES frames, the average rendered frames/s, and the
#      inference size the element chose.
#
#   benchmarks/realtime.sh [MODEL [FRAMES [RUNS]]]
#   MODEL: a bundled model's name (surveillance, road) or a weights file.
#   defaults: the element's default model (surveillance), 600 frames, 10
#   forward runs
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-surveillance}
frames=${2:-600}
runs=${3:-10}
scripts/install-deps.sh --bench
[ -f build/build.ninja ] || scripts/configure.sh build >/dev/null
ninja --quiet -C build benchmarks/bench-backends benchmarks/bench-element plugin/libgstgncycleganir.so
export GST_PLUGIN_PATH=$PWD/build/plugin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "## Forward ($(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores)"
echo
build/benchmarks/bench-backends "$model" "$runs"
echo

echo "## The element, 640x480 file, default properties"
echo
clip=$work/clip.avi
gst-launch-1.0 -q videotestsrc pattern=smpte horizontal-speed=4 num-buffers=62 \
  ! video/x-raw,format=I420,width=640,height=480,framerate=30/1 ! jpegenc ! avimux ! filesink location="$clip"
printf "| temporal-smoothing | frames/s | mean latency ms |\n|---|---:|---:|\n"
# -1, the default, smooths a file (non-live) at 0.9; 0 shows what the smoothing costs.
for smoothing in -1 0; do
  read -r element latency < <(build/benchmarks/bench-element "filesrc location=\"$clip\" ! decodebin" "$model" 0 cpu auto \
    "temporal-smoothing=$smoothing")
  printf "| %s | %.1f | %.1f |\n" "$smoothing$([ "$smoothing" = -1 ] && echo ' (default)')" "$element" "$latency"
done
echo

echo "## Live: videotestsrc is-live=true ! YUY2 640x480 30/1 ! gncycleganir ! fpsdisplaysink sync=true, $frames frames"
echo
model_property=""
[ "$model" = surveillance ] || model_property="model=$model"
started=$(date +%s.%N)
gst-launch-1.0 -v videotestsrc is-live=true num-buffers="$frames" \
  ! video/x-raw,format=YUY2,width=640,height=480,framerate=30/1 \
  ! gncycleganir name=ir $model_property ! fpsdisplaysink video-sink=fakesink text-overlay=false sync=true \
  > "$work/live.log" 2>&1
ended=$(date +%s.%N)
last=$(grep -o 'rendered: [0-9]*, dropped: [0-9]*, current: [0-9.]*, average: [0-9.]*' "$work/live.log" | tail -n 1)
width=$(grep -o 'active-inference-width = [0-9]*' "$work/live.log" | tail -n 1 | grep -o '[0-9]*$')
height=$(grep -o 'active-inference-height = [0-9]*' "$work/live.log" | tail -n 1 | grep -o '[0-9]*$')
rendered=$(sed -n 's/.*rendered: \([0-9]*\).*/\1/p' <<< "$last")
dropped=$(sed -n 's/.*dropped: \([0-9]*\).*/\1/p' <<< "$last")
average=$(sed -n 's/.*average: \([0-9.]*\).*/\1/p' <<< "$last")
printf "| rendered | dropped | average rendered frames/s | inference size | wall s |\n|---:|---:|---:|---|---:|\n"
printf "| %s | %s | %s | %sx%s | %.1f |\n" "${rendered:-?}" "${dropped:-?}" "${average:-?}" "${width:-?}" "${height:-?}" \
  "$(awk -v a="$started" -v b="$ended" 'BEGIN { print b - a }')"
