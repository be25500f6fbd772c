#include "trainer/equivariance_loss.h"

#include <cmath>

#include <torch/nn/functional/vision.h>

#include "trainer/random_stream.h"

namespace gncyclegan::train {

namespace F = torch::nn::functional;

CameraMotion random_camera_motion(uint64_t state) {
  auto symmetric = [&](double half_range) { return (2 * uniform_unit(state) - 1) * half_range; };
  CameraMotion motion;
  motion.shift_x = symmetric(2.0);
  motion.shift_y = symmetric(2.0);
  motion.scale = 1 + symmetric(0.02);
  motion.angle = symmetric(M_PI / 180);
  return motion;
}

torch::Tensor warp(const torch::Tensor &images, const CameraMotion &motion, torch::Tensor *valid) {
  TORCH_CHECK(images.dim() == 4, "warp: N x C x H x W images are needed");
  const int64_t n = images.size(0), h = images.size(2), w = images.size(3);
  // affine_grid works in coordinates normalised to [-1, 1] per axis (pixel
  // centres, align_corners = false): x_n = 2 (x - centre_x) / W.
  const double c = std::cos(motion.angle) * motion.scale, s = std::sin(motion.angle) * motion.scale;
  const double aspect = double(w) / double(h);
  auto theta = torch::tensor({c, -s / aspect, 2 * motion.shift_x / w, s * aspect, c, 2 * motion.shift_y / h},
                             images.options().dtype(torch::kFloat64))
                   .to(images.dtype())
                   .view({1, 2, 3})
                   .expand({n, 2, 3});
  auto grid = F::affine_grid(theta, {n, images.size(1), h, w}, /*align_corners=*/false);
  // Border padding: a warped input looks like a camera's frame, not framed in gray.
  auto options = F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kBorder).align_corners(false);
  if (valid) {
    // Pixels whose sample lies between the outermost pixel centres, (1 - 1/W) in normalised x.
    auto x = grid.select(3, 0).abs(), y = grid.select(3, 1).abs();
    *valid = ((x <= 1 - 1.0 / w) & (y <= 1 - 1.0 / h)).unsqueeze(1).to(images.dtype()).detach();
  }
  return F::grid_sample(images, grid, options);
}

torch::Tensor equivariance_l1(const torch::Tensor &output, const torch::Tensor &translated_warped,
                              const CameraMotion &motion) {
  torch::Tensor valid;
  auto warped_output = warp(output, motion, &valid);
  auto difference = (translated_warped - warped_output).abs() * valid;
  return difference.sum() / (valid.sum() * output.size(1)).clamp_min(1);
}

}  // namespace gncyclegan::train
