// CBAM, the convolutional block attention module (Woo et al., ECCV 2018), as in
// the authors' reference code: a channel gate, then a spatial gate.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

namespace gncyclegan {

// sigmoid(BN(conv7x7([max_c(x); mean_c(x)]))) * x. Tensor names: conv.weight,
// bn.{weight,bias,running_mean,running_var}.
class SpatialGateImpl : public torch::nn::Module {
 public:
  SpatialGateImpl();
  torch::Tensor forward(const torch::Tensor &x);

  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(SpatialGate);

// Channel gate sigmoid(mlp(avgpool(x)) + mlp(maxpool(x))) * x with the shared
// MLP C -> C/reduction -> C (names mlp.0.*, mlp.2.*), then the spatial gate.
class CbamImpl : public torch::nn::Module {
 public:
  CbamImpl(int channels, int reduction = 16);
  torch::Tensor forward(const torch::Tensor &x);

  torch::nn::Sequential mlp{nullptr};
  SpatialGate spatial{nullptr};
};
TORCH_MODULE(Cbam);

}  // namespace gncyclegan
