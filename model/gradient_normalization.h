// Gradient normalization (Wu et al., "Gradient Normalization for Generative
// Adversarial Networks", ICCV 2021), the "GN" of GN-CycleGAN.
#pragma once

#include <torch/types.h>

#include "model/patchgan.h"

namespace gncyclegan {

// f_hat(x) = f(x) / (||grad_x f(x)||_2 + |f(x)|), with f the patch logits and the
// gradient that of their sum, taken per sample (one norm per image). |f_hat| < 1,
// and f_hat is 1-Lipschitz wherever f is piecewise linear.
//
// When `input` already requires grad (a generator's output during the generator
// update) the gradient is taken through it, so the loss reaches the generator.
// Otherwise a detached clone is differentiated, never the caller's tensor.
// `create_graph` must be true when the result is back-propagated (training);
// false gives a value only (evaluation).
torch::Tensor gradient_normalized(PatchGan &discriminator, const torch::Tensor &input,
                                  bool create_graph);

}  // namespace gncyclegan
