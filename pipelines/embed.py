#!/usr/bin/env python3
"""Embedding gncycleganir in an application (Python GObject bindings,
Debian's python3-gst-1.0): build a pipeline, switch the palette while it
plays, read the element's statistics, and turn bus errors into an exit status.

    pipelines/embed.py [SOURCE]     default SOURCE: "v4l2src"; e.g. "videotestsrc num-buffers=90"
"""
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def main() -> int:
    Gst.init(None)
    source = sys.argv[1] if len(sys.argv) > 1 else "v4l2src"
    sink = "fakesink sync=false" if "num-buffers" in source else "autovideosink"
    pipeline = Gst.parse_launch(f"{source} ! gncycleganir name=ir ! {sink}")
    infrared = pipeline.get_by_name("ir")
    loop = GLib.MainLoop()
    status = 0

    def on_message(_bus, message):
        nonlocal status
        if message.type == Gst.MessageType.ERROR:
            error, _debug = message.parse_error()
            print(f"error: {error.message}", file=sys.stderr)
            status = 1
            loop.quit()
        elif message.type == Gst.MessageType.EOS:
            loop.quit()

    def cycle_palette():
        palettes = ["white-hot", "black-hot", "ironbow", "rainbow", "lava", "arctic"]
        current = palettes.index(infrared.get_property("palette").value_nick)
        Gst.util_set_object_arg(infrared, "palette", palettes[(current + 1) % len(palettes)])
        return True  # keep the timer

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    GLib.timeout_add_seconds(2, cycle_palette)
    pipeline.set_state(Gst.State.PLAYING)
    try:
        loop.run()
    except KeyboardInterrupt:
        pass
    frames = infrared.get_property("frames-processed")
    latency = infrared.get_property("mean-latency")
    pipeline.set_state(Gst.State.NULL)
    print(f"{frames} frames, {latency:.1f} ms per frame")
    return status


if __name__ == "__main__":
    sys.exit(main())
