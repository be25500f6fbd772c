#include "trainer/gan_loss.h"

#include <ATen/ops/binary_cross_entropy_with_logits.h>
#include <ATen/ops/mse_loss.h>

namespace gncyclegan::train {
namespace {

torch::Tensor against(GanLoss kind, const torch::Tensor &prediction, bool real) {
  auto target = real ? torch::ones_like(prediction) : torch::zeros_like(prediction);
  if (kind == GanLoss::lsgan) return at::mse_loss(prediction, target);
  return at::binary_cross_entropy_with_logits(prediction, target);
}

}  // namespace

torch::Tensor discriminator_loss(GanLoss kind, const torch::Tensor &on_real, const torch::Tensor &on_fake) {
  if (kind == GanLoss::hinge) return (torch::relu(1.0 - on_real).mean() + torch::relu(1.0 + on_fake).mean()) * 0.5;
  // Halved, as the reference, so D learns at half the rate of G.
  return (against(kind, on_real, true) + against(kind, on_fake, false)) * 0.5;
}

torch::Tensor generator_loss(GanLoss kind, const torch::Tensor &on_fake) {
  if (kind == GanLoss::hinge) return -on_fake.mean();
  return against(kind, on_fake, true);
}

}  // namespace gncyclegan::train
