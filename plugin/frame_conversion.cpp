#include "plugin/frame_conversion.h"

#include <cstring>

#include <ATen/ATen.h>

#include "model/pixels.h"
#include "plugin/frame_conversion_cpu.h"
#include "plugin/yuv_matrix.h"

namespace gncycleganir {
namespace {

// Bytes of plane `plane` up to the end of its last pixel (padding bytes such
// as RGBx's x included).
int64_t plane_bytes(const GstVideoFrame *frame, int plane) {
  int64_t bytes = 0;
  for (guint c = 0; c < GST_VIDEO_FRAME_N_COMPONENTS(frame); ++c) {
    if (GST_VIDEO_FRAME_COMP_PLANE(frame, c) != guint(plane)) continue;
    const int64_t width = GST_VIDEO_FRAME_COMP_WIDTH(frame, c), pixel = GST_VIDEO_FRAME_COMP_PSTRIDE(frame, c);
    const int64_t row = std::max(width * pixel, GST_VIDEO_FRAME_COMP_POFFSET(frame, c) + (width - 1) * pixel +
                                                    GST_VIDEO_FRAME_COMP_DEPTH(frame, c) / 8);
    bytes = std::max(bytes, int64_t(GST_VIDEO_FRAME_COMP_HEIGHT(frame, c) - 1) *
                                    GST_VIDEO_FRAME_PLANE_STRIDE(frame, plane) + row);
  }
  return bytes;
}

// A pinned host buffer of `bytes` for plane `p`, kept in `staging` and grown as needed.
torch::Tensor pinned_buffer(std::vector<torch::Tensor> &staging, size_t p, int64_t bytes) {
  if (staging.size() <= p) staging.resize(p + 1);
  if (!staging[p].defined() || staging[p].numel() < bytes)
    staging[p] = torch::empty({bytes}, torch::TensorOptions().dtype(torch::kUInt8).pinned_memory(true));
  return staging[p].narrow(0, 0, bytes);
}

// Whether the frame's planes can be used where they are, on `device`.
bool in_place(const c10::Device &device, FrameMemory memory) {
  return device.is_cpu() || memory == FrameMemory::device;
}

// Plane `p` of the frame as a flat uint8 view of the mapped memory, on the
// device `memory` says it is on.
torch::Tensor plane_view(const GstVideoFrame *frame, guint p, const c10::Device &device, FrameMemory memory) {
  const auto where = memory == FrameMemory::device ? device : c10::Device(c10::kCPU);
  return torch::from_blob(GST_VIDEO_FRAME_PLANE_DATA(frame, p), {plane_bytes(frame, p)},
                          torch::TensorOptions().dtype(torch::kUInt8).device(where));
}

// The frame's planes as flat uint8 tensors on `device`: views of the mapped
// memory where it is already there; otherwise device copies (through pinned
// staging buffers).
std::vector<torch::Tensor> planes_on(const GstVideoFrame *frame, const c10::Device &device,
                                     std::vector<torch::Tensor> &staging, FrameMemory memory) {
  std::vector<torch::Tensor> planes;
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(frame); ++p) {
    auto mapped = plane_view(frame, p, device, memory);
    if (in_place(device, memory)) {
      planes.push_back(mapped);
      continue;
    }
    auto pinned = pinned_buffer(staging, p, mapped.numel());
    pinned.copy_(mapped);
    planes.push_back(pinned.to(device, /*non_blocking=*/true));
  }
  return planes;
}

// Component `c` (an 8-bit one) as an H_c x W_c uint8 view of its plane.
torch::Tensor component(const std::vector<torch::Tensor> &planes, const GstVideoFrame *frame, int c) {
  const int plane = GST_VIDEO_FRAME_COMP_PLANE(frame, c);
  return planes[plane].as_strided({GST_VIDEO_FRAME_COMP_HEIGHT(frame, c), GST_VIDEO_FRAME_COMP_WIDTH(frame, c)},
                                  {GST_VIDEO_FRAME_PLANE_STRIDE(frame, plane), GST_VIDEO_FRAME_COMP_PSTRIDE(frame, c)},
                                  GST_VIDEO_FRAME_COMP_POFFSET(frame, c));
}

// A subsampled chroma component repeated up to the frame's size.
torch::Tensor upsampled(const torch::Tensor &chroma, const GstVideoFrame *frame, int c) {
  const auto *info = frame->info.finfo;
  const int w_sub = GST_VIDEO_FORMAT_INFO_W_SUB(info, c), h_sub = GST_VIDEO_FORMAT_INFO_H_SUB(info, c);
  if (w_sub == 0 && h_sub == 0) return chroma;
  auto options = torch::TensorOptions().dtype(torch::kLong).device(chroma.device());
  auto rows = torch::arange(GST_VIDEO_FRAME_HEIGHT(frame), options).div(1 << h_sub, "floor");
  auto cols = torch::arange(GST_VIDEO_FRAME_WIDTH(frame), options).div(1 << w_sub, "floor");
  return chroma.index_select(0, rows).index_select(1, cols);
}

}  // namespace

