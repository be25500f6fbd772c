#include "model/hot_target_head.h"

#include <ATen/ops/cat.h>
#include <ATen/ops/pixel_shuffle.h>
#include <ATen/ops/pixel_unshuffle.h>
#include <ATen/ops/relu.h>
#include <ATen/ops/tanh.h>
#include <torch/nn/functional/upsampling.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>

#include "model/layers.h"

namespace gncyclegan {
namespace {

using torch::nn::Conv2dOptions;

ConvBn cbr(int in, int out, int stride = 1, int dilation = 1) { return ConvBn(in, out, stride, dilation, true); }

// `coarse` resized (bilinear, half-pixel centres) to `skip`'s size, then the two side by side.
torch::Tensor up_and_join(const torch::Tensor &coarse, const torch::Tensor &skip) {
  namespace F = torch::nn::functional;
  auto resized = F::interpolate(coarse, F::InterpolateFuncOptions()
                                            .size(std::vector<int64_t>{skip.size(2), skip.size(3)})
                                            .mode(torch::kBilinear)
                                            .align_corners(false));
  return at::cat({resized, skip}, 1);
}

}  // namespace

ConvBnImpl::ConvBnImpl(int in, int out, int stride, int dilation, bool with_relu) : with_relu_(with_relu) {
  conv = register_module(
      "0", torch::nn::Conv2d(Conv2dOptions(in, out, 3).stride(stride).padding(dilation).dilation(dilation).bias(false)));
  bn = register_module("1", torch::nn::BatchNorm2d(out));
}

torch::Tensor ConvBnImpl::forward(const torch::Tensor &x) {
  auto y = bn->forward(conv->forward(x));
  return with_relu_ ? at::relu(y) : y;
}

HotResBlockImpl::HotResBlockImpl(int channels, int dilation) {
  a = register_module("a", cbr(channels, channels, 1, dilation));
  b = register_module("b", ConvBn(channels, channels, 1, 1, false));
}

torch::Tensor HotResBlockImpl::forward(const torch::Tensor &x) { return at::relu(x + b->forward(a->forward(x))); }

HotTargetHeadImpl::HotTargetHeadImpl(int width) {
  const int w0 = width, w1 = 2 * width, w2 = 3 * width, w3 = 4 * width, w4 = 6 * width;
  constexpr int kInputs = 4, kFull = 16;
  stem = register_module("stem", torch::nn::Sequential(cbr(kInputs * 4, w0), HotResBlock(w0, 1)));
  e1 = register_module("e1", torch::nn::Sequential(cbr(w0, w1, 2), HotResBlock(w1, 1)));
  e2 = register_module("e2", torch::nn::Sequential(cbr(w1, w2, 2), HotResBlock(w2, 1), HotResBlock(w2, 1)));
  e3 = register_module("e3", torch::nn::Sequential(cbr(w2, w3, 2), HotResBlock(w3, 1), HotResBlock(w3, 1)));
  e4 = register_module("e4", torch::nn::Sequential(cbr(w3, w4, 2), HotResBlock(w4, 2), HotResBlock(w4, 4),
                                                   HotResBlock(w4, 1)));
  d3 = register_module("d3", cbr(w4 + w3, w3));
  d2 = register_module("d2", cbr(w3 + w2, w2));
  d1 = register_module("d1", cbr(w2 + w1, w1));
  d0 = register_module("d0", cbr(w1 + w0, w0));
  up = register_module("up", torch::nn::Conv2d(Conv2dOptions(w0, kFull * 4, 1)));
  fuse = register_module("fuse", torch::nn::Sequential(torch::nn::Conv2d(Conv2dOptions(kFull + kInputs, kFull, 3).padding(1)),
                                                       relu_in_place()));
  out = register_module("out", torch::nn::Conv2d(Conv2dOptions(kFull, 2, 3).padding(1)));
}

void HotTargetHeadImpl::shut_gate() {
  torch::NoGradGuard no_grad;
  out->bias[0].fill_(-3.0);
  out->bias[1].fill_(0.0);
}

std::pair<torch::Tensor, torch::Tensor> HotTargetHeadImpl::forward(const torch::Tensor &visible,
                                                                   const torch::Tensor &base) {
  const auto x0 = at::cat({visible, base}, 1);
  const auto s0 = stem->forward(at::pixel_unshuffle(x0, 2));
  const auto s1 = e1->forward(s0);
  const auto s2 = e2->forward(s1);
  const auto s3 = e3->forward(s2);
  const auto s4 = e4->forward(s3);
  auto y = d3->forward(up_and_join(s4, s3));
  y = d2->forward(up_and_join(y, s2));
  y = d1->forward(up_and_join(y, s1));
  y = d0->forward(up_and_join(y, s0));
  y = at::pixel_shuffle(up->forward(y), 2);
  const auto o = out->forward(fuse->forward(at::cat({y, x0}, 1)));
  return {o.narrow(1, 0, 1), at::tanh(o.narrow(1, 1, 1))};
}

}  // namespace gncyclegan
