#!/usr/bin/env bash
# Builds the weights loader's libFuzzer target with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer, and runs it for a bounded number of inputs from a
# seed corpus of valid files. A crash stops it with a report and a reproducer
# file (crash-*) in fuzz-corpus/; exit status non-zero.
#
#   scripts/fuzz.sh [RUNS]      default 100000 executions
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-100000}
scripts/install-deps.sh --fuzz

build=build-fuzz
if [ ! -f "$build/build.ninja" ]; then
  CXX=clang++-14 meson setup "$build" -Dfuzzing=true -Dbuildtype=debugoptimized \
    -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C "$build" tests/fuzz-weights-loader tests/fuzz-seed-corpus >/dev/null

mkdir -p fuzz-corpus/work
"$build/tests/fuzz-seed-corpus" fuzz-corpus/seeds
# LibTorch itself is not instrumented; its allocations are not leaks of ours.
export ASAN_OPTIONS=detect_leaks=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
status=0
"$build/tests/fuzz-weights-loader" -runs="$runs" -max_len=65536 -print_final_stats=1 \
  -artifact_prefix=fuzz-corpus/ fuzz-corpus/work fuzz-corpus/seeds >fuzz-corpus/fuzz.log 2>&1 || status=$?
grep -E "INITED|DONE|^Done [0-9]+ runs|ERROR|SUMMARY|Test unit written|stat::(number_of_executed_units|peak_rss_mb)" \
  fuzz-corpus/fuzz.log || true
[ "$status" -eq 0 ] || echo "fuzz.sh: the fuzz target failed (exit $status); full log: fuzz-corpus/fuzz.log" >&2
exit "$status"
