// The CycleGAN reference's PatchGAN discriminator (NLayerDiscriminator): with
// n_layers = 3 each output logit sees a 70x70 patch; 256x256 in -> 30x30 out.
#pragma once

#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>

#include "model/config.h"

namespace gncyclegan {

// Tensor names are the reference's: model.0.weight, model.2.weight, ...,
// model.11.weight (last conv). As in the reference, the inner convolutions have
// a bias only with instance norm (norm "none" keeps Identity placeholders, so
// indices are the same either way).
class PatchGan : public torch::nn::Module {
 public:
  explicit PatchGan(const DiscriminatorConfig &config);
  // N x C x H x W in [-1, 1] -> N x 1 x H' x W' raw logits.
  torch::Tensor forward(const torch::Tensor &input);
  // The activations after each LeakyReLU (n_layers + 1 of them, shallow to
  // deep), for feature matching; the logits are not among them.
  std::vector<torch::Tensor> features(const torch::Tensor &input);
  const DiscriminatorConfig &config() const { return config_; }

  torch::nn::Sequential model{nullptr};

 private:
  DiscriminatorConfig config_;
};

// Builds the network with the reference initialisation.
std::shared_ptr<PatchGan> make_discriminator(const DiscriminatorConfig &config);

}  // namespace gncyclegan
