#include "plugin/frame_conversion_cpu.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <ATen/Parallel.h>

#include <array>

#include "plugin/yuv_matrix.h"

namespace gncycleganir {
namespace {

// Rows per task: a few rows of a video frame are enough work to be worth a thread.
constexpr int64_t kRowGrain = 16;

// Where component `c` of row `y` starts, and how far apart its pixels are
// (subsampled components: the row and columns of their own plane).
struct ComponentRow {
  const guint8 *start;
  int pixel_stride;
  int w_sub;
};

ComponentRow component_row(const GstVideoFrame *frame, int c, int y) {
  const int plane = GST_VIDEO_FRAME_COMP_PLANE(frame, c);
  const int h_sub = GST_VIDEO_FORMAT_INFO_H_SUB(frame->info.finfo, c);
  const auto *data = static_cast<const guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(frame, plane));
  return {data + (y >> h_sub) * GST_VIDEO_FRAME_PLANE_STRIDE(frame, plane) + GST_VIDEO_FRAME_COMP_POFFSET(frame, c),
          GST_VIDEO_FRAME_COMP_PSTRIDE(frame, c), GST_VIDEO_FORMAT_INFO_W_SUB(frame->info.finfo, c)};
}

guint8 at(const ComponentRow &row, int x) { return row.start[(x >> row.w_sub) * row.pixel_stride]; }

guint8 *writable(const ComponentRow &row) { return const_cast<guint8 *>(row.start); }

// model_to_u8: nearbyint rounds half to even, as torch::round does.
inline int level_u8(float value) {
  const float clamped = std::min(1.0f, std::max(-1.0f, value));
  return int(std::nearbyint((clamped + 1.0f) * 127.5f));
}

}  // namespace

torch::Tensor frame_to_model_cpu(const GstVideoFrame *frame) {
  const GstVideoInfo &info = frame->info;
  const int width = GST_VIDEO_FRAME_WIDTH(frame), height = GST_VIDEO_FRAME_HEIGHT(frame);
  auto rgb = torch::empty({1, 3, height, width}, torch::kFloat32);
  float *out = rgb.data_ptr<float>();
  const int64_t plane_size = int64_t(width) * height;
  const bool is_rgb = GST_VIDEO_INFO_IS_RGB(&info), is_gray = GST_VIDEO_INFO_IS_GRAY(&info);
  const YuvCoefficients k = yuv_coefficients(info);
  // The same arithmetic as frame_to_model_by_ops, in float.
  const float y_div = k.full_range ? 255.0f : 219.0f, y_offset = k.full_range ? 0.0f : 16.0f;
  const float c_div = k.full_range ? 255.0f : 224.0f;
  const float r_v = float(2 * (1 - k.Kr)), b_u = float(2 * (1 - k.Kb)), g_div = float(1 - k.Kr - k.Kb);
  const float kr = float(k.Kr), kb = float(k.Kb);
  at::parallel_for(0, height, kRowGrain, [&](int64_t begin, int64_t end) {
    for (int64_t y = begin; y < end; ++y) {
      float *r_out = out + y * width, *g_out = r_out + plane_size, *b_out = g_out + plane_size;
      if (is_rgb || is_gray) {
        const auto r = component_row(frame, is_gray ? 0 : GST_VIDEO_COMP_R, int(y));
        const auto g = component_row(frame, is_gray ? 0 : GST_VIDEO_COMP_G, int(y));
        const auto b = component_row(frame, is_gray ? 0 : GST_VIDEO_COMP_B, int(y));
        for (int x = 0; x < width; ++x) {
          r_out[x] = float(at(r, x)) / 255.0f * 2.0f - 1.0f;
          g_out[x] = float(at(g, x)) / 255.0f * 2.0f - 1.0f;
          b_out[x] = float(at(b, x)) / 255.0f * 2.0f - 1.0f;
        }
        continue;
      }
      const auto Y = component_row(frame, GST_VIDEO_COMP_Y, int(y));
      const auto U = component_row(frame, GST_VIDEO_COMP_U, int(y));
      const auto V = component_row(frame, GST_VIDEO_COMP_V, int(y));
      for (int x = 0; x < width; ++x) {
        const float luma = (float(at(Y, x)) - y_offset) / y_div;
        const float u = (float(at(U, x)) - 128.0f) / c_div, v = (float(at(V, x)) - 128.0f) / c_div;
        const float r = luma + r_v * v, b = luma + b_u * u;
        const float g = (luma - kr * r - kb * b) / g_div;
        r_out[x] = std::min(1.0f, std::max(0.0f, r)) * 2.0f - 1.0f;
        g_out[x] = std::min(1.0f, std::max(0.0f, g)) * 2.0f - 1.0f;
        b_out[x] = std::min(1.0f, std::max(0.0f, b)) * 2.0f - 1.0f;
      }
    }
  });
  return rgb;
}

