// The CycleGAN reference's ResnetGenerator (resnet_6blocks, resnet_9blocks) and
// the paper's variant with CBAM in every residual block (resnet_9blocks_cbam).
#pragma once

#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

#include "model/cbam.h"
#include "model/generator.h"

namespace gncyclegan {

// x + cbam(conv_block(x)), conv_block = [RefPad1, Conv3x3, IN, ReLU, RefPad1,
// Conv3x3, IN]; no ReLU after the sum. Without CBAM it is the reference block.
class ResnetBlockImpl : public torch::nn::Module {
 public:
  ResnetBlockImpl(int channels, bool with_cbam, int cbam_reduction);
  torch::Tensor forward(const torch::Tensor &x);

  torch::nn::Sequential conv_block{nullptr};
  Cbam cbam{nullptr};
};
TORCH_MODULE(ResnetBlock);

// 2x upsampling without checkerboard artefacts (Odena et al., Distill 2016):
// nearest-neighbour resize, then [RefPad1, Conv3x3]. Its tensors are
// model.<i>.conv.weight/bias where the reference has a ConvTranspose2d.
class ResizeConvImpl : public torch::nn::Module {
 public:
  ResizeConvImpl(int in_channels, int out_channels);
  torch::Tensor forward(const torch::Tensor &x);

  torch::nn::Conv2d conv{nullptr};
};
TORCH_MODULE(ResizeConv);

// Where the first residual block sits in ResnetGenerator::model: after the
// stem (pad, conv, norm, ReLU) and two downsamplings (conv, norm, ReLU each).
// The upsampling and output layers follow the last block.
inline constexpr int kResnetFirstBlock = 10;

// Tensor names are the reference's state_dict keys: model.1.weight (first conv),
// model.10.conv_block.1.weight (first residual block), model.10.cbam.mlp.0.weight.
class ResnetGenerator : public Generator {
 public:
  explicit ResnetGenerator(const GeneratorConfig &config);
  torch::Tensor forward(const torch::Tensor &input) override;

  torch::nn::Sequential model{nullptr};
};

}  // namespace gncyclegan
