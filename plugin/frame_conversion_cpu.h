// frame_to_model and model_to_frame on the CPU: one pass over the frame's
// bytes, rows shared between LibTorch's threads, where the LibTorch
// operations make a pass over a full-size float tensor per step (their
// conversion of a 640x480 frame cost more than the generator's forward at
// 320x240). Results equal frame_to_model_by_ops / model_to_frame_by_ops.
#pragma once

#include <gst/video/video.h>
#include <torch/types.h>

#include "plugin/palette.h"

namespace gncycleganir {

// 1 x 3 x H x W float RGB in [-1, 1] (see frame_to_model); at another
// size (`width` and `height`, 0 = the frame's), resized as it is read, as
// at::upsample_bilinear2d (align_corners false) resizes the full-size result:
// no full-size float image, and no second pass.
torch::Tensor frame_to_model_cpu(const GstVideoFrame *frame, int width = 0, int height = 0);

// Writes `infrared` (1 x 1 x h x w float in [-1, 1] on the CPU) into `frame`
// (see model_to_frame); at another size than the frame's, resized as it is
// written, as at::upsample_bilinear2d (align_corners false) resizes: one pass
// over the frame instead of a full-size float map and a second pass.
void model_to_frame_cpu(const torch::Tensor &infrared, Palette palette, const torch::Tensor &table,
                        GstVideoFrame *frame);

}  // namespace gncycleganir
