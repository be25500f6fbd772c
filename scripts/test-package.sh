#!/usr/bin/env bash
# Installs the Debian packages (scripts/package.sh builds them when build-deb/
# has none), checks that GStreamer finds the element on the system plugin path,
# with no GST_PLUGIN_PATH, and that it converts 10 frames with its installed
# default model; that the tools run; then removes both packages and checks that
# nothing of them is left. Needs root (apt-get); CI runs it (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
debs=$(scripts/package.sh --if-absent)
plugin_deb=$(grep '/gstreamer1.0-gncycleganir_' <<<"$debs")
tools_deb=$(grep '/gncycleganir-tools_' <<<"$debs")
[ "$(id -u)" -eq 0 ] && sudo=() || sudo=(sudo)
packages=(gstreamer1.0-gncycleganir gncycleganir-tools)
fail() { echo "test-package.sh: $*" >&2; exit 1; }

# A registry and an environment of their own: only the system's plugins.
registry=$(mktemp -d)
trap 'rm -rf "$registry"' EXIT
system() { env -u GST_PLUGIN_PATH -u GST_PLUGIN_SYSTEM_PATH GST_REGISTRY_1_0="$registry/registry.bin" "$@"; }

echo "1/4 installing $plugin_deb and $tools_deb"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$plugin_deb" "$tools_deb" >/dev/null

echo "2/4 gst-inspect-1.0 gncycleganir, from the system plugin path"
system gst-inspect-1.0 gncycleganir > "$registry/inspect.txt" || fail "gst-inspect-1.0 does not find the installed element"
grep -q "$(dpkg-query -W -f='${Version}' gstreamer1.0-gncycleganir)" "$registry/inspect.txt" \
  || fail "gst-inspect-1.0 shows another version of the element than the package's"
grep -Eq "Filename +(/usr)?/lib/[^ ]*/gstreamer-1.0/libgstgncycleganir.so" "$registry/inspect.txt" \
  || fail "the element was not loaded from the system plugin path (/usr/lib or merged /lib)"

echo "3/4 converting 10 frames with the installed default model; the tools' --help"
system gst-launch-1.0 -q videotestsrc num-buffers=10 ! video/x-raw,width=320,height=240 \
  ! gncycleganir ! video/x-raw,format=GRAY8 ! fakesink || fail "the 10-frame pipeline failed"
gncyclegan-train --help >/dev/null || fail "gncyclegan-train --help failed"
gncyclegan-eval --help >/dev/null || fail "gncyclegan-eval --help failed"

echo "4/4 removing the packages"
installed_files=$(dpkg -L "${packages[@]}" | while read -r path; do [ -f "$path" ] && echo "$path"; done)
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "${packages[@]}" >/dev/null
while read -r path; do
  [ ! -e "$path" ] || fail "$path is left after removing the packages"
done <<<"$installed_files"
rm -f "$registry/registry.bin"
if system gst-inspect-1.0 gncycleganir >/dev/null 2>&1; then fail "the element is still found after removal"; fi
echo "package test passed: $(wc -l <<<"$installed_files") files installed, run and removed"
