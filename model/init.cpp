#include "model/init.h"

#include <torch/nn/init.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

namespace gncyclegan {
namespace {

void init_affine(torch::Tensor &weight, torch::Tensor &bias, double mean, double gain) {
  torch::nn::init::normal_(weight, mean, gain);
  if (bias.defined()) torch::nn::init::zeros_(bias);
}

}  // namespace

void init_weights(torch::nn::Module &module, double gain) {
  torch::NoGradGuard no_grad;
  for (const auto &child : module.modules()) {
    if (auto *conv = child->as<torch::nn::Conv2d>())
      init_affine(conv->weight, conv->bias, 0.0, gain);
    else if (auto *deconv = child->as<torch::nn::ConvTranspose2d>())
      init_affine(deconv->weight, deconv->bias, 0.0, gain);
    else if (auto *linear = child->as<torch::nn::Linear>())
      init_affine(linear->weight, linear->bias, 0.0, gain);
    else if (auto *bn = child->as<torch::nn::BatchNorm2d>())
      init_affine(bn->weight, bn->bias, 1.0, gain);
  }
}

}  // namespace gncyclegan
