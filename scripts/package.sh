#!/usr/bin/env bash
# Builds the Debian packages from the working tree (tracked and untracked
# files that git does not ignore) with dpkg-buildpackage, in a scratch copy,
# and puts them in build-deb/:
#   gstreamer1.0-gncycleganir_VERSION_ARCH.deb   the element and the bundled models
#   gncycleganir-tools_VERSION_ARCH.deb          gncyclegan-train, gncyclegan-eval
# Built with Debian's LibTorch (CPU), without OpenVINO or CUDA (debian/rules).
#
#   scripts/package.sh             build (a release build: about as long as the tests' build)
#   scripts/package.sh --if-absent build only when build-deb/ has no packages of this version
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(dpkg-parsechangelog -l debian/changelog -S Version 2>/dev/null || sed -n '1s/.*(\(.*\)).*/\1/p' debian/changelog)
out=$PWD/build-deb
if [ "${1:-}" = "--if-absent" ] && compgen -G "$out/gstreamer1.0-gncycleganir_${version}_*.deb" >/dev/null \
   && compgen -G "$out/gncycleganir-tools_${version}_*.deb" >/dev/null; then
  ls "$out"/*_"$version"_*.deb
  exit 0
fi
scripts/install-deps.sh --deb

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
source_dir=$scratch/gncycleganir-$version
mkdir -p "$source_dir"
git ls-files -z --cached --others --exclude-standard \
  | tar --null --files-from=- --ignore-failed-read -cf - | tar -xf - -C "$source_dir"

echo "Building the packages of gncycleganir $version in $scratch ..."
(cd "$source_dir" && DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
   dpkg-buildpackage -b -us -uc > "$scratch/build.log" 2>&1) || {
  tail -n 40 "$scratch/build.log" >&2
  echo "package.sh: dpkg-buildpackage failed (the end of its log is above)" >&2
  exit 1
}
mkdir -p "$out"
rm -f "$out"/*.deb
mv "$scratch"/*.deb "$out"/
ls "$out"/*.deb
