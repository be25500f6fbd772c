#include "trainer/ssim_loss.h"

#include <ATen/ops/conv2d.h>
#include <ATen/ops/pad.h>

#include <vector>

#include "model/autocast.h"
#include "trainer/metrics.h"

namespace gncyclegan::train {
namespace {

// Replicate-padded depthwise Gaussian blur, separable: rows, then columns.
torch::Tensor blur(const torch::Tensor &images, const torch::Tensor &taps) {
  const int64_t channels = images.size(1);
  auto padded = at::pad(images, {kSsimRadius, kSsimRadius, kSsimRadius, kSsimRadius}, "replicate");
  const torch::Tensor no_bias;
  const std::vector<int64_t> ones{1, 1}, zeros{0, 0};  // stride and dilation, padding
  auto depthwise = [&](const torch::Tensor &input, const torch::Tensor &kernel) {
    return at::conv2d(input, kernel.expand({channels, 1, kernel.size(2), kernel.size(3)}), no_bias, ones, zeros, ones,
                      channels);
  };
  return depthwise(depthwise(padded, taps.view({1, 1, 1, -1})), taps.view({1, 1, -1, 1}));
}

}  // namespace

torch::Tensor ssim(const torch::Tensor &a, const torch::Tensor &b) { return ssim_map(a, b).mean(); }

torch::Tensor ssim_map(const torch::Tensor &a_any, const torch::Tensor &b_any) {
  TORCH_CHECK(a_any.dim() == 4 && a_any.sizes() == b_any.sizes(), "ssim: two N x C x H x W batches of one shape are needed");
  // In fp32 whatever the caller's precision: the variances below are
  // differences of near-equal terms, which bf16 turns negative (and SSIM
  // infinite) on flat, dark images.
  FullPrecisionScope full_precision;
  auto widened = [](const torch::Tensor &t) {
    return t.scalar_type() == torch::kBFloat16 || t.scalar_type() == torch::kHalf ? t.to(torch::kFloat32) : t;
  };
  const auto a = widened(a_any), b = widened(b_any);
  auto offsets = torch::arange(-kSsimRadius, kSsimRadius + 1, a.options());
  auto taps = torch::exp(-offsets * offsets / (2 * kSsimSigma * kSsimSigma));
  taps = taps / taps.sum();

  // SSIM's luminance term is not shift-invariant: score on 0..1 as MATLAB
  // does on 0..255 (every term scales by 255², C1 and C2 with them).
  auto x = (a + 1) / 2, y = (b + 1) / 2;
  constexpr double C1 = kSsimK1 * kSsimK1, C2 = kSsimK2 * kSsimK2;
  auto mu_x = blur(x, taps), mu_y = blur(y, taps);
  auto mu_xx = mu_x * mu_x, mu_yy = mu_y * mu_y, mu_xy = mu_x * mu_y;
  auto var_x = blur(x * x, taps) - mu_xx, var_y = blur(y * y, taps) - mu_yy, cov = blur(x * y, taps) - mu_xy;
  return (2 * mu_xy + C1) * (2 * cov + C2) / ((mu_xx + mu_yy + C1) * (var_x + var_y + C2));
}

}  // namespace gncyclegan::train
