// Layer choices shared by the reference architectures.
#pragma once

#include <torch/nn/functional/instancenorm.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/instancenorm.h>

namespace gncyclegan {

// InstanceNorm without affine parameters or running statistics, as the reference.
inline torch::nn::InstanceNorm2d instance_norm(int channels) {
  return torch::nn::InstanceNorm2d(
      torch::nn::InstanceNorm2dOptions(channels).affine(false).track_running_stats(false));
}

// In place, as the reference: saves an allocation per activation.
inline torch::nn::ReLU relu_in_place() { return torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)); }

inline torch::nn::LeakyReLU leaky_relu(double slope, bool in_place = false) {
  return torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(slope).inplace(in_place));
}

}  // namespace gncyclegan
