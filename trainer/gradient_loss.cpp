#include "trainer/gradient_loss.h"

#include <ATen/ops/avg_pool2d.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/conv2d.h>
#include <ATen/ops/l1_loss.h>
#include <ATen/ops/pad.h>

#include <vector>

namespace gncyclegan::train {

torch::Tensor sobel(const torch::Tensor &images) {
  TORCH_CHECK(images.dim() == 4, "sobel: an N x C x H x W batch is needed");
  const int64_t channels = images.size(1);
  auto gx = torch::tensor({-1.0, 0.0, 1.0, -2.0, 0.0, 2.0, -1.0, 0.0, 1.0}, images.options()).view({1, 1, 3, 3});
  auto gy = gx.transpose(2, 3).contiguous();
  auto padded = at::pad(images, {1, 1, 1, 1}, "replicate");
  const torch::Tensor no_bias;
  const std::vector<int64_t> ones{1, 1}, zeros{0, 0};  // stride and dilation, padding
  auto depthwise = [&](const torch::Tensor &kernel) {
    return at::conv2d(padded, kernel.expand({channels, 1, 3, 3}), no_bias, ones, zeros, ones, channels);
  };
  return at::cat({depthwise(gx), depthwise(gy)}, 1);
}

torch::Tensor gradient_l1(const torch::Tensor &a, const torch::Tensor &b) {
  TORCH_CHECK(a.sizes() == b.sizes(), "gradient_l1: two batches of one shape are needed");
  // On 0..1, as the other paired losses' SSIM: (x + 1) / 2 halves the responses.
  return at::l1_loss(sobel((a + 1) / 2), sobel((b + 1) / 2));
}

torch::Tensor edge_energy_l1(const torch::Tensor &a, const torch::Tensor &b, int64_t window, bool per_direction) {
  TORCH_CHECK(a.sizes() == b.sizes(), "edge_energy_l1: two batches of one shape are needed");
  TORCH_CHECK(window >= 0, "edge_energy_l1: the window is a size in pixels, or 0 for the whole image");
  auto energy = [window, per_direction](const torch::Tensor &images) {
    const auto responses = sobel((images + 1) / 2);  // N x 2C x H x W: the x responses, then the y
    const int64_t n = images.size(0), channels = images.size(1), h = images.size(2), w = images.size(3);
    // The epsilon keeps the square roots differentiable on flat regions.
    // N x D x H x W, averaged over channels: D = 2 (|gx|, |gy|) or 1 (the magnitude).
    const auto maps = per_direction
                          ? (responses.square() + 1e-12).sqrt().view({n, 2, channels, h, w}).mean(2)
                          : (responses.narrow(1, 0, channels).square() + responses.narrow(1, channels, channels).square() + 1e-12)
                                .sqrt()
                                .mean(1, true);
    if (window == 0) return maps.mean({2, 3});
    // ceil_mode keeps the partial tiles at the right and bottom, each the
    // mean of the pixels it holds.
    return at::avg_pool2d(maps, {window, window}, {window, window}, {0, 0}, /*ceil_mode=*/true);
  };
  return (energy(a) - energy(b)).abs().mean();
}

}  // namespace gncyclegan::train
