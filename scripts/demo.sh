#!/usr/bin/env bash
# The main job, from a fresh clone: installs what is missing, builds the
# element, and converts a real night street (demo/: one MSRS visible/infrared
# pair) to infrared with the bundled default model (surveillance):
#   1. a 3-second visible clip that pans across the scene, as a camera would;
#   2. that clip converted through pipelines/convert-file;
#   3. a still side by side, 2 x 2: visible | infrared white-hot (the default)
#                                   ironbow | the real infrared of the scene.
#
#   scripts/demo.sh [OUT_DIR]     (default: build/demo)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

build=${BUILD_DIR:-build}
[ -f "$build/build.ninja" ] || scripts/configure.sh "$build" -Dbuildtype=release >/dev/null
ninja --quiet -C "$build" plugin/libgstgncycleganir.so
export GST_PLUGIN_PATH=$PWD/$build/plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}

scene_visible=$PWD/demo/msrs-00003N-visible.jpg scene_infrared=$PWD/demo/msrs-00003N-infrared.png
out=$(realpath -m "${1:-$build/demo}")
mkdir -p "$out"
visible=$out/visible.webm infrared=$out/infrared.webm side=$out/side-by-side.png
frames=30 step=5                     # a 480x360 window moving 5 px a frame across 640x480
width=640 height=480 window_width=480 window_height=360

echo "1/3 making a 3-second visible clip that pans across the night street: $visible"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for ((i = 0; i < frames; i++)); do
  left=$((i * step)) top=$(((height - window_height) / 2))
  gst-launch-1.0 -q filesrc location="$scene_visible" ! jpegdec \
    ! videocrop left=$left right=$((width - window_width - left)) top=$top bottom=$top \
    ! jpegenc quality=95 ! filesink location="$(printf '%s/frame-%02d.jpg' "$tmp" "$i")"
done
gst-launch-1.0 -q -e multifilesrc location="$tmp/frame-%02d.jpg" stop-index=$((frames - 1)) \
  caps=image/jpeg,framerate=10/1 ! jpegdec ! videoconvert ! vp8enc deadline=1 target-bitrate=2000000 \
  ! webmmux ! filesink location="$visible"

echo "2/3 converting it to infrared with the bundled model: $infrared"
started=$(date +%s.%N)
pipelines/convert-file "$visible" "$infrared" >/dev/null
echo "    $frames frames of ${window_width}x$window_height in $(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e - s}') s"

echo "3/3 rendering the whole scene, visible | white-hot / ironbow | real infrared: $side"
gst-launch-1.0 -q -e compositor name=mix background=black \
    sink_1::xpos=$width sink_2::ypos=$height sink_3::xpos=$width sink_3::ypos=$height \
  ! videoconvert ! pngenc snapshot=true ! filesink location="$side" \
  filesrc location="$scene_visible" ! jpegdec ! videoconvert ! imagefreeze num-buffers=1 ! tee name=split \
  split. ! queue ! mix.sink_0 \
  split. ! queue ! gncycleganir palette=white-hot ! mix.sink_1 \
  split. ! queue ! gncycleganir palette=ironbow ! mix.sink_2 \
  filesrc location="$scene_infrared" ! pngdec ! videoconvert ! imagefreeze num-buffers=1 ! mix.sink_3

echo
echo "infrared video:  $infrared"
echo "side by side:    $side"
echo "                 (top: visible | infrared white-hot; bottom: ironbow | the scene's real infrared)"
