#!/usr/bin/python3
"""Soak: the element running for a long time, as on a surveillance box. N live
WIDTHxHEIGHT sources at FPS frames/s, each `videotestsrc is-live=true !
gncycleganir ! fakesink` with the element's default properties (on the CPU:
the adaptive inference size; the streams share one engine), for FRAMES frames
a stream. Every --sample-every frames (of the first stream) it samples the
process's resident memory (all of it, and the anonymous part: what the
process allocated, without the library code paged in from disk), the bytes
malloc has handed out and not had back (glibc's mallinfo2: the heap in use),
open file descriptors and threads; each
frame's latency through the element (from its sink pad to its source pad) is
kept.

Prints one markdown table row per configuration: the slopes of the anonymous
resident memory and of the heap in use after the warm-up (KiB per 1,000
frames), over the samples taken at the inference size the run spent most of
its samples at: each compiled size holds buffers of its own, so a move of the
adaptive size steps the memory up or down without anything leaking. The
slope is Theil-Sen's (the median of the slopes between every two samples):
while the element tries a larger size it holds that size's buffers for a
minute, and those samples must not tilt the line. Then the resident memory's
start and end, file descriptors and threads at the first sample after the
warm-up and at the end, the latency percentiles, and that inference size
(with how often the samples saw the size change after the warm-up; the CSV of
--samples-out has it per sample).

Resident memory moves in steps of whole blocks (malloc's arenas and the
memory pool's blocks, megabytes each) that a short run cannot tell from a
leak; the heap in use moves by exactly what is allocated and not freed, so a
short run can bound it. Memory that bypasses malloc (mmap by a library) shows
only in the anonymous resident figure: a long run watches that one.

    benchmarks/soak.py [--frames 100000] [--streams 1,4] [--size 640x480] [--fps 30]
                       [--sample-every 1000] [--warm-up 5000] [--model surveillance]
                       [--properties "inference-width=320 inference-height=240"]
                       [--max-slope KIB] [--max-resident-slope KIB] [--samples-out FILE.csv]

--max-slope exits 1 when a configuration's heap slope is above KIB, or when
file descriptors or threads grew after the warm-up (.ci/run runs a short soak
with it); --max-resident-slope bounds the anonymous resident memory's slope
likewise.
Each configuration runs in a process of its own. Needs the plugin on
GST_PLUGIN_PATH (build/plugin).
"""
import argparse
import array
import csv
import ctypes
import json
import os
import statistics
import subprocess
import sys
import time


def size(text):
    width, _, height = text.partition("x")
    return int(width), int(height)


class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


_mallinfo2 = ctypes.CDLL(None).mallinfo2  # once: each lookup would itself allocate
_mallinfo2.restype = MallInfo2


def heap_in_use_kib():
    """Bytes in use in malloc's arenas plus its mmapped blocks (glibc >= 2.33)."""
    info = _mallinfo2()
    return (info.uordblks + info.hblkhd) // 1024


def process_sample():
    with open("/proc/self/status") as status:
        fields = dict(line.split(":", 1) for line in status if ":" in line)
    return {
        "rss_kib": int(fields["VmRSS"].split()[0]),
        "anon_kib": int(fields["RssAnon"].split()[0]),
        "heap_kib": heap_in_use_kib(),
        "threads": int(fields["Threads"]),
        "fds": len(os.listdir("/proc/self/fd")),
    }


