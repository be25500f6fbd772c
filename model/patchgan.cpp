#include "model/patchgan.h"

#include <algorithm>

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include "model/init.h"
#include "model/layers.h"

namespace gncyclegan {

PatchGan::PatchGan(const DiscriminatorConfig &config) : config_(config) {
  using namespace torch::nn;
  config.validate();
  const bool instance = config.norm == DiscriminatorNorm::instance;
  auto conv = [&](int in, int out, int stride, bool bias) {
    return Conv2d(Conv2dOptions(in, out, 4).stride(stride).padding(1).bias(bias));
  };
  auto leaky = [] { return leaky_relu(0.2, /*in_place=*/true); };  // as the reference
  auto norm = [&](int channels) { return instance ? AnyModule(instance_norm(channels)) : AnyModule(Identity()); };

  model = register_module("model", Sequential());
  model->push_back(conv(config.in_channels, config.ndf, 2, true));
  model->push_back(leaky());
  int mult = 1;
  for (int n = 1; n <= config.n_layers; ++n) {
    const int previous = mult;
    mult = std::min(1 << n, 8);
    const int stride = n < config.n_layers ? 2 : 1;
    model->push_back(conv(config.ndf * previous, config.ndf * mult, stride, instance));
    model->push_back(norm(config.ndf * mult));
    model->push_back(leaky());
  }
  model->push_back(conv(config.ndf * mult, 1, 1, true));
}

torch::Tensor PatchGan::forward(const torch::Tensor &input) { return model->forward(input); }

std::vector<torch::Tensor> PatchGan::features(const torch::Tensor &input) {
  std::vector<torch::Tensor> activations;
  auto x = input;
  const size_t hidden = model->size() - 1;  // all but the logits' convolution
  size_t index = 0;
  for (auto &layer : *model) {
    if (index++ == hidden) break;
    x = layer.forward(x);
    if (layer.ptr()->as<torch::nn::LeakyReLUImpl>() != nullptr) activations.push_back(x);
  }
  return activations;
}

std::shared_ptr<PatchGan> make_discriminator(const DiscriminatorConfig &config) {
  auto discriminator = std::make_shared<PatchGan>(config);
  init_weights(*discriminator);
  return discriminator;
}

}  // namespace gncyclegan
