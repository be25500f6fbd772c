// The CycleGAN reference's UnetGenerator: unet_128 (7 downsamplings) and
// unet_256 (8), built from nested skip-connection blocks.
#pragma once

#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

#include "model/generator.h"

namespace gncyclegan {

enum class UnetLevel { outermost, middle, innermost };

// One level: down = [LeakyReLU(0.2), Conv4x4 s2, IN], the inner levels, up =
// [ReLU, ConvTranspose4x4 s2, IN] (outermost: no LeakyReLU or norm going down,
// Tanh coming up). Inner levels return cat(skip, up(...)).
class UnetSkipBlockImpl : public torch::nn::Module {
 public:
  UnetSkipBlockImpl(int outer_channels, int inner_channels, int input_channels, UnetLevel level,
                    torch::nn::AnyModule inner);
  torch::Tensor forward(const torch::Tensor &x);

  torch::nn::Sequential model{nullptr};

 private:
  UnetLevel level_;
};
TORCH_MODULE(UnetSkipBlock);

// Tensor names are the reference's: model.model.0.weight (first conv),
// model.model.1.model.1.weight (second level's conv), ...
class UnetGenerator : public Generator {
 public:
  explicit UnetGenerator(const GeneratorConfig &config);
  torch::Tensor forward(const torch::Tensor &input) override;

  UnetSkipBlock model{nullptr};
};

}  // namespace gncyclegan
