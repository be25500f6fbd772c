// A differentiable SSIM for training on aligned pairs: the same definition
// gncyclegan-eval scores with (trainer/metrics.h: 11x11 Gaussian window,
// sigma 1.5, replicate borders, C1 = (0.01·255)², C2 = (0.03·255)² on the
// 0..255 scale, the mean of the whole map) on the model's [-1, 1] tensors.
#pragma once

#include <torch/types.h>

namespace gncyclegan::train {

// Mean SSIM of two N x C x H x W batches in [-1, 1], every channel on its own:
// 1 for identical images. Gradients flow to both arguments.
torch::Tensor ssim(const torch::Tensor &a, const torch::Tensor &b);

// The SSIM map itself (N x C x H x W, fp32): each pixel's window compared.
torch::Tensor ssim_map(const torch::Tensor &a, const torch::Tensor &b);

}  // namespace gncyclegan::train
