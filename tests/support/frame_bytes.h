// Video buffers for the element tests: a frame of random bytes to push, and
// the bytes of a buffer's first plane, row by row without the padding at the
// end of each row, read through host memory: what they compare between runs.
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace gncyclegan::test {

// A frame of `caps` whose bytes are random (valid for every 8-bit format),
// with a video meta.
inline GstBuffer *random_frame(const std::string &caps_text, unsigned seed) {
  GstCaps *caps = gst_caps_from_string(caps_text.c_str());
  GstVideoInfo info;
  EXPECT_TRUE(caps && gst_video_info_from_caps(&info, caps)) << caps_text;
  if (caps) gst_caps_unref(caps);
  GstBuffer *buffer = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info), nullptr);
  GstMapInfo map;
  gst_buffer_map(buffer, &map, GST_MAP_WRITE);
  std::mt19937 random(seed);
  for (gsize i = 0; i < map.size; ++i) map.data[i] = static_cast<guint8>(random());
  gst_buffer_unmap(buffer, &map);
  gst_buffer_add_video_meta_full(buffer, GST_VIDEO_FRAME_FLAG_NONE, GST_VIDEO_INFO_FORMAT(&info),
                                 GST_VIDEO_INFO_WIDTH(&info), GST_VIDEO_INFO_HEIGHT(&info),
                                 GST_VIDEO_INFO_N_PLANES(&info), info.offset, info.stride);
  return buffer;
}

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
