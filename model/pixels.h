// The pixel convention every tool shares: 8-bit v <-> v / 127.5 - 1, and a
// generator output y in [-1, 1] -> round((y + 1) * 127.5) (or * 32767.5 for
// 16-bit). Rounding is to nearest, ties to even.
#pragma once

#include <torch/types.h>

namespace gncyclegan {

// uint8 v -> v / 127.5 - 1, or 16-bit v (held in int32/int64) -> v / 32767.5 - 1;
// float32, same shape.
torch::Tensor pixels_to_model(const torch::Tensor &pixels);
// Any float tensor, clamped to [-1, 1] -> uint8.
torch::Tensor model_to_u8(const torch::Tensor &values);
// Any float tensor, clamped to [-1, 1] -> 16-bit values in an int32 tensor
// (LibTorch 1.13 has no uint16 dtype); 0..65535.
torch::Tensor model_to_u16(const torch::Tensor &values);

// N x 3 x H x W (R, G, B) -> N x 1 x H x W luma with BT.601 weights
// (0.299, 0.587, 0.114), as rgb2gray and OpenCV's RGB2GRAY compute it.
torch::Tensor luma(const torch::Tensor &rgb);

}  // namespace gncyclegan
