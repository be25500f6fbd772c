// The bytes of a video buffer's first plane, row by row without the padding
// at the end of each row, read through host memory: what the element tests
// compare between runs.
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>

#include <vector>

namespace gncyclegan::test {

// `buffer` as negotiated on `pad` (its current caps). False when it cannot be
// mapped, `bytes` then left empty.
inline bool first_plane_rows(GstPad *pad, GstBuffer *buffer, std::vector<guint8> &bytes) {
  bytes.clear();
  GstCaps *caps = gst_pad_get_current_caps(pad);
  GstVideoInfo info;
  const bool known = caps && gst_video_info_from_caps(&info, caps);
  if (caps) gst_caps_unref(caps);
  GstVideoFrame frame;
  if (!known || !gst_video_frame_map(&frame, &info, buffer, GST_MAP_READ)) return false;
  const int row_bytes = GST_VIDEO_FRAME_COMP_PSTRIDE(&frame, 0) * GST_VIDEO_FRAME_WIDTH(&frame);
  for (int y = 0; y < GST_VIDEO_FRAME_HEIGHT(&frame); ++y) {
    const auto *row = static_cast<const guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0)) +
                      y * GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0);
    bytes.insert(bytes.end(), row, row + row_bytes);
  }
  gst_video_frame_unmap(&frame);
  return true;
}

}  // namespace gncyclegan::test
