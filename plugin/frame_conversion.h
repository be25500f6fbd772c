// Video frames <-> the model's tensors, for every raw format the element
// negotiates, on the CPU or a CUDA device. On a device, each colour component
// of a frame is a strided view of its plane and the conversion a few LibTorch
// operations (packed RGB, planar and semi-planar YUV, packed YUV and gray all
// go through the same code); on the CPU it is one pass of plain loops over the
// frame (plugin/frame_conversion_cpu.h), which the tests hold to the same
// results.
#pragma once

#include <gst/video/video.h>
#include <torch/types.h>

#include "plugin/palette.h"

namespace gncycleganir {

// Where a mapped frame's planes are: host memory, or the memory of the device
// the model runs on (a CUDAMemory buffer of LibTorch's own CUDA context,
// mapped with GST_MAP_CUDA), which the conversions then read and write in
// place.
enum class FrameMemory { host, device };

// The frame as 1 x 3 x H x W float RGB in [-1, 1] on `device`. YUV is
// converted with the frame's colour matrix and range, chroma upsampled by
// repetition; gray is replicated. At another size (`width` and `height`,
// 0 = the frame's), resized bilinearly as at::upsample_bilinear2d with
// align_corners false resizes (on the CPU, as the frame is read). On CUDA,
// host planes are uploaded through `staging` (pinned host buffers, kept
// between calls) without blocking.
torch::Tensor frame_to_model(const GstVideoFrame *frame, const c10::Device &device,
                             std::vector<torch::Tensor> &staging, FrameMemory memory = FrameMemory::host,
                             int width = 0, int height = 0);

// Writes `infrared` (1 x 1 x h x w float in [-1, 1], on any device; at
// another size than the frame's, resized bilinearly as
// at::upsample_bilinear2d with align_corners false resizes) into `frame`:
// GRAY8 and GRAY16_LE get the intensity (inverted for black-hot; the
// colour palettes keep white-hot); colour formats get the palette's colours,
// alpha opaque. `table` is palette_table(palette) on the tensor's device. A
// host frame is written before this returns; a device frame is written on
// the current CUDA stream, which the caller synchronises before the buffer
// leaves the element.
void model_to_frame(const torch::Tensor &infrared, Palette palette, const torch::Tensor &table,
                    GstVideoFrame *frame, std::vector<torch::Tensor> &staging,
                    FrameMemory memory = FrameMemory::host);

// The same through LibTorch operations, on any device (what CUDA runs).
torch::Tensor frame_to_model_by_ops(const GstVideoFrame *frame, const c10::Device &device,
                                    std::vector<torch::Tensor> &staging, FrameMemory memory = FrameMemory::host);
void model_to_frame_by_ops(const torch::Tensor &infrared, Palette palette, const torch::Tensor &table,
                           GstVideoFrame *frame, std::vector<torch::Tensor> &staging,
                           FrameMemory memory = FrameMemory::host);

}  // namespace gncycleganir
