#!/usr/bin/env python3
"""A live test camera served over RTSP on loopback (gst-rtsp-server, Debian's
gir1.2-gst-rtsp-server-1.0): rtsp://127.0.0.1:PORT/stream, MJPEG over RTP; or,
with --h264-file, the H.264 video of an MPEG-TS file, in real time, as sent
(a file with corrupt stretches stands for a failing camera or link).

    tests/support/rtsp_camera.py PORT [WIDTH HEIGHT] [--h264-file FILE.ts]

Prints "serving rtsp://127.0.0.1:PORT/stream" once the port is bound, then
serves until it is killed, as a camera that loses power would stop.
"""
import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("port")
    parser.add_argument("size", nargs="*", default=["64", "48"], help="WIDTH HEIGHT of the test pattern (default 64 48)")
    parser.add_argument("--h264-file", help="serve this MPEG-TS file's H.264 video instead of a test pattern")
    args = parser.parse_args()
    if len(args.size) != 2:
        parser.error("give both WIDTH and HEIGHT, or neither")
    width, height = args.size
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(args.port)
    factory = GstRtspServer.RTSPMediaFactory()
    if args.h264_file:
        factory.set_launch(f'( filesrc location="{args.h264_file}" ! tsdemux ! h264parse ! identity sync=true'
                           " ! rtph264pay name=pay0 pt=96 config-interval=-1 )")
    else:
        factory.set_launch(
            f"( videotestsrc is-live=true pattern=ball ! video/x-raw,format=I420,width={width},height={height},"
            "framerate=15/1 ! jpegenc ! rtpjpegpay name=pay0 pt=26 )")
    factory.set_shared(True)
    server.get_mount_points().add_factory("/stream", factory)
    if server.attach(None) == 0:
        print(f"rtsp_camera.py: cannot listen on 127.0.0.1:{args.port}", file=sys.stderr)
        return 1
    print(f"serving rtsp://127.0.0.1:{args.port}/stream", flush=True)
    GLib.MainLoop().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
