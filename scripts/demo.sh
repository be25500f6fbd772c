#!/usr/bin/env bash
# The main job, from a fresh clone: installs what is missing, builds, makes a
# short visible test clip, converts it to infrared with the bundled default
# model (surveillance) through pipelines/convert-file, renders a
# visible | infrared PNG, and says where both are.
#
#   scripts/demo.sh [OUT_DIR]     (default: build/demo)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

build=${BUILD_DIR:-build}
[ -f "$build/build.ninja" ] || scripts/configure.sh "$build" -Dbuildtype=release >/dev/null
ninja --quiet -C "$build" plugin/libgstgncycleganir.so
export GST_PLUGIN_PATH=$PWD/$build/plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}

out=$(realpath -m "${1:-$build/demo}")
mkdir -p "$out"
visible=$out/visible.webm infrared=$out/infrared.webm side=$out/side-by-side.png
width=320 height=240

echo "1/3 making a 3-second visible clip: $visible"
gst-launch-1.0 -q -e videotestsrc pattern=smpte horizontal-speed=4 num-buffers=30 \
  ! video/x-raw,width=$width,height=$height,framerate=10/1 ! vp8enc deadline=1 ! webmmux \
  ! filesink location="$visible"

echo "2/3 converting it to infrared with the bundled model: $infrared"
started=$(date +%s.%N)
pipelines/convert-file "$visible" "$infrared" >/dev/null
echo "    30 frames in $(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e - s}') s"

echo "3/3 rendering visible | infrared (ironbow): $side"
gst-launch-1.0 -q -e compositor name=mix sink_1::xpos=$width ! videoconvert ! pngenc snapshot=true \
  ! filesink location="$side" \
  filesrc location="$visible" ! decodebin ! videoconvert ! tee name=split \
  split. ! queue ! mix.sink_0 \
  split. ! queue ! gncycleganir palette=ironbow ! mix.sink_1

echo
echo "infrared video:  $infrared"
echo "side by side:    $side"