torch::Tensor frame_to_model(const GstVideoFrame *frame, const c10::Device &device,
                             std::vector<torch::Tensor> &staging, FrameMemory memory, int width, int height) {
  if (device.is_cpu()) return frame_to_model_cpu(frame, width, height);
  const torch::Tensor rgb = frame_to_model_by_ops(frame, device, staging, memory);
  if ((width <= 0 || width == rgb.size(3)) && (height <= 0 || height == rgb.size(2))) return rgb;
  return at::upsample_bilinear2d(rgb, {height > 0 ? height : rgb.size(2), width > 0 ? width : rgb.size(3)},
                                 /*align_corners=*/false);
}

void model_to_frame(const torch::Tensor &infrared, Palette palette, const torch::Tensor &table,
                    GstVideoFrame *frame, std::vector<torch::Tensor> &staging, FrameMemory memory) {
  if (infrared.device().is_cpu()) return model_to_frame_cpu(infrared, palette, table, frame);
  const int64_t width = GST_VIDEO_FRAME_WIDTH(frame), height = GST_VIDEO_FRAME_HEIGHT(frame);
  const torch::Tensor at_frame_size = infrared.size(2) == height && infrared.size(3) == width
                                          ? infrared
                                          : at::upsample_bilinear2d(infrared, {height, width}, /*align_corners=*/false);
  model_to_frame_by_ops(at_frame_size, palette, table, frame, staging, memory);
}

torch::Tensor frame_to_model_by_ops(const GstVideoFrame *frame, const c10::Device &device,
                                    std::vector<torch::Tensor> &staging, FrameMemory memory) {
  const auto planes = planes_on(frame, device, staging, memory);
  const GstVideoInfo &info = frame->info;
  torch::Tensor rgb;  // 3 x H x W float in [0, 1]
  if (GST_VIDEO_INFO_IS_RGB(&info)) {
    rgb = torch::stack({component(planes, frame, GST_VIDEO_COMP_R), component(planes, frame, GST_VIDEO_COMP_G),
                        component(planes, frame, GST_VIDEO_COMP_B)})
              .to(torch::kFloat32)
              .div(255.0);
  } else if (GST_VIDEO_INFO_IS_GRAY(&info)) {
    rgb = component(planes, frame, 0).to(torch::kFloat32).div(255.0).unsqueeze(0).expand({3, -1, -1});
  } else {  // YUV
    const auto k = yuv_coefficients(info);
    auto y = component(planes, frame, GST_VIDEO_COMP_Y).to(torch::kFloat32);
    auto u = upsampled(component(planes, frame, GST_VIDEO_COMP_U), frame, GST_VIDEO_COMP_U).to(torch::kFloat32) - 128;
    auto v = upsampled(component(planes, frame, GST_VIDEO_COMP_V), frame, GST_VIDEO_COMP_V).to(torch::kFloat32) - 128;
    if (k.full_range) {
      y = y / 255.0, u = u / 255.0, v = v / 255.0;
    } else {
      y = (y - 16) / 219.0, u = u / 224.0, v = v / 224.0;
    }
    auto r = y + 2 * (1 - k.Kr) * v;
    auto b = y + 2 * (1 - k.Kb) * u;
    auto g = (y - k.Kr * r - k.Kb * b) / (1 - k.Kr - k.Kb);
    rgb = torch::stack({r, g, b}).clamp(0.0, 1.0);
  }
  return rgb.mul(2.0).sub(1.0).unsqueeze(0);
}

