"""The gncycleganir element's throughput in a pipeline that decodes a file
and discards the result as fast as it comes:

    filesrc ! decodebin ! gncycleganir ! GRAY8 ! fakesink sync=false

usage: element_throughput.py VIDEO MODEL THREADS
prints: frames/s (from the median time between frames, after the first two) and the element's mean-latency in ms
"""
import statistics
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402


def main(video, model, threads):
    Gst.init(None)
    pipeline = Gst.parse_launch(
        f'filesrc location="{video}" ! decodebin ! gncycleganir name=ir model="{model}" num-threads={threads} '
        "! video/x-raw,format=GRAY8 ! fakesink name=sink sync=false"
    )
    arrivals = []
    pad = pipeline.get_by_name("sink").get_static_pad("sink")
    pad.add_probe(Gst.PadProbeType.BUFFER, lambda *_: arrivals.append(time.monotonic()) or Gst.PadProbeReturn.OK)
    pipeline.set_state(Gst.State.PLAYING)
    message = pipeline.get_bus().timed_pop_filtered(Gst.CLOCK_TIME_NONE, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    if message.type == Gst.MessageType.ERROR:
        sys.exit(f"element_throughput.py: {message.parse_error()[0].message}")
    latency = pipeline.get_by_name("ir").get_property("mean-latency")
    pipeline.set_state(Gst.State.NULL)
    gaps = [later - earlier for earlier, later in zip(arrivals[2:], arrivals[3:])]
    print(f"{1 / statistics.median(gaps):.3f} {latency:.1f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
