#!/usr/bin/env bash
# Scores how much translated video shimmers, beside the input's own temporal
# noise (the visible frames in gray): pan and zoom clips made from the
# RoadScene test pairs and the MSRS night test pairs (gncyclegan-eval
# make-clip, encoded as H.264 as a camera would send them), each translated
# frame by frame by every MODEL. Prints one markdown table: set | motion |
# clips | per method: flicker (gray levels) / warping error (gray levels²) /
# PSNR / SSIM, means over the clips' frames.
#
#   scripts/eval-temporal.sh [--data DIR] [--pairs N] [--frames N] MODEL... [-- EVAL_OPTIONS...]
#
# --data DIR: default ../shared/data beside the repository. --pairs N: the
# first N pairs of each split (default every one). --frames N: frames per clip
# (default 16; pans move 2 px a frame, zooms 0.5 %). EVAL_OPTIONS go to the
# models' runs (e.g. --threads 2, --device cuda). gncyclegan-eval is BUILD_DIR's
# (default build), brought up to date first, or the binary GNCYCLEGAN_EVAL
# names. The table goes to stdout, progress to stderr.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
usage() {
  echo "usage: $0 [--data DIR] [--pairs N] [--frames N] MODEL... [-- EVAL_OPTIONS...]" >&2
  exit 2
}
data=$root/../shared/data pairs=0 frames=16 models=() extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --data) [ $# -ge 2 ] || usage; data=$2; shift 2 ;;
    --pairs) [ $# -ge 2 ] || usage; pairs=$2; shift 2 ;;
    --frames) [ $# -ge 2 ] || usage; frames=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    -*) echo "$0: unknown option $1" >&2; usage ;;
    *) models+=("$1"); shift ;;
  esac
done
[ ${#models[@]} -ge 1 ] || usage
# A bare word may be a bundled model's name: gncyclegan-eval resolves it.
for model in "${models[@]}"; do
  [ -f "$model" ] || [[ $model != */* && $model != *.* ]] || { echo "$0: MODEL $model: no such file" >&2; exit 1; }
done
[ -d "$data" ] || { echo "$0: --data $data: no such directory" >&2; exit 1; }

evaluate=$("$root/scripts/find-eval.sh")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# label | folder holding visible/ and infrared/ | name suffix (MSRS: N = night)
splits=("RoadScene test|$data/roadscene/test|" "MSRS test, night|$data/msrs/test|N")
motions=("pan|--motion pan --pan-pixels 2" "zoom|--motion zoom --zoom-per-frame 1.005")

header="| set | motion | clips |" rule="|---|---|---:|"
for model in "${models[@]}" gray; do
  header+=" $(basename "$model") flicker / warping / PSNR / SSIM |"
  rule+="---|"
done
echo "$header"
echo "$rule"
for split in "${splits[@]}"; do
  IFS='|' read -r label dir suffix <<<"$split"
  if [ ! -d "$dir/visible" ]; then
    echo "warning: $dir has no visible/: $label skipped" >&2
    continue
  fi
  names=()
  for file in "$dir"/visible/*; do
    stem=$(basename "${file%.*}")
    [ -z "$suffix" ] || [ "${stem%"$suffix"}" != "$stem" ] || continue
    infrared=$(ls "$dir/infrared/$stem".* 2>/dev/null | head -n 1)
    [ -n "$infrared" ] || continue
    names+=("$file|$infrared")
    [ "$pairs" -eq 0 ] || [ ${#names[@]} -lt "$pairs" ] || break
  done
  for motion in "${motions[@]}"; do
    IFS='|' read -r motion_name motion_args <<<"$motion"
    echo "making $label $motion_name clips ..." >&2
    clips=()
    for pair in "${names[@]}"; do
      IFS='|' read -r visible infrared <<<"$pair"
      clip=$work/$motion_name-${#clips[@]}
      # shellcheck disable=SC2086
      "$evaluate" make-clip --visible "$visible" --infrared "$infrared" --frames "$frames" $motion_args \
        --out "$clip" --video "$clip/visible.mp4" >/dev/null
      clips+=("$clip")
    done
    row="| $label | $motion_name | ${#clips[@]} |"
    for method in "${models[@]}" gray; do
      echo "  translating with $(basename "$method") ..." >&2
      for clip in "${clips[@]}"; do
        if [ "$method" = gray ]; then what=(--baseline gray); else what=(--model "$method" "${extra[@]}"); fi
        "$evaluate" video "${what[@]}" --input "$clip/visible.mp4" --infrared "$clip/infrared" \
          --motion "$clip/motion.json" --json
      done >"$work/scores.json"
      row+=" $(python3 -c '
import json, sys
text = open(sys.argv[1]).read()
decoder, summaries, at = json.JSONDecoder(), [], 0
while at < len(text.rstrip()):
    summary, at = decoder.raw_decode(text, at)
    summaries.append(summary)
    while at < len(text) and text[at].isspace(): at += 1
frames = [f for s in summaries for f in s["per_frame"]]
mean = lambda key: sum(f[key] for f in frames if f[key] is not None) / max(1, sum(f[key] is not None for f in frames))
print("%.3f / %.2f / %.2f / %.4f" % (mean("flicker"), mean("warping_error"), mean("psnr"), mean("ssim")))' "$work/scores.json") |"
    done
    echo "$row"
  done
done