void model_to_frame_by_ops(const torch::Tensor &infrared, Palette palette, const torch::Tensor &table,
                           GstVideoFrame *frame, std::vector<torch::Tensor> &staging, FrameMemory memory) {
  const GstVideoInfo &info = frame->info;
  const c10::Device device = infrared.device();
  const auto values = infrared[0][0];
  const bool direct = in_place(device, memory);

  // Planes to write: the frame's memory itself where it is on `device`;
  // otherwise device buffers, downloaded at the end.
  std::vector<torch::Tensor> planes;
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(frame); ++p) {
    if (direct)
      planes.push_back(plane_view(frame, p, device, memory));
    else
      planes.push_back(
          torch::full({plane_bytes(frame, p)}, 255, torch::TensorOptions().dtype(torch::kUInt8).device(device)));
  }
  // The padding byte of RGBx, xRGB, ... is 255 on every device (the staged
  // planes start at 255), like an opaque alpha: the one offset of the four
  // that R, G and B leave free.
  if (direct && GST_VIDEO_INFO_IS_RGB(&info) && !GST_VIDEO_INFO_HAS_ALPHA(&info) &&
      GST_VIDEO_FRAME_COMP_PSTRIDE(frame, 0) == 4) {
    const int padding = 0 + 1 + 2 + 3 - GST_VIDEO_FRAME_COMP_POFFSET(frame, GST_VIDEO_COMP_R) -
                        GST_VIDEO_FRAME_COMP_POFFSET(frame, GST_VIDEO_COMP_G) -
                        GST_VIDEO_FRAME_COMP_POFFSET(frame, GST_VIDEO_COMP_B);
    planes[0]
        .as_strided({GST_VIDEO_FRAME_HEIGHT(frame), GST_VIDEO_FRAME_WIDTH(frame)},
                    {GST_VIDEO_FRAME_PLANE_STRIDE(frame, 0), 4}, padding)
        .fill_(255);
  }

  if (GST_VIDEO_INFO_FORMAT(&info) == GST_VIDEO_FORMAT_GRAY16_LE) {
    auto levels = gncyclegan::model_to_u16(values);  // int32, 0..65535
    if (palette == Palette::black_hot) levels = 65535 - levels;
    // Little-endian bytes, written as two 8-bit views of the 16-bit samples.
    const int64_t stride = GST_VIDEO_FRAME_PLANE_STRIDE(frame, 0);
    auto samples = planes[0].as_strided({levels.size(0), levels.size(1), 2}, {stride, 2, 1});
    samples.copy_(torch::stack({levels.bitwise_and(255), levels.div(256, "floor")}, 2).to(torch::kUInt8));
  } else {
    auto levels = gncyclegan::model_to_u8(values).to(torch::kLong);
    if (GST_VIDEO_INFO_IS_GRAY(&info)) {
      auto gray = levels.to(torch::kUInt8);
      component(planes, frame, 0).copy_(palette == Palette::black_hot ? 255 - gray : gray);
    } else {
      if (GST_VIDEO_INFO_IS_RGB(&info)) {
        const auto colours = table.index_select(0, levels.flatten()).view({levels.size(0), levels.size(1), 3});
        for (int c : {GST_VIDEO_COMP_R, GST_VIDEO_COMP_G, GST_VIDEO_COMP_B})
          component(planes, frame, c).copy_(colours.select(2, c));
        if (GST_VIDEO_INFO_HAS_ALPHA(&info)) component(planes, frame, GST_VIDEO_COMP_A).fill_(255);
      } else {  // YUV: the palette's 256 colours in the frame's matrix and range, then looked up
        const auto yuv = palette_in_yuv(table, info);
        const auto *finfo = info.finfo;
        for (int c : {GST_VIDEO_COMP_Y, GST_VIDEO_COMP_U, GST_VIDEO_COMP_V}) {
          const auto lookup = yuv.select(1, c);
          // Subsampled components take the level at each block's top-left pixel.
          auto sampled = levels.slice(0, 0, levels.size(0), 1 << GST_VIDEO_FORMAT_INFO_H_SUB(finfo, c))
                             .slice(1, 0, levels.size(1), 1 << GST_VIDEO_FORMAT_INFO_W_SUB(finfo, c));
          component(planes, frame, c).copy_(lookup.index_select(0, sampled.flatten()).view(sampled.sizes()));
        }
      }
    }
  }

  if (!direct) {
    for (guint p = 0; p < planes.size(); ++p) {
      auto pinned = pinned_buffer(staging, p, planes[p].numel());
      pinned.copy_(planes[p]);  // waits for the work on the current stream
      std::memcpy(GST_VIDEO_FRAME_PLANE_DATA(frame, p), pinned.data_ptr(), size_t(planes[p].numel()));
    }
  }
}

}  // namespace gncycleganir