def run_configuration(args):
    """In the child process: runs the pipeline, prints one JSON result."""
    import gi

    gi.require_version("Gst", "1.0")
    from gi.repository import Gst

    Gst.init(None)
    width, height = args.size
    model = (f" model={args.model}" if args.model else "") + (f" {args.properties}" if args.properties else "")
    branches = " ".join(
        f"videotestsrc is-live=true num-buffers={args.frames} ! "
        f"video/x-raw,width={width},height={height},framerate={args.fps}/1 ! "
        f"gncycleganir name=ir{i}{model} ! fakesink name=sink{i} sync=false"
        for i in range(args.streams))
    pipeline = Gst.parse_launch(branches)
    element = pipeline.get_by_name("ir0")
    entered = {}
    # Preallocated: the measurement must not grow the memory it measures.
    latencies_ms = array.array("d", bytes(8 * args.frames))
    latency_count = [0]
    samples = []
    frames = [0]

    def on_sink(_pad, info):
        entered[info.get_buffer().pts] = time.monotonic()
        return Gst.PadProbeReturn.OK

    def on_src(_pad, info):
        started = entered.pop(info.get_buffer().pts, None)
        if started is not None and latency_count[0] < len(latencies_ms):
            latencies_ms[latency_count[0]] = (time.monotonic() - started) * 1000
            latency_count[0] += 1
        return Gst.PadProbeReturn.OK

    def on_output(_pad, _info):
        frames[0] += 1
        if frames[0] % args.sample_every == 0:
            inference = f"{element.get_property('active-inference-width')}x{element.get_property('active-inference-height')}"
            samples.append({"frames": frames[0], "seconds": time.monotonic() - begun, "inference": inference,
                            **process_sample()})
        return Gst.PadProbeReturn.OK

    element.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, on_sink)
    element.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, on_src)
    pipeline.get_by_name("sink0").get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, on_output)
    begun = time.monotonic()
    pipeline.set_state(Gst.State.PLAYING)
    bus = pipeline.get_bus()
    message = bus.timed_pop_filtered(Gst.CLOCK_TIME_NONE, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    failure = None
    if message.type == Gst.MessageType.ERROR:
        error, debug = message.parse_error()
        failure = f"{error.message} ({debug})"
    pipeline.set_state(Gst.State.NULL)
    print(json.dumps({"failure": failure, "samples": samples, "latencies_ms": latencies_ms[:latency_count[0]].tolist(),
                      "frames": frames[0], "seconds": time.monotonic() - begun}))


def slope_kib_per_thousand(samples, key):
    """Theil-Sen: the median of the slopes between every two samples."""
    points = [(s["frames"] / 1000, s[key]) for s in samples]
    slopes = [(y2 - y1) / (x2 - x1) for i, (x1, y1) in enumerate(points) for x2, y2 in points[i + 1:] if x2 != x1]
    return statistics.median(slopes) if slopes else float("nan")


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=100000, help="frames per stream (default 100000)")
    parser.add_argument("--streams", default="1,4", help="stream counts to run, comma-separated (default 1,4)")
    parser.add_argument("--size", type=size, default=(640, 480), help="frame size WxH (default 640x480)")
    parser.add_argument("--fps", type=int, default=30, help="frames/s of each live source (default 30)")
    parser.add_argument("--sample-every", type=int, default=1000, help="frames between samples (default 1000)")
    parser.add_argument("--warm-up", type=int, default=5000,
                        help="frames before the slope is measured: the adaptive size settles, pools fill (default 5000)")
    parser.add_argument("--model", default="", help="model property (default: the element's default)")
    parser.add_argument("--properties", default="",
                        help="more element properties, e.g. \"inference-width=320 inference-height=240\" "
                             "(default: none, the element's defaults)")
    parser.add_argument("--max-slope", type=float,
                        help="fail when the heap in use grows more than this many KiB per 1,000 frames, or on fd/thread growth")
    parser.add_argument("--max-resident-slope", type=float,
                        help="fail when the anonymous resident memory grows more than this many KiB per 1,000 frames")
    parser.add_argument("--samples-out", help="write every sample of every configuration to this CSV file")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        args.streams = args.child
        run_configuration(args)
        return
    if args.warm_up + 2 * args.sample_every > args.frames:
        parser.error("--frames must leave at least two samples after --warm-up")

    width, height = args.size
    settings = "".join(f", {text}" for text in (f"model {args.model}" if args.model else "", args.properties) if text)
    print(f"{width}x{height} live at {args.fps} frames/s, element defaults{settings}, "
          f"{args.frames} frames a stream, samples every {args.sample_every}, slope after {args.warm_up}\n")
    print("| streams | frames | minutes | inference size most sampled (changes after warm-up) "
          "| resident MiB: after warm-up → end | slope at that size, KiB / 1,000 frames: anonymous resident / heap | fds | threads | latency ms p50 / p99 / max |")
    print("|---:|---:|---:|---|---|---|---|---|---|")
    failed = []
    rows = []
    for streams in [int(n) for n in args.streams.split(",")]:
        child = [sys.executable, os.path.abspath(__file__), "--child", str(streams), "--frames", str(args.frames),
                 "--size", f"{width}x{height}", "--fps", str(args.fps), "--sample-every", str(args.sample_every),
                 "--warm-up", str(args.warm_up), "--model", args.model, "--properties", args.properties]
        done = subprocess.run(child, stdout=subprocess.PIPE, text=True)
        if done.returncode != 0 or not done.stdout.strip():
            sys.exit(f"soak.py: the {streams}-stream run failed (status {done.returncode})")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        if result["failure"]:
            sys.exit(f"soak.py: the {streams}-stream run stopped with an error: {result['failure']}")
        settled = [s for s in result["samples"] if s["frames"] > args.warm_up]
        if len(settled) < 2:
            sys.exit(f"soak.py: the {streams}-stream run gave {result['frames']} frames, too few to measure")
        usual_size = statistics.mode(s["inference"] for s in settled)
        at_usual_size = [s for s in settled if s["inference"] == usual_size]
        slope = slope_kib_per_thousand(at_usual_size, "anon_kib")
        heap_slope = slope_kib_per_thousand(at_usual_size, "heap_kib")
        first, last = settled[0], settled[-1]
        latencies = result["latencies_ms"]
        # Sizes the adaptive ladder moved between after warm-up, as the samples saw them.
        moves = sum(1 for a, b in zip(settled, settled[1:]) if a["inference"] != b["inference"])
        print(f"| {streams} | {result['frames']} | {result['seconds'] / 60:.1f} "
              f"| {usual_size} ({moves} changes) "
              f"| {first['rss_kib'] / 1024:.1f} → {last['rss_kib'] / 1024:.1f} | {slope:.2f} / {heap_slope:.2f} "
              f"| {first['fds']} → {last['fds']} | {first['threads']} → {last['threads']} "
              f"| {percentile(latencies, 0.5):.1f} / {percentile(latencies, 0.99):.1f} / {max(latencies):.1f} |", flush=True)
        rows += [{"streams": streams, **s} for s in result["samples"]]
        if args.max_resident_slope is not None and slope > args.max_resident_slope:
            failed.append(f"{streams} streams: anonymous resident memory grew {slope:.2f} KiB per 1,000 frames "
                          f"(limit {args.max_resident_slope})")
        if args.max_slope is not None:
            if heap_slope > args.max_slope:
                failed.append(f"{streams} streams: the heap in use grew {heap_slope:.2f} KiB per 1,000 frames "
                              f"(limit {args.max_slope})")
            if last["fds"] > first["fds"] or last["threads"] > first["threads"]:
                failed.append(f"{streams} streams: file descriptors {first['fds']} → {last['fds']}, "
                              f"threads {first['threads']} → {last['threads']}")
    if args.samples_out:
        with open(args.samples_out, "w", newline="") as out:
            writer = csv.DictWriter(out, ["streams", "frames", "seconds", "inference", "rss_kib", "anon_kib",
                                          "heap_kib", "fds", "threads"], lineterminator="\n")
            writer.writeheader()
            writer.writerows({**r, "seconds": f"{r['seconds']:.1f}"} for r in rows)
    if failed:
        sys.exit("soak.py: " + "; ".join(failed))


if __name__ == "__main__":
    main()
