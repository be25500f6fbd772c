// Layer choices shared by the reference architectures.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/pimpl.h>

namespace gncyclegan {

// InstanceNorm without affine parameters or running statistics, as the
// reference (nothing in the state dict). On CUDA the statistics come from one
// var_mean reduction: ATen's instance_norm runs batch_norm's kernels, which
// give each channel one block, and at video sizes (64 channels of 720 x 1280)
// that took 1.59 ms against 0.58 on an H100. On the CPU ATen's is the faster
// (60 against 143 ms at 64 x 480 x 640, 2 threads), so it stays there.
inline torch::Tensor instance_normalize(const torch::Tensor &x) {
  constexpr double kEps = 1e-5;
  if (!x.is_cuda()) return torch::instance_norm(x, {}, {}, {}, {}, /*use_input_stats=*/true, 0.1, kEps, false);
  auto [var, mean] = torch::var_mean(x, {2, 3}, /*unbiased=*/false, /*keepdim=*/true);
  return (x - mean) * torch::rsqrt(var + kEps);
}

class InstanceNormImpl : public torch::nn::Module {
 public:
  explicit InstanceNormImpl(int channels) : channels_(channels) {}
  torch::Tensor forward(const torch::Tensor &x) { return instance_normalize(x); }
  void pretty_print(std::ostream &stream) const override { stream << "InstanceNorm(" << channels_ << ")"; }

 private:
  int channels_;
};
TORCH_MODULE(InstanceNorm);

inline InstanceNorm instance_norm(int channels) { return InstanceNorm(channels); }

// In place, as the reference: saves an allocation per activation.
inline torch::nn::ReLU relu_in_place() { return torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)); }

inline torch::nn::LeakyReLU leaky_relu(double slope, bool in_place = false) {
  return torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(slope).inplace(in_place));
}

}  // namespace gncyclegan
