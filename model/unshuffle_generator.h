// A generator whose residual trunk runs at 1/S of the image's side (S = 2, 4
// or 8): pixel unshuffle (space to depth) in, pixel shuffle out, and the
// visible image fused back in at full resolution. Against the ResNets it sees
// further (the trunk's 3x3 convolutions span S pixels a tap: with S = 8 and
// six blocks, a 200-pixel field, a whole person) at a fraction of the
// arithmetic per output pixel, for it spends almost nothing at full size.
//
//   x (C_in x H x W)
//   -> pixel_unshuffle(S), 1x1 conv -> ngf, IN, ReLU             stem
//   -> N residual blocks at ngf (model/resnet_generator.h)       trunk
//   -> 1x1 conv -> (ngf/8)*S*S, pixel_shuffle(S)                 head: ngf/8 maps at H x W
//   -> concat with x, [RefPad1, Conv3x3 -> ngf/8, IN, ReLU]       fuse
//   -> [RefPad1, Conv3x3 -> C_out], Tanh                          out
//
// Tensor names: stem.*, trunk.<i>.conv_block.*, trunk.<i>.cbam.*, head.*,
// fuse.*, out.*.
#pragma once

#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

#include "model/generator.h"

namespace gncyclegan {

class UnshuffleGenerator : public Generator {
 public:
  explicit UnshuffleGenerator(const GeneratorConfig &config);
  torch::Tensor forward(const torch::Tensor &input) override;

  torch::nn::Conv2d stem{nullptr};
  torch::nn::Sequential trunk{nullptr};
  torch::nn::Conv2d head{nullptr};
  torch::nn::Conv2d fuse{nullptr};
  torch::nn::Conv2d out{nullptr};
};

}  // namespace gncyclegan
