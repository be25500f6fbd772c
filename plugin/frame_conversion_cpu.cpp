#include "plugin/frame_conversion_cpu.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <vector>

#include <ATen/Parallel.h>

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

// Rounds half to even, as std::nearbyint and torch::round do in the default
// rounding mode, for 0 <= x <= 2^22: adding 1.5 * 2^23 leaves no fraction
// bits, so the float addition itself rounds. Inline and vectorizable, where
// nearbyintf is a call into libm per pixel on a baseline x86-64 build.
inline float round_half_even(float x) {
  constexpr float kShift = 12582912.0f;  // 1.5 * 2^23
  return (x + kShift) - kShift;
}

// model_to_u8's level of a value.
inline int level_u8(float value) {
  const float clamped = std::min(1.0f, std::max(-1.0f, value));
  return int(round_half_even((clamped + 1.0f) * 127.5f));
}

// A value per byte: what the per-pixel arithmetic computes, once per level.
template <typename Function>
std::array<float, 256> per_byte(Function function) {
  std::array<float, 256> values;
  for (int level = 0; level < 256; ++level) values[level] = function(float(level));
  return values;
}

// at::upsample_bilinear2d's sampling (align_corners false) along one axis
// of `in` values resized to `out`: each output index's two input indices and
// their weights, computed as ATen computes them.
struct LinearTaps {
  std::vector<int> first, second;
  std::vector<float> first_weight, second_weight;
};

LinearTaps linear_taps(int in, int out) {
  LinearTaps taps;
  const float scale = float(in) / float(out);
  for (int o = 0; o < out; ++o) {
    int first = o, second = o;
    float second_weight = 0.0f;
    if (in != out) {
      const float source = std::max(float(scale * (o + 0.5) - 0.5), 0.0f);
      first = std::min(int(std::floor(source)), in - 1);
      second = first + (first < in - 1 ? 1 : 0);
      second_weight = std::min(std::max(source - float(first), 0.0f), 1.0f);
    }
    taps.first.push_back(first);
    taps.second.push_back(second);
    taps.first_weight.push_back(1.0f - second_weight);
    taps.second_weight.push_back(second_weight);
  }
  return taps;
}

// One output row of a bilinear resize: `top` and `bottom` are the input rows
// it samples, with their weights, and `columns` the taps along the row; the
// order of operations is at::upsample_bilinear2d's.
void blend_row(const float *top, const float *bottom, float top_weight, float bottom_weight, const LinearTaps &columns,
               float *out, int width) {
  for (int x = 0; x < width; ++x) {
    const int left = columns.first[x], right = columns.second[x];
    const float left_weight = columns.first_weight[x], right_weight = columns.second_weight[x];
    out[x] = (top[left] * left_weight + top[right] * right_weight) * top_weight +
             (bottom[left] * left_weight + bottom[right] * right_weight) * bottom_weight;
  }
}

// One row of a frame as float R, G and B in [-1, 1], with the arithmetic of
// frame_to_model_by_ops in float (per-byte tables for what depends on one byte).
class RowConverter {
 public:
  explicit RowConverter(const GstVideoFrame *frame)
      : frame_(frame),
        width_(GST_VIDEO_FRAME_WIDTH(frame)),
        is_rgb_(GST_VIDEO_INFO_IS_RGB(&frame->info)),
        is_gray_(GST_VIDEO_INFO_IS_GRAY(&frame->info)) {
    const YuvCoefficients k = yuv_coefficients(frame->info);
    const float y_div = k.full_range ? 255.0f : 219.0f, y_offset = k.full_range ? 0.0f : 16.0f;
    const float c_div = k.full_range ? 255.0f : 224.0f;
    r_v_ = float(2 * (1 - k.Kr));
    b_u_ = float(2 * (1 - k.Kb));
    g_div_ = float(1 - k.Kr - k.Kb);
    kr_ = float(k.Kr);
    kb_ = float(k.Kb);
    unit_ = per_byte([](float level) { return level / 255.0f * 2.0f - 1.0f; });
    luma_of_ = per_byte([&](float level) { return (level - y_offset) / y_div; });
    chroma_of_ = per_byte([&](float level) { return (level - 128.0f) / c_div; });
  }

  void convert(int y, float *r_out, float *g_out, float *b_out) const {
    if (is_rgb_ || is_gray_) {
      const auto r = component_row(frame_, is_gray_ ? 0 : GST_VIDEO_COMP_R, y);
      const auto g = component_row(frame_, is_gray_ ? 0 : GST_VIDEO_COMP_G, y);
      const auto b = component_row(frame_, is_gray_ ? 0 : GST_VIDEO_COMP_B, y);
      for (int x = 0; x < width_; ++x) {
        r_out[x] = unit_[at(r, x)];
        g_out[x] = unit_[at(g, x)];
        b_out[x] = unit_[at(b, x)];
      }
      return;
    }
    const auto Y = component_row(frame_, GST_VIDEO_COMP_Y, y);
    const auto U = component_row(frame_, GST_VIDEO_COMP_U, y);
    const auto V = component_row(frame_, GST_VIDEO_COMP_V, y);
    for (int x = 0; x < width_; ++x) {
      const float luma = luma_of_[at(Y, x)];
      const float u = chroma_of_[at(U, x)], v = chroma_of_[at(V, x)];
      const float r = luma + r_v_ * v, b = luma + b_u_ * u;
      const float g = (luma - kr_ * r - kb_ * b) / g_div_;
      r_out[x] = std::min(1.0f, std::max(0.0f, r)) * 2.0f - 1.0f;
      g_out[x] = std::min(1.0f, std::max(0.0f, g)) * 2.0f - 1.0f;
      b_out[x] = std::min(1.0f, std::max(0.0f, b)) * 2.0f - 1.0f;
    }
  }

