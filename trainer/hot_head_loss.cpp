#include "trainer/hot_head_loss.h"

#include <ATen/ops/binary_cross_entropy_with_logits.h>
#include <ATen/ops/max_pool2d.h>
#include <ATen/ops/sigmoid.h>

namespace gncyclegan::train {

HotHeadLosses hot_head_losses(const torch::Tensor &gate_logits, const torch::Tensor &value,
                              const torch::Tensor &infrared, const torch::Tensor &core, double positive_weight) {
  const auto logits = gate_logits.to(torch::kFloat32), painted = value.to(torch::kFloat32);
  const auto target = core.to(torch::kFloat32);
  const auto positive = torch::full({1}, positive_weight, logits.options());
  const auto bce = at::binary_cross_entropy_with_logits(logits, target, {}, positive);
  const auto probability = at::sigmoid(logits);
  const auto dice = 1 - (2 * (probability * target).sum() + 1) / (probability.sum() + target.sum() + 1);

  const auto band = at::max_pool2d(target, {2 * kValueBand + 1, 2 * kValueBand + 1}, {1, 1}, {kValueBand, kValueBand});
  const auto weights = band + kValueCore * target;
  const auto error = (painted - infrared.to(torch::kFloat32)).abs();
  const auto banded = (error * weights).sum() / weights.sum().clamp_min(1.0);
  return {bce + dice, kValueWeight * banded + kValueEverywhere * error.mean()};
}

}  // namespace gncyclegan::train
