#!/usr/bin/env bash
# Scores a generator on every dev test split, beside the trivial answer it must
# beat (the visible image in gray), and prints one markdown table: set | pairs |
# model PSNR / SSIM / sharpness | model hot targets: contrast ratio / PSNR |
# the same two for the gray image | share of target pixels | stripe ratio of
# the model, the gray image and the real infrared. The splits:
# RoadScene test; MSRS test, day and night apart (names end in D or N); the
# M3SVD clips 0111_1753 and 0115_1834 (held out from training; the other four
# clips are training data).
#
#   scripts/eval-dev.sh [--out DIR] MODEL [DATA_DIR] [-- EVAL_OPTIONS...]
#
# DATA_DIR: default ../shared/data beside the repository. --out DIR keeps each
# split's gncyclegan-eval output (scores.csv, summary.json, mosaic.png) in
# DIR/<split>/model and DIR/<split>/gray. EVAL_OPTIONS go to the model's runs
# (e.g. --scale 0.5, --device cuda). gncyclegan-eval is BUILD_DIR's (default
# build, relative to the repository), brought up to date first, or the binary
# GNCYCLEGAN_EVAL names. The table goes to stdout, progress to stderr.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
usage() {
  echo "usage: $0 [--out DIR] MODEL [DATA_DIR] [-- EVAL_OPTIONS...]" >&2
  exit 2
}
out="" positional=() extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    -*) echo "$0: unknown option $1" >&2; usage ;;
    *) positional+=("$1"); shift ;;
  esac
done
[ ${#positional[@]} -ge 1 ] && [ ${#positional[@]} -le 2 ] || usage
model=${positional[0]}
data=${positional[1]:-$root/../shared/data}
# A bare word may be a bundled model's name: gncyclegan-eval resolves it.
[ -f "$model" ] || [[ $model != */* && $model != *.* ]] || { echo "$0: MODEL $model: no such file" >&2; exit 1; }
[ -d "$data" ] || { echo "$0: DATA_DIR $data: no such directory (give it as the second argument)" >&2; exit 1; }

evaluate=$("$root/scripts/find-eval.sh")

# label | folder holding visible/ and infrared/ | --only-suffix | --out subfolder
splits=(
  "RoadScene test|$data/roadscene/test||roadscene"
  "MSRS test, day|$data/msrs/test|D|msrs-day"
  "MSRS test, night|$data/msrs/test|N|msrs-night"
  "M3SVD 0111_1753 (held out)|$data/m3svd/0111_1753||m3svd-0111_1753"
  "M3SVD 0115_1834 (held out)|$data/m3svd/0115_1834||m3svd-0115_1834"
)

# gncyclegan-eval ARGS... -> "pairs|PSNR / SSIM / sharpness|contrast / PSNR|target %|stripes|real stripes"
# (JSON has no infinity: an infinite PSNR, identical images, arrives as null;
# a split without hot targets has no target scores)
scores() {
  "$evaluate" "$@" --json | python3 -c '
import json, sys
j = json.load(sys.stdin)
def mean(key, digits, scale=1):
    value = j[key]["mean"]
    return "inf" if value is None else "%.*f" % (digits, scale * value)
targets = "– / –" if j["images_with_targets"] == 0 else mean("target_contrast", 3) + " / " + mean("target_psnr", 2)
print(j["pairs"], " / ".join([mean("psnr", 4), mean("ssim", 4), mean("sharpness", 3)]),
      targets, mean("target_fraction", 1, 100),
      mean("stripe_ratio", 2), mean("reference_stripe_ratio", 2), sep="|")'
}

echo "| set | pairs | model PSNR / SSIM / sharpness | model targets: contrast / PSNR | gray PSNR / SSIM / sharpness | gray targets: contrast / PSNR | targets (% of pixels) | stripes: model / gray / real |"
echo "|---|---:|---|---|---|---|---:|---|"
for split in "${splits[@]}"; do
  IFS='|' read -r label dir suffix name <<<"$split"
  if [ ! -d "$dir/visible" ] || [ ! -d "$dir/infrared" ]; then
    echo "warning: $dir has no visible/ and infrared/: $label skipped" >&2
    echo "| $label | – | (missing) | | (missing) | | | |"
    continue
  fi
  args=(--visible "$dir/visible" --infrared "$dir/infrared" ${suffix:+--only-suffix "$suffix"})
  model_out=() gray_out=()
  [ -z "$out" ] || model_out=(--out "$out/$name/model") gray_out=(--out "$out/$name/gray")
  echo "scoring $label ..." >&2
  IFS='|' read -r pairs model_scores model_targets fraction model_stripes real_stripes \
    <<<"$(scores "${args[@]}" --model "$model" "${model_out[@]}" "${extra[@]}")"
  IFS='|' read -r _ gray_scores gray_targets _ gray_stripes _ <<<"$(scores "${args[@]}" --baseline gray "${gray_out[@]}")"
  echo "| $label | $pairs | $model_scores | $model_targets | $gray_scores | $gray_targets | $fraction | $model_stripes / $gray_stripes / $real_stripes |"
done
