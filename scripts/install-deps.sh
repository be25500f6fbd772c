#!/usr/bin/env bash
# Installs the Debian 12 packages gncycleganir builds and tests with. Safe to run
# again: it asks apt only for what is missing, and says nothing when nothing is.
#
#   scripts/install-deps.sh          build + tests
#   scripts/install-deps.sh --fuzz   also clang and libFuzzer (scripts/fuzz.sh)
#   scripts/install-deps.sh --venv   also python3-venv (scripts/python-env.sh)
#   scripts/install-deps.sh --bench  also python3-torch, python3-opencv, gst-plugins-bad (benchmarks/)
#   scripts/install-deps.sh --cuda   also GStreamer's CUDA library and NVIDIA elements (the CUDA build)
#   scripts/install-deps.sh --deb    also debhelper (scripts/package.sh)
set -euo pipefail

packages=(
  g++ pkg-config meson ninja-build
  libtorch-dev            # LibTorch 1.13, CPU only
  libopenblas0-pthread    # libtorch's CPU convolutions are ~2x slower on the reference BLAS
  nlohmann-json3-dev
  libgtest-dev
  libopencv-dev libcli11-dev   # the trainer
  libgloo-dev             # data-parallel training: c10d's Gloo process group
  python3-torch           # torchrun, which launches the data-parallel tests
  # the element, its tests (gst-check) and pipelines/
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good python3-gst-1.0
  gir1.2-gst-rtsp-server-1.0   # the test camera that pipelines/surveillance-rtsp records through drops
  # H.264, as most cameras send it: decoding (avdec_h264) for pipelines/, and
  # encoding (x264enc) for the tests' damaged recordings and streams
  gstreamer1.0-libav gstreamer1.0-plugins-ugly
)
for arg in "$@"; do
  case "$arg" in
    --fuzz) packages+=(clang-14 libclang-rt-14-dev) ;;
    --venv) packages+=(python3 python3-venv) ;;
    --bench) packages+=(python3 python3-torch python3-opencv gstreamer1.0-plugins-bad) ;;  # fpsdisplaysink
    # The element's CUDA memory: gstreamer-cuda-1.0 (its headers include
    # cudaGL.h, hence GL's), and cudaupload/nvh264dec for its GPU tests.
    --cuda) packages+=(libgstreamer-plugins-bad1.0-dev libgl-dev gstreamer1.0-plugins-bad) ;;
    --deb) packages+=(debhelper dpkg-dev) ;;
    *) echo "install-deps.sh: unknown option $arg (known: --fuzz, --venv, --bench, --cuda, --deb)" >&2; exit 2 ;;
  esac
done

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then sudo=(sudo); else
    echo "install-deps.sh: missing packages (${missing[*]}); run as root or install sudo" >&2; exit 1
  fi
else
  sudo=()
fi
echo "Installing ${missing[*]} ..."
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
