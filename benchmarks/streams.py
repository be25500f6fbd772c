#!/usr/bin/python3
"""Many live cameras in one process: N streams of WIDTHxHEIGHT at 30 frames/s,
each `videotestsrc is-live=true ! gncycleganir ! fakesink sync=true`, through
separate engines (a distinct engine-id each), one shared engine (the default
for elements set up alike), and one shared engine batching the N streams
(batch-size=N). Each configuration runs in a process of its own; it prints
one markdown table: streams, engines, aggregate frames/s converted, mean
per-stream latency (the elements' mean-latency), the process's resident
memory after the run (VmRSS), and what each stream beyond the first added to
it (against the one-stream run).

    benchmarks/streams.py [--streams 1,4,8] [--seconds 20] [--size 320x240]
                          [--model surveillance] [--batch-timeout 10]

The inference size is fixed at the frame size, so that every configuration
does the same work per frame (the adaptive size would otherwise shrink the
frames of a loaded CPU). Needs the plugin on GST_PLUGIN_PATH (build/plugin).
"""
import argparse
import json
import subprocess
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

MODES = ("separate", "shared", "batched")


def resident_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def run_one(mode, streams, seconds, width, height, model, batch_timeout):
    """One configuration, in this process: a JSON line with its figures."""
    Gst.init(None)
    branches = []
    for index in range(streams):
        engine = {"separate": f"engine-id=camera{index}", "shared": "",
                  "batched": f"batch-size={streams} batch-timeout={batch_timeout}"}[mode]
        branches.append(
            f"videotestsrc is-live=true pattern=ball ! video/x-raw,format=I420,width={width},height={height},"
            f"framerate=30/1 ! gncycleganir name=ir{index} model={model} inference-width={width} "
            f"inference-height={height} {engine} ! fakesink sync=true")
    pipeline = Gst.parse_launch(" ".join(branches))
    elements = [pipeline.get_by_name(f"ir{index}") for index in range(streams)]
    pipeline.set_state(Gst.State.PLAYING)
    if pipeline.get_state(120 * Gst.SECOND)[0] != Gst.StateChangeReturn.SUCCESS:
        raise SystemExit(f"streams.py: the {mode} pipeline of {streams} streams did not start")
    time.sleep(3)  # warm: compiled, allocators grown
    frames_before = sum(element.get_property("frames-processed") for element in elements)
    started = time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - started
    frames = sum(element.get_property("frames-processed") for element in elements) - frames_before
    latency = sum(element.get_property("mean-latency") for element in elements) / streams
    resident = resident_kib()
    bus = pipeline.get_bus()
    error = bus.pop_filtered(Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if error:
        raise SystemExit(f"streams.py: {error.parse_error()[0].message}")
    print(json.dumps({"mode": mode, "streams": streams, "fps": frames / elapsed,
                      "latency_ms": latency, "resident_mib": resident / 1024}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", default="1,4,8", help="stream counts (default: 1,4,8)")
    parser.add_argument("--seconds", type=float, default=20, help="measured seconds per configuration (default: 20)")
    parser.add_argument("--size", default="320x240", help="frame size (default: 320x240)")
    parser.add_argument("--model", default="surveillance", help="a bundled model's name or a weights file")
    parser.add_argument("--batch-timeout", type=int, default=10, help="milliseconds (default: 10)")
    parser.add_argument("--run", choices=MODES, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    width, height = (int(side) for side in arguments.size.split("x"))
    counts = [int(count) for count in arguments.streams.split(",")]
    if arguments.run:
        run_one(arguments.run, counts[0], arguments.seconds, width, height, arguments.model, arguments.batch_timeout)
        return 0
    print(f"{arguments.size} live streams at 30 frames/s, {arguments.model}, {arguments.seconds:g} s each, "
          f"batch-timeout {arguments.batch_timeout} ms\n")
    print("| streams | engines | aggregate frames/s | mean latency ms | resident MiB | MiB per extra stream |")
    print("|---:|---|---:|---:|---:|---:|")
    one_stream = None
    for count in counts:
        for mode in MODES:
            if mode == "batched" and count == 1:
                continue
            result = subprocess.run(
                [sys.executable, __file__, "--run", mode, "--streams", str(count), "--seconds", str(arguments.seconds),
                 "--size", arguments.size, "--model", arguments.model, "--batch-timeout", str(arguments.batch_timeout)],
                capture_output=True, text=True)
            if result.returncode != 0:
                print(result.stderr, file=sys.stderr)
                return 1
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            label = {"separate": f"{count} separate", "shared": "1 shared",
                     "batched": f"1 shared, batch-size {count}"}[mode]
            if count == 1 and one_stream is None:
                one_stream = figures["resident_mib"]
            per_extra = (f"{(figures['resident_mib'] - one_stream) / (count - 1):.1f}"
                         if count > 1 and one_stream is not None else "–")
            print(f"| {count} | {label} | {figures['fps']:.1f} | {figures['latency_ms']:.1f} | "
                  f"{figures['resident_mib']:.0f} | {per_extra} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
