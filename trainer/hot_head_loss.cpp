#include "trainer/hot_head_loss.h"

#include <stdexcept>

#include <ATen/ops/binary_cross_entropy_with_logits.h>
#include <ATen/ops/max_pool2d.h>
#include <ATen/ops/sigmoid.h>

namespace gncyclegan::train {

HotHeadLosses hot_head_losses(const torch::Tensor &gate_logits, const torch::Tensor &value,
                              const torch::Tensor &infrared, const torch::Tensor &core, const GateWeights &weights,
                              const torch::Tensor &ring) {
  const auto logits = gate_logits.to(torch::kFloat32), painted = value.to(torch::kFloat32);
  const auto target = core.to(torch::kFloat32);
  const auto positive = torch::full({1}, weights.positive, logits.options());
  torch::Tensor pixel_weights;  // undefined: every pixel alike
  if (weights.ring != 1.0) {
    if (!ring.defined()) throw std::invalid_argument("hot_head_losses: a ring weight needs the ring");
    pixel_weights = 1 + (weights.ring - 1) * ring.to(torch::kFloat32);
  }
  const auto bce = at::binary_cross_entropy_with_logits(logits, target, pixel_weights, positive);
  const auto probability = at::sigmoid(logits);
  const auto dice = 1 - (2 * (probability * target).sum() + 1) / (probability.sum() + target.sum() + 1);

  const auto band = at::max_pool2d(target, {2 * kValueBand + 1, 2 * kValueBand + 1}, {1, 1}, {kValueBand, kValueBand});
  const auto value_weights = band + kValueCore * target;
  const auto error = (painted - infrared.to(torch::kFloat32)).abs();
  const auto banded = (error * value_weights).sum() / value_weights.sum().clamp_min(1.0);
  return {bce + dice, kValueWeight * banded + kValueEverywhere * error.mean()};
}

}  // namespace gncyclegan::train
