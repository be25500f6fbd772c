#!/usr/bin/env python3
"""A live test camera served over RTSP on loopback (gst-rtsp-server, Debian's
gir1.2-gst-rtsp-server-1.0): rtsp://127.0.0.1:PORT/stream, MJPEG over RTP.

    tests/support/rtsp_camera.py PORT [WIDTH HEIGHT]

Prints "serving rtsp://127.0.0.1:PORT/stream" once the port is bound, then
serves until it is killed, as a camera that loses power would stop.
"""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main() -> int:
    if len(sys.argv) not in (2, 4):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    port = sys.argv[1]
    width, height = (sys.argv[2], sys.argv[3]) if len(sys.argv) == 4 else ("64", "48")
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        f"( videotestsrc is-live=true pattern=ball ! video/x-raw,format=I420,width={width},height={height},framerate=15/1"
        " ! jpegenc ! rtpjpegpay name=pay0 pt=26 )")
    factory.set_shared(True)
    server.get_mount_points().add_factory("/stream", factory)
    if server.attach(None) == 0:
        print(f"rtsp_camera.py: cannot listen on 127.0.0.1:{port}", file=sys.stderr)
        return 1
    print(f"serving rtsp://127.0.0.1:{port}/stream", flush=True)
    GLib.MainLoop().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
