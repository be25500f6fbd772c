#!/usr/bin/env bash
# Reproduces the paper's Table 2 (FLIR columns) and Table 3 (ablation) on aligned
# FLIR pairs: trains every arm unpaired, as the paper does, with one budget for
# all, scores each on the test split with gncyclegan-eval (MATLAB-exact PSNR and
# SSIM) beside the grayscale baselines, and writes a markdown table.
#
#   scripts/reproduce.sh [--budget smoke|short|cpu|paper] [--data DIR] [--out DIR]
#                        [--table FILE] [--device D] [--threads N] [--build DIR]
#
#   --budget  smoke: 256-pixel crops, ngf 4, 3 steps per arm (checks the pipeline)
#             short: 256-pixel crops, ngf 8, ndf 8, 1+1 epochs (about 2 hours on 2 cores)
#             cpu:   256-pixel crops, ngf 16, ndf 16, 2+2 epochs (about 5 hours on 2 cores)
#             paper: 256-pixel crops, ngf 64, ndf 64, 100+100 epochs (a GPU; days on a CPU)
#   --data    folder with train/{visible,infrared} and test/{visible,infrared}
#             (default: ../shared/data/roadscene beside the project)
#   --out     run directories, one per arm (default: runs/reproduce-BUDGET); an arm
#             whose weights exist is not trained again, an interrupted one resumes
#   --table   the markdown table to write (default: OUT/table2.md)
#   --device  auto (default), cpu, cuda or cuda:N
#   --threads CPU threads for training and evaluation (default 0: every core)
#   --build   a configured build directory (default: build/, built if needed)
#
# Every arm trains at the images' native scale (random crops, --scale native)
# and is evaluated at native size, so training and evaluation see objects at
# one scale. Crops are 256 pixels because unet_256 accepts only multiples of 256.
set -euo pipefail
cd "$(dirname "$0")/.."

invocation="scripts/reproduce.sh $*"
budget=cpu data=../shared/data/roadscene out="" table="" device=auto threads=0 build=build
usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --budget) budget=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --table) table=$2; shift 2 ;;
    --device) device=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "reproduce.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

case "$budget" in
  smoke) budget_args=(--crop-size 256 --ngf 4 --ndf 4 --epochs 1 --epochs-decay 0 --max-steps 3) ;;
  short) budget_args=(--crop-size 256 --ngf 8 --ndf 8 --epochs 1 --epochs-decay 1) ;;
  cpu) budget_args=(--crop-size 256 --ngf 16 --ndf 16 --epochs 2 --epochs-decay 2) ;;
  paper) budget_args=(--crop-size 256 --ngf 64 --ndf 64 --epochs 100 --epochs-decay 100) ;;
  *) echo "reproduce.sh: --budget must be smoke, short, cpu or paper, not '$budget'" >&2; exit 2 ;;
esac
for split in train/visible train/infrared test/visible test/infrared; do
  [ -d "$data/$split" ] || { echo "reproduce.sh: $data/$split is missing (--data names a folder with train/ and test/)" >&2; exit 1; }
done
out=${out:-runs/reproduce-$budget}
table=${table:-$out/table2.md}
mkdir -p "$out" "$(dirname "$table")"

if [ ! -f "$build/build.ninja" ]; then
  scripts/install-deps.sh
  meson setup "$build" -Dbuildtype=release >/dev/null
fi
ninja --quiet -C "$build" trainer/gncyclegan-train trainer/gncyclegan-eval
train=$build/trainer/gncyclegan-train
evaluate=$build/trainer/gncyclegan-eval

# name | generator | gradient normalization | paper FLIR PSNR | paper FLIR SSIM
arms=(
  "CycleGAN + unet_128|unet_128|--no-gn|13.2131|0.4167"
  "CycleGAN + unet_256|unet_256|--no-gn|12.7318|0.4444"
  "CycleGAN + resnet_6blocks|resnet_6blocks|--no-gn|13.3745|0.4700"
  "CycleGAN + resnet_9blocks|resnet_9blocks|--no-gn|13.3275|0.4368"
  "CycleGAN + resnet_9blocks + CBAM|resnet_9blocks_cbam|--no-gn|13.2403|0.4530"
  "GN_CycleGAN (resnet_9blocks + CBAM + GN)|resnet_9blocks_cbam|--gn|13.5195|0.4572"
)

