// A frame's YUV colour matrix and range, as the conversions in both
// directions use them.
#pragma once

#include <gst/video/video.h>
#include <torch/types.h>

namespace gncycleganir {

struct YuvCoefficients {
  double Kr, Kb;
  bool full_range;
};

// The caps' matrix (BT.601 when it has none) and range.
YuvCoefficients yuv_coefficients(const GstVideoInfo &info);

// A palette's 256 RGB colours (256 x 3 uint8) as Y, U, V bytes (256 x 3
// uint8) in the frame's matrix and range, on the palette's device.
torch::Tensor palette_in_yuv(const torch::Tensor &table, const GstVideoInfo &info);

}  // namespace gncycleganir