 private:
  const GstVideoFrame *frame_;
  int width_;
  bool is_rgb_, is_gray_;
  float r_v_, b_u_, g_div_, kr_, kb_;
  std::array<float, 256> unit_, luma_of_, chroma_of_;
};

}  // namespace

torch::Tensor frame_to_model_cpu(const GstVideoFrame *frame, int out_width, int out_height) {
  const int width = GST_VIDEO_FRAME_WIDTH(frame), height = GST_VIDEO_FRAME_HEIGHT(frame);
  if (out_width <= 0) out_width = width;
  if (out_height <= 0) out_height = height;
  auto rgb = torch::empty({1, 3, out_height, out_width}, torch::kFloat32);
  float *out = rgb.data_ptr<float>();
  const int64_t plane_size = int64_t(out_width) * out_height;
  const RowConverter converter(frame);
  const bool resized = out_width != width || out_height != height;
  if (!resized) {
    at::parallel_for(0, height, kRowGrain, [&](int64_t begin, int64_t end) {
      for (int64_t y = begin; y < end; ++y) {
        float *r_out = out + y * width;
        converter.convert(int(y), r_out, r_out + plane_size, r_out + 2 * plane_size);
      }
    });
    return rgb;
  }
  // Resized as it is read: each output row from the two source rows
  // at::upsample_bilinear2d samples, converted once per task as they are
  // needed, then blended.
  const LinearTaps rows = linear_taps(height, out_height), columns = linear_taps(width, out_width);
  at::parallel_for(0, out_height, kRowGrain, [&](int64_t begin, int64_t end) {
    // Two converted source rows (R, G, B planes each), and which rows they hold.
    std::vector<float> buffers[2] = {std::vector<float>(3 * size_t(width)), std::vector<float>(3 * size_t(width))};
    int held[2] = {-1, -1};
    auto source_row = [&](int y, int avoid) -> const float * {
      for (int i = 0; i < 2; ++i)
        if (held[i] == y) return buffers[i].data();
      const int slot = held[0] == avoid ? 1 : 0;
      float *row = buffers[slot].data();
      converter.convert(y, row, row + width, row + 2 * width);
      held[slot] = y;
      return row;
    };
    for (int64_t y = begin; y < end; ++y) {
      const float *top = source_row(rows.first[y], -1);
      const float *bottom = source_row(rows.second[y], rows.first[y]);
      const float top_weight = rows.first_weight[y], bottom_weight = rows.second_weight[y];
      for (int c = 0; c < 3; ++c)
        blend_row(top + int64_t(c) * width, bottom + int64_t(c) * width, top_weight, bottom_weight, columns,
                  out + c * plane_size + y * out_width, out_width);
    }
  });
  return rgb;
}

void model_to_frame_cpu(const torch::Tensor &infrared, Palette palette, const torch::Tensor &table,
                        GstVideoFrame *frame) {
  const GstVideoInfo &info = frame->info;
  const int width = GST_VIDEO_FRAME_WIDTH(frame), height = GST_VIDEO_FRAME_HEIGHT(frame);
  const int in_width = int(infrared.size(3)), in_height = int(infrared.size(2));
  const torch::Tensor values = infrared.reshape({in_height, in_width}).to(torch::kFloat32).contiguous();
  const float *in = values.data_ptr<float>();
  const bool resized = in_width != width || in_height != height;
  const LinearTaps rows = resized ? linear_taps(in_height, height) : LinearTaps{};
  const LinearTaps columns = resized ? linear_taps(in_width, width) : LinearTaps{};
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
  // 4-byte RGB formats (BGRx, the default output, and the like): each level's
  // whole pixel written at once, the padding byte or alpha 255 (opaque).
  const bool packed = GST_VIDEO_INFO_IS_RGB(&info) && GST_VIDEO_FRAME_COMP_PSTRIDE(frame, 0) == 4;
  std::array<std::array<guint8, 4>, 256> pixels{};
  if (packed) {
    for (int level = 0; level < 256; ++level) {
      pixels[level].fill(255);
      for (size_t i = 0; i < components.size(); ++i)
        pixels[level][GST_VIDEO_FRAME_COMP_POFFSET(frame, components[i])] = lookups[i][level];
    }
  }

  at::parallel_for(0, height, kRowGrain, [&](int64_t begin, int64_t end) {
    std::vector<float> resized_row(resized ? width : 0);
    for (int64_t y = begin; y < end; ++y) {
      const float *row = resized ? resized_row.data() : in + y * width;
      if (resized)
        blend_row(in + int64_t(rows.first[y]) * in_width, in + int64_t(rows.second[y]) * in_width,
                  rows.first_weight[y], rows.second_weight[y], columns, resized_row.data(), width);
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
      if (packed) {
        auto *bytes = static_cast<guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(frame, 0)) + y * GST_VIDEO_FRAME_PLANE_STRIDE(frame, 0);
        for (int x = 0; x < width; ++x) std::memcpy(bytes + 4 * x, pixels[level_u8(row[x])].data(), 4);
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
    }
  });
}

}  // namespace gncycleganir
