#include "model/gradient_normalization.h"

#include <torch/autograd.h>

namespace gncyclegan {

torch::Tensor gradient_normalized(PatchGan &discriminator, const torch::Tensor &input,
                                  bool create_graph) {
  torch::AutoGradMode enable_grad(true);
  // requires_grad_ on a tensor the caller keeps (an image pool entry, a cached
  // batch) would grow a graph across steps: differentiate a private copy.
  torch::Tensor x = input.requires_grad() ? input : input.detach().clone().requires_grad_(true);
  torch::Tensor f = discriminator.forward(x);
  torch::Tensor gradient = torch::autograd::grad({f}, {x}, {torch::ones_like(f)},
                                                 /*retain_graph=*/true, create_graph)[0];
  std::vector<int64_t> per_sample_shape(f.dim(), 1);
  per_sample_shape[0] = -1;
  torch::Tensor gradient_norm = gradient.flatten(1).norm(2, {1}).view(per_sample_shape);
  // The floor only matters for a discriminator that is exactly flat at 0.
  torch::Tensor f_hat = f / (gradient_norm + f.abs()).clamp_min(1e-12);
  return create_graph ? f_hat : f_hat.detach();
}

}  // namespace gncyclegan
