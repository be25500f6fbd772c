#include "model/cbam.h"

#include <algorithm>

#include <ATen/ops/cat.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/linear.h>

namespace gncyclegan {

SpatialGateImpl::SpatialGateImpl() {
  conv = register_module(
      "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(2, 1, 7).padding(3).bias(false)));
  // Momentum 0.01 as in the CBAM reference's BasicConv.
  bn = register_module(
      "bn", torch::nn::BatchNorm2d(torch::nn::BatchNormOptions(1).eps(1e-5).momentum(0.01)));
}

torch::Tensor SpatialGateImpl::forward(const torch::Tensor &x) {
  auto pooled = at::cat({std::get<0>(x.max(1, /*keepdim=*/true)), x.mean(1, /*keepdim=*/true)}, 1);
  return x * bn->forward(conv->forward(pooled)).sigmoid();
}

CbamImpl::CbamImpl(int channels, int reduction) {
  const int hidden = std::max(1, channels / reduction);
  mlp = register_module("mlp", torch::nn::Sequential(torch::nn::Linear(channels, hidden),
                                                     torch::nn::ReLU(),
                                                     torch::nn::Linear(hidden, channels)));
  spatial = register_module("spatial", SpatialGate());
}

torch::Tensor CbamImpl::forward(const torch::Tensor &x) {
  auto average = x.mean({2, 3});
  auto maximum = x.amax({2, 3});
  auto attention = (mlp->forward(average) + mlp->forward(maximum)).sigmoid();
  return spatial->forward(x * attention.unsqueeze(-1).unsqueeze(-1));
}

}  // namespace gncyclegan
