// The hot-target head: a U-Net that looks at the visible image and a base
// generator's infrared and says, per pixel, whether a warm object is there
// (the gate's logit) and how bright it is in the infrared (the value). Its
// encoder goes down to 1/32 of the side with dilated blocks at the bottom, so
// a whole person or car is in view; the skips keep the outline.
//
//   x0 = [visible (3), base infrared (1)]
//   -> pixel_unshuffle(2), cbr -> w, res(w)                       stem  1/2
//   -> cbr/2 -> 2w, res                                           e1    1/4
//   -> cbr/2 -> 3w, res, res                                      e2    1/8
//   -> cbr/2 -> 4w, res, res                                      e3    1/16
//   -> cbr/2 -> 6w, res(dilation 2), res(dilation 4), res         e4    1/32
//   -> bilinear up + skip, cbr, four times                        d3..d0
//   -> 1x1 conv -> 64, pixel_shuffle(2) -> 16 maps at H x W        up
//   -> concat with x0, 3x3 conv -> 16, ReLU                        fuse
//   -> 3x3 conv -> [gate logit, value]; the value through tanh     out
//
// cbr = 3x3 convolution (zero padding, no bias), BatchNorm, ReLU; res(c) =
// relu(x + bn(conv(cbr(x)))). w is head_width (32: 4.1 M parameters, 43
// thousand multiply-adds per pixel at the image's side, a quarter of that at
// half of it). Tensor names: stem.*, e1.* .. e4.*, d3.* .. d0.*, up.*, fuse.*,
// out.* (sequential indices as the modules above).
#pragma once

#include <utility>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

namespace gncyclegan {

// 3x3 convolution (zero padding `dilation`, no bias: BatchNorm follows) and
// BatchNorm, tensors 0.* and 1.*, then a ReLU or not.
class ConvBnImpl : public torch::nn::Module {
 public:
  ConvBnImpl(int in, int out, int stride, int dilation, bool with_relu);
  torch::Tensor forward(const torch::Tensor &x);

  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};

 private:
  bool with_relu_;
};
TORCH_MODULE(ConvBn);

// relu(x + bn(conv(cbr(x)))), the first convolution dilated: tensors a.*, b.*.
class HotResBlockImpl : public torch::nn::Module {
 public:
  HotResBlockImpl(int channels, int dilation);
  torch::Tensor forward(const torch::Tensor &x);

  ConvBn a{nullptr}, b{nullptr};
};
TORCH_MODULE(HotResBlock);

class HotTargetHeadImpl : public torch::nn::Module {
 public:
  explicit HotTargetHeadImpl(int width);
  // visible N x 3 x H x W and base N x 1 x H x W in [-1, 1], H and W multiples
  // of 32 -> {gate logits, value in [-1, 1]}, each N x 1 x H x W.
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor &visible, const torch::Tensor &base);
  // Starts the gate nearly shut (sigmoid(-3) = 0.05), so an untrained head
  // leaves the base's output as it is.
  void shut_gate();

  torch::nn::Sequential stem{nullptr}, e1{nullptr}, e2{nullptr}, e3{nullptr}, e4{nullptr};
  ConvBn d3{nullptr}, d2{nullptr}, d1{nullptr}, d0{nullptr};
  torch::nn::Conv2d up{nullptr};
  torch::nn::Sequential fuse{nullptr};
  torch::nn::Conv2d out{nullptr};
};
TORCH_MODULE(HotTargetHead);

// The side the head's input must be a multiple of: its five halvings.
inline constexpr int kHotHeadMultiple = 32;

}  // namespace gncyclegan