# "PSNR 13.5195 ± 1.2 dB  SSIM 0.4572 ± 0.05  (...)" -> "13.5195 0.4572"
scores() { "$evaluate" "$@" --visible "$data/test/visible" --infrared "$data/test/infrared" | awk '/^PSNR /{print $2, $7}'; }

rows=""
for arm in "${arms[@]}"; do
  IFS='|' read -r name generator gn paper_psnr paper_ssim <<<"$arm"
  dir=$out/$generator${gn/--/_}
  weights=$dir/generator.safetensors
  if [ ! -f "$weights" ]; then
    echo "== $name: training in $dir"
    started=$(date +%s)
    mkdir -p "$dir"
    if [ -f "$dir/checkpoints/latest" ]; then
      "$train" --resume "$dir" 2>&1 | tee -a "$dir/train.log"
    else
      "$train" --visible "$data/train/visible" --infrared "$data/train/infrared" --scale native \
        --generator "$generator" "$gn" "${budget_args[@]}" --device "$device" --threads "$threads" --seed 0 --save-every 1 \
        --out "$dir" 2>&1 | tee "$dir/train.log"
    fi
    echo $(( $(date +%s) - started )) >"$dir/wall_seconds"
  fi
  read -r psnr ssim < <(scores --model "$weights" --device "$device" --threads "$threads" --out "$dir/eval")
  steps=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["step"])' \
    "$dir/checkpoints/$(cat "$dir/checkpoints/latest")/state.json")
  minutes=$(awk '{printf "%.1f", $1 / 60}' "$dir/wall_seconds" 2>/dev/null || echo "?")
  echo "   $name: PSNR $psnr SSIM $ssim ($steps steps, $minutes min)"
  rows+="| $name | $psnr | $ssim | $paper_psnr | $paper_ssim | $steps | $minutes min |"$'\n'
done

read -r gray_psnr gray_ssim < <(scores --baseline gray)
read -r inverted_psnr inverted_ssim < <(scores --baseline inverted-gray)
training_device=$(sed -n 's/^training .* on \(.*\): .*/\1/p' "$dir/train.log" 2>/dev/null | head -n 1)

cat >"$table" <<EOF
# GN-CycleGAN, Tables 2 and 3 (FLIR) reproduced on RoadScene

\`$invocation\` — $(date -u +%Y-%m-%d), $(nproc) CPU cores$( [ -n "$training_device" ] && echo ", trained on $training_device").

Budget \`$budget\` for every arm: \`${budget_args[*]}\`, batch 1, seed 0, unpaired,
random crops at the images' native scale (\`--scale native\`); adversarial log loss, λ_cycle 10, identity 0.5, lr 2e-4 then linear
decay. Scored with \`gncyclegan-eval\` on the $(ls "$data/test/visible" | wc -l) test pairs at native size (scale 1):
PSNR (peak 255) and SSIM (MATLAB R2019a's definition) on 8-bit gray. The paper's numbers are from its own
FLIR split (500 training pairs, 200 epochs, ngf 64, an RTX 2080 Ti).

| Method | PSNR (ours) | SSIM (ours) | PSNR (paper) | SSIM (paper) | Steps | Training time |
|---|---|---|---|---|---|---|
${rows}| Baseline: the visible image in gray | $gray_psnr | $gray_ssim | – | – | – | – |
| Baseline: its negative | $inverted_psnr | $inverted_ssim | – | – | – | – |

Table 3 (ablation) reads off the same rows: baseline = CycleGAN + unet_128; + ResNet = resnet_9blocks;
+ ResNet + CBAM; + GN = GN_CycleGAN.
EOF
echo "wrote $table"
