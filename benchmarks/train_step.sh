#!/usr/bin/env bash
# Milliseconds per training step (one generator update + one discriminator
# update, batch 1) of gncyclegan-train's C++ step and of the same step written
# in Python with PyTorch (Debian's python3-torch: the same LibTorch 1.13),
# side by side, on the CPU. Each figure is the median of its steps (after 2
# warm-up steps): STEPS for the paper configuration, 4 x STEPS for the compact
# one, whose steps are short and noisier.
#
#   benchmarks/train_step.sh [STEPS] [THREADS]     defaults 5 and 2
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-5}
threads=${2:-2}
scripts/install-deps.sh --bench
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build benchmarks/bench-train-step >/dev/null
python=/usr/bin/python3

printf "CPU: %s, %s threads\n\n" "$(lscpu | sed -n 's/^Model name: *//p')" "$threads"
printf "| configuration | GN | steps | C++ ms/step | Python ms/step | C++ / Python |\n|---|---|---:|---:|---:|---:|\n"
for config in "resnet_9blocks_cbam 64 256 1" "resnet_6blocks_cbam 16 128 4"; do
  set -- $config
  n=$((steps * $4))
  for gn in 1 0; do
    cpp=$(build/benchmarks/bench-train-step "$1" "$2" "$3" "$gn" "$n" "$threads")
    py=$("$python" benchmarks/train_step.py --generator "$1" --ngf "$2" --crop "$3" --steps "$n" \
         --threads "$threads" $([ "$gn" = 1 ] || echo --no-gn))
    printf "| %s ngf %s, %sx%s | %s | %s | %s | %s | %.2f |\n" "$1" "$2" "$3" "$3" "$([ "$gn" = 1 ] && echo on || echo off)" "$n" \
      "$cpp" "$py" "$(awk "BEGIN { print $cpp / $py }")"
  done
done
