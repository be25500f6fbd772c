#include "trainer/feature_matching_loss.h"

#include <ATen/ops/l1_loss.h>
#include <torch/utils.h>

namespace gncyclegan::train {

torch::Tensor feature_matching_l1(PatchGan &discriminator, const torch::Tensor &fake, const torch::Tensor &real) {
  TORCH_CHECK(fake.sizes() == real.sizes(), "feature_matching_l1: two batches of one shape are needed");
  std::vector<torch::Tensor> targets;
  {
    torch::NoGradGuard no_grad;
    targets = discriminator.features(real);
  }
  const auto features = discriminator.features(fake);
  auto loss = torch::zeros({}, fake.options().dtype(torch::kFloat));
  // In fp32 under autocast, as the other losses.
  for (size_t i = 0; i < features.size(); ++i)
    loss = loss + at::l1_loss(features[i].to(torch::kFloat), targets[i].to(torch::kFloat));
  return loss / static_cast<double>(features.size());
}

}  // namespace gncyclegan::train
