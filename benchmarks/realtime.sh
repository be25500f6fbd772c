#!/usr/bin/env bash
# Real time on the CPU, in one run on one machine, for the default model and
# its real-time student side by side:
#   1. each model's forward at 320x240 and 640x480 through every backend and
#      precision this build has, beside the fp32 arithmetic limit
#      (bench-backends);
#   2. the element converting a 640x480 file as fast as it can (no deadline:
#      full size), with each model, with default properties (which smooth a
#      file's output over time) and with temporal-smoothing=0;
#   3. the README's live pipeline: a 640x480 YUY2 camera at 30 frames/s,
#      fpsdisplaysink sync=true, FRAMES frames, with default properties (the
#      element picks the model) and with each model set: frames rendered and
#      dropped, the average rendered frames/s, and the model and inference size
#      the element ran at the end; LIVE_RUNS rows each, for the size it ends
#      at moves with the machine's speed from minute to minute.
#
#   benchmarks/realtime.sh [MODELS [FRAMES [RUNS [LIVE_RUNS]]]]
#   MODELS: comma-separated bundled model names or weights files
#   defaults: surveillance,realtime; 600 frames; 10 forward runs; 1 live run
set -euo pipefail
if [ "${1:-}" = --help ] || [ "${1:-}" = -h ]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 0
fi
cd "$(dirname "$0")/.."
IFS=, read -r -a models <<< "${1:-surveillance,realtime}"
frames=${2:-600}
runs=${3:-10}
live_runs=${4:-1}
scripts/install-deps.sh --bench
[ -f build/build.ninja ] || scripts/configure.sh build >/dev/null
ninja --quiet -C build benchmarks/bench-backends benchmarks/bench-element plugin/libgstgncycleganir.so
export GST_PLUGIN_PATH=$PWD/build/plugin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "## Forward ($(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores)"
echo
for model in "${models[@]}"; do
  echo "### $model"
  echo
  build/benchmarks/bench-backends "$model" "$runs"
  echo
done

echo "## The element, 640x480 file, default properties"
echo
clip=$work/clip.avi
gst-launch-1.0 -q videotestsrc pattern=smpte horizontal-speed=4 num-buffers=62 \
  ! video/x-raw,format=I420,width=640,height=480,framerate=30/1 ! jpegenc ! avimux ! filesink location="$clip"
printf "| model | temporal-smoothing | frames/s | mean latency ms |\n|---|---|---:|---:|\n"
# -1, the default, smooths a file (non-live) at 0.9; 0 shows what the smoothing costs.
for model in "${models[@]}"; do
  for smoothing in -1 0; do
    read -r element latency < <(build/benchmarks/bench-element "filesrc location=\"$clip\" ! decodebin" "$model" 0 cpu \
      auto "temporal-smoothing=$smoothing")
    printf "| %s | %s | %.1f | %.1f |\n" "$model" "$smoothing$([ "$smoothing" = -1 ] && echo ' (default)')" "$element" \
      "$latency"
  done
done
echo

echo "## Live: videotestsrc is-live=true ! YUY2 640x480 30/1 ! gncycleganir ! fpsdisplaysink sync=true, $frames frames"
echo
# The last value gst-launch -v printed for one of the element's properties.
last_notified() { grep -o "$1 = [^ ]*" "$2" | tail -n 1 | sed 's/.* = //; s/^"//; s/"$//'; }
printf "| model property | rendered | dropped | average rendered frames/s | model run | inference size | wall s |\n"
printf "|---|---:|---:|---:|---|---|---:|\n"
for model in "" "${models[@]}"; do
  for run in $(seq "$live_runs"); do
    started=$(date +%s.%N)
    gst-launch-1.0 -v videotestsrc is-live=true num-buffers="$frames" \
      ! video/x-raw,format=YUY2,width=640,height=480,framerate=30/1 \
      ! gncycleganir name=ir ${model:+model="$model"} \
      ! fpsdisplaysink video-sink=fakesink text-overlay=false sync=true > "$work/live.log" 2>&1
    ended=$(date +%s.%N)
    last=$(grep -o 'rendered: [0-9]*, dropped: [0-9]*, current: [0-9.]*, average: [0-9.]*' "$work/live.log" | tail -n 1)
    printf "| %s | %s | %s | %s | %s | %sx%s | %.1f |\n" "${model:-unset (default)}" \
      "$(sed -n 's/.*rendered: \([0-9]*\).*/\1/p' <<< "$last")" "$(sed -n 's/.*dropped: \([0-9]*\).*/\1/p' <<< "$last")" \
      "$(sed -n 's/.*average: \([0-9.]*\).*/\1/p' <<< "$last")" "$(last_notified active-model "$work/live.log")" \
      "$(last_notified active-inference-width "$work/live.log")" "$(last_notified active-inference-height "$work/live.log")" \
      "$(awk -v a="$started" -v b="$ended" 'BEGIN { print b - a }')"
  done
done
