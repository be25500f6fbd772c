#include "plugin/yuv_matrix.h"

#include <ATen/ATen.h>

namespace gncycleganir {

YuvCoefficients yuv_coefficients(const GstVideoInfo &info) {
  YuvCoefficients k{0.299, 0.114, info.colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255};
  gdouble Kr = 0, Kb = 0;
  if (gst_video_color_matrix_get_Kr_Kb(info.colorimetry.matrix, &Kr, &Kb)) k = {Kr, Kb, k.full_range};
  return k;
}

torch::Tensor palette_in_yuv(const torch::Tensor &table, const GstVideoInfo &info) {
  const auto k = yuv_coefficients(info);
  auto rgb = table.to(torch::kFloat32).div(255.0);
  auto r = rgb.select(1, 0), g = rgb.select(1, 1), b = rgb.select(1, 2);
  auto y = k.Kr * r + (1 - k.Kr - k.Kb) * g + k.Kb * b;
  auto u = (b - y) / (2 * (1 - k.Kb)), v = (r - y) / (2 * (1 - k.Kr));
  const double y_scale = k.full_range ? 255 : 219, y_offset = k.full_range ? 0 : 16, c_scale = k.full_range ? 255 : 224;
  return torch::stack({y * y_scale + y_offset, u * c_scale + 128, v * c_scale + 128}, 1)
      .round()
      .clamp(0, 255)
      .to(torch::kUInt8);
}

}  // namespace gncycleganir
