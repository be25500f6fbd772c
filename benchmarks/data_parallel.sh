#!/usr/bin/env bash
# Training throughput, images per second, of gncyclegan-train as one process
# and as two data-parallel ranks launched by torchrun (Gloo on the CPU; NCCL,
# one GPU per rank, with DEVICE=cuda), side by side on the same data and
# model: the compact bundled configuration (resnet_6blocks_cbam, ngf 16,
# ndf 32, 256x256 native crops, paired losses). Each figure is the median
# seconds per step from losses.csv over STEPS steps after 3 warm-up steps,
# turned into images per second (images per step / seconds per step).
#
#   benchmarks/data_parallel.sh [STEPS] [DATA_DIR]
#       defaults 20 and ../shared/data/roadscene/train (a folder with visible/ and infrared/)
#   DEVICE=cuda PRECISION=bf16 benchmarks/data_parallel.sh     on a machine with 2 GPUs
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-20}
data=${2:-../shared/data/roadscene/train}
device=${DEVICE:-cpu}
precision=${PRECISION:-fp32}
cores=$(nproc)
[ -d "$data/visible" ] && [ -d "$data/infrared" ] || { echo "data_parallel.sh: $data holds no visible/ and infrared/" >&2; exit 2; }
scripts/install-deps.sh
[ -f build/build.ninja ] || scripts/configure.sh build >/dev/null
ninja -C build trainer/gncyclegan-train >/dev/null
train=$PWD/build/trainer/gncyclegan-train
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

common=(--dataset "$data" --scale native --crop-size 256 --generator resnet_6blocks_cbam --ngf 16 --ndf 32
        --lambda-identity 0 --lambda-cycle 1 --paired-weight 50 --paired-ssim-weight 40 --device "$device"
        --precision "$precision" --max-steps $((steps + 3)) --log-every 3600 --workers 1)

# Median seconds per step after the warm-up, from the run's losses.csv (seconds is its last column).
seconds_per_step() {
  awk -F, 'NR > 1 { t[NR - 1] = $NF } END { for (i = 5; i <= NR - 1; ++i) print t[i] - t[i - 1] }' "$1/losses.csv" |
    sort -g | awk '{ d[NR] = $1 } END { print (NR % 2 ? d[(NR + 1) / 2] : (d[NR / 2] + d[NR / 2 + 1]) / 2) }'
}

row() {  # label, ranks, batch per rank, run directory
  local s
  s=$(seconds_per_step "$4")
  printf "| %s | %s | %s | %.3f | %.2f |\n" "$1" "$2" "$(($2 * $3))" "$s" "$(awk "BEGIN { print $2 * $3 / $s }")"
}

printf "CPU: %s, %s cores; device %s, %s; %s steps after 3 warm-up\n\n" \
  "$(lscpu | sed -n 's/^Model name: *//p')" "$cores" "$device" "$precision" "$steps"
printf "| run | ranks | images/step | s/step | images/s |\n|---|---:|---:|---:|---:|\n"
"$train" "${common[@]}" --threads "$cores" --out "$work/one" 2>"$work/one.log"
row "1 process, batch 1, $cores threads" 1 1 "$work/one"
"$train" "${common[@]}" --threads "$cores" --batch-size 2 --out "$work/batch2" 2>"$work/batch2.log"
row "1 process, batch 2, $cores threads" 1 2 "$work/batch2"
per_rank=$(( cores / 2 > 0 ? cores / 2 : 1 ))
# Debian 12's torchrun (python3-torch) needs non-zero --redirects and --tee on Python 3.11.
torchrun --standalone --nproc_per_node 2 --redirects 2 --tee 2 --log_dir "$work/torchrun" --no_python \
  "$train" "${common[@]}" --threads "$per_rank" --out "$work/two" >"$work/two.log" 2>&1 ||
  { cat "$work/two.log" >&2; exit 1; }
row "2 ranks (torchrun), batch 1 each, $per_rank threads each" 2 1 "$work/two"
