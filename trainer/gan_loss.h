// The adversarial losses, on discriminator outputs (raw logits, or f_hat when
// gradient normalization is on).
#pragma once

#include <torch/types.h>

#include "trainer/options.h"

namespace gncyclegan::train {

// vanilla: BCE with logits (the paper's log loss, Eq. 4-5); lsgan: squared
// error to 1 / 0; hinge: relu(1 - real) + relu(1 + fake).
torch::Tensor discriminator_loss(GanLoss kind, const torch::Tensor &on_real, const torch::Tensor &on_fake);
// The generator's side: make the discriminator call fakes real.
torch::Tensor generator_loss(GanLoss kind, const torch::Tensor &on_fake);

}  // namespace gncyclegan::train