void model_to_frame_cpu(const torch::Tensor &infrared, Palette palette, const torch::Tensor &table,
                        GstVideoFrame *frame) {
  const GstVideoInfo &info = frame->info;
  const int width = GST_VIDEO_FRAME_WIDTH(frame), height = GST_VIDEO_FRAME_HEIGHT(frame);
  const torch::Tensor values = infrared.reshape({height, width}).to(torch::kFloat32).contiguous();
  const float *in = values.data_ptr<float>();
  const GstVideoFormat format = GST_VIDEO_INFO_FORMAT(&info);
  const bool black_hot = palette == Palette::black_hot;

  // Colour formats: each component's 256-entry lookup, from the palette
  // (in the frame's YUV matrix and range for YUV formats).
  torch::Tensor colours;  // 256 x 3 uint8: R, G, B or Y, U, V
  std::vector<int> components;
  if (GST_VIDEO_INFO_IS_RGB(&info)) {
    colours = table.to(torch::kCPU, torch::kUInt8).contiguous();
    components = {GST_VIDEO_COMP_R, GST_VIDEO_COMP_G, GST_VIDEO_COMP_B};
  } else if (GST_VIDEO_INFO_IS_YUV(&info)) {
    colours = palette_in_yuv(table.to(torch::kCPU), info).contiguous();
    components = {GST_VIDEO_COMP_Y, GST_VIDEO_COMP_U, GST_VIDEO_COMP_V};
  }
  std::vector<std::array<guint8, 256>> lookups(components.size());
  if (colours.defined()) {
    const auto entries = colours.accessor<uint8_t, 2>();
    for (size_t i = 0; i < components.size(); ++i)
      for (int level = 0; level < 256; ++level) lookups[i][level] = entries[level][long(i)];
  }
  // RGBx-style formats: the padding byte is 255, like an opaque alpha.
  int padding = -1;
  if (GST_VIDEO_INFO_IS_RGB(&info) && GST_VIDEO_FRAME_COMP_PSTRIDE(frame, 0) == 4)
    padding = GST_VIDEO_INFO_HAS_ALPHA(&info)
                  ? GST_VIDEO_FRAME_COMP_POFFSET(frame, GST_VIDEO_COMP_A)
                  : 0 + 1 + 2 + 3 - GST_VIDEO_FRAME_COMP_POFFSET(frame, GST_VIDEO_COMP_R) -
                        GST_VIDEO_FRAME_COMP_POFFSET(frame, GST_VIDEO_COMP_G) -
                        GST_VIDEO_FRAME_COMP_POFFSET(frame, GST_VIDEO_COMP_B);

  at::parallel_for(0, height, kRowGrain, [&](int64_t begin, int64_t end) {
    for (int64_t y = begin; y < end; ++y) {
      const float *row = in + y * width;
      if (format == GST_VIDEO_FORMAT_GRAY16_LE) {
        auto *out = writable(component_row(frame, 0, int(y)));
        for (int x = 0; x < width; ++x) {
          const double clamped = std::min(1.0, std::max(-1.0, double(row[x])));
          int level = int(std::nearbyint((clamped + 1.0) * 32767.5));
          if (black_hot) level = 65535 - level;
          out[2 * x] = guint8(level & 255);
          out[2 * x + 1] = guint8(level >> 8);
        }
        continue;
      }
      if (GST_VIDEO_INFO_IS_GRAY(&info)) {
        const auto gray = component_row(frame, 0, int(y));
        for (int x = 0; x < width; ++x) {
          const int level = level_u8(row[x]);
          writable(gray)[x * gray.pixel_stride] = guint8(black_hot ? 255 - level : level);
        }
        continue;
      }
      for (size_t i = 0; i < components.size(); ++i) {
        const int c = components[i];
        // Subsampled components take the level at each block's top-left pixel.
        const int h_sub = GST_VIDEO_FORMAT_INFO_H_SUB(info.finfo, c);
        if (y % (1 << h_sub)) continue;
        const auto target = component_row(frame, c, int(y));
        const int step = 1 << target.w_sub;
        guint8 *out = writable(target);
        for (int x = 0, i_out = 0; x < width; x += step, ++i_out)
          out[i_out * target.pixel_stride] = lookups[i][level_u8(row[x])];
      }
      if (padding >= 0) {
        auto *bytes = static_cast<guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(frame, 0)) + y * GST_VIDEO_FRAME_PLANE_STRIDE(frame, 0);
        for (int x = 0; x < width; ++x) bytes[4 * x + padding] = 255;
      }
    }
  });
}

}  // namespace gncycleganir
