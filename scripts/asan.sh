#!/usr/bin/env bash
# Builds with AddressSanitizer (gcc, build-asan/, Debian's LibTorch, without
# OpenVINO, whose own allocator and threads do not run under ASan) and runs test
# suites under it: by default the element's, where the streams that change,
# broken input and the pipelines of pipelines/ are tested. A read past a
# buffer, a use after free or a double free fails the suite with ASan's report.
#
#   scripts/asan.sh [SUITE ...]     default: element (others: model engine trainer docs)
#
# gst-launch-1.0, gst-inspect-1.0 and python3, which the pipeline tests start,
# are not instrumented but load the instrumented plugin: the ASan runtime is
# preloaded into them. LibTorch and GStreamer are not instrumented either, and
# keep allocations until exit: leak checking is off.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(element)

build=build-asan
GNCYCLEGAN_OPENVINO=0 scripts/configure.sh "$build" -Dopenvino=disabled -Db_sanitize=address -Db_lundef=false \
  -Dbuildtype=debugoptimized
# Only what the chosen suites run (the trainer alone is half the build).
targets=()
for suite in "${suites[@]}"; do
  case "$suite" in
    element) targets+=(tests/element-tests plugin/libgstgncycleganir.so) ;;
    model | engine) targets+=("tests/$suite-tests") ;;
    trainer) targets+=(tests/trainer-tests trainer/gncyclegan-train trainer/gncyclegan-eval) ;;
    docs) targets+=(plugin/libgstgncycleganir.so) ;;
    *) echo "asan.sh: unknown suite $suite (known: element model engine trainer docs)" >&2; exit 2 ;;
  esac
done
ninja -C "$build" "${targets[@]}"

# The preload reaches the suites' executables and what they start, not meson.
asan_runtime=$(gcc -print-file-name=libasan.so)
export ASAN_OPTIONS=detect_leaks=0:detect_odr_violation=0
# GIO's libproxy resolver (the RTSP tests' connections) throws C++ exceptions
# in a thread the preloaded runtime cannot intercept; local RTSP needs no proxy.
export GIO_USE_PROXY_RESOLVER=dummy
status=0
meson test -C "$build" --no-rebuild --print-errorlogs --num-processes 1 --timeout-multiplier 3 \
  --wrapper "env LD_PRELOAD=$asan_runtime" "${suites[@]}" || status=$?
python3 scripts/test-summary.py "$build" "$build" || status=$((status ? status : 1))
exit "$status"
