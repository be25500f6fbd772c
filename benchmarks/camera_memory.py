#!/usr/bin/python3
"""Memory per camera, as a user runs it: N branches of

    videotestsrc is-live=true ! video/x-raw,format=I420,width=W,height=H,framerate=F/1
      ! gncycleganir device=cpu inference-width=IW inference-height=IH batch-size=B ! fakesink sync=false

in one gst-launch-1.0 (so one shared engine), each branch FRAMES frames long.
Each configuration runs in a process of its own; its peak resident memory is
the kernel's (ru_maxrss of that process). Prints one markdown table: streams,
batch-size, peak resident MiB, and what each stream beyond the first added to
it against the one-branch run of the same batch-size.

    benchmarks/camera_memory.py [--streams 1,8] [--batch-sizes 1,8] [--frames 60]
                                [--size 320x240] [--fps 10] [--inference 160x120]
                                [--model surveillance] [--max-per-stream MIB]

With --max-per-stream it exits 1 when a configuration's MiB per extra stream
is above MIB (.ci/run uses it). Needs the plugin on GST_PLUGIN_PATH
(build/plugin).
"""
import argparse
import os
import shutil
import subprocess
import sys


def size(text):
    width, _, height = text.partition("x")
    return int(width), int(height)


def branch(args, batch_size):
    width, height = args.size
    inference_width, inference_height = args.inference
    return ["videotestsrc", "is-live=true", f"num-buffers={args.frames}", "!",
            f"video/x-raw,format=I420,width={width},height={height},framerate={args.fps}/1", "!",
            "gncycleganir", "device=cpu", f"model={args.model}", f"inference-width={inference_width}",
            f"inference-height={inference_height}", f"batch-size={batch_size}", "!", "fakesink", "sync=false"]


def peak_resident_mib(args, streams, batch_size):
    command = [args.gst_launch, "-q"]
    for _ in range(streams):
        command += branch(args, batch_size)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    error = process.stderr.read()
    process.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"camera_memory.py: {streams} branches with batch-size {batch_size} failed:\n{error.strip()}")
    return usage.ru_maxrss / 1024  # KiB on Linux


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", default="1,8", help="branch counts, comma-separated; 1 is always run (default 1,8)")
    parser.add_argument("--batch-sizes", default="1,8", help="the elements' batch-size, comma-separated (default 1,8)")
    parser.add_argument("--frames", type=int, default=60, help="frames per branch (default 60)")
    parser.add_argument("--size", type=size, default=(320, 240), help="frame size WxH (default 320x240)")
    parser.add_argument("--fps", type=int, default=10, help="frames/s of each live source (default 10)")
    parser.add_argument("--inference", type=size, default=(160, 120), help="inference size WxH (default 160x120)")
    parser.add_argument("--model", default="surveillance", help="model property (default surveillance)")
    parser.add_argument("--max-per-stream", type=float, help="fail when a stream beyond the first adds more MiB")
    parser.add_argument("--gst-launch", default=shutil.which("gst-launch-1.0") or "gst-launch-1.0")
    args = parser.parse_args()
    counts = sorted({1, *(int(n) for n in args.streams.split(","))})
    batch_sizes = [int(b) for b in args.batch_sizes.split(",")]

    width, height = args.size
    inference_width, inference_height = args.inference
    print(f"{width}x{height} live at {args.fps} frames/s, inference {inference_width}x{inference_height}, "
          f"model {args.model}, {args.frames} frames a branch, one gst-launch-1.0 each\n")
    print("| streams | batch-size | peak resident MiB | MiB per extra stream |")
    print("|---:|---:|---:|---:|")
    worst = 0.0
    for batch_size in batch_sizes:
        one = None
        for streams in counts:
            peak = peak_resident_mib(args, streams, batch_size)
            if streams == 1:
                one = peak
                extra = "–"
            else:
                per_stream = (peak - one) / (streams - 1)
                worst = max(worst, per_stream)
                extra = f"{per_stream:.1f}"
            print(f"| {streams} | {batch_size} | {peak:.0f} | {extra} |", flush=True)
    if args.max_per_stream is not None and worst > args.max_per_stream:
        sys.exit(f"camera_memory.py: a stream beyond the first added {worst:.1f} MiB, over --max-per-stream "
                 f"{args.max_per_stream}")


if __name__ == "__main__":
    main()
