#include "model/unet_generator.h"

#include <ATen/ops/cat.h>
#include <ATen/ops/leaky_relu.h>
#include <torch/nn/modules/conv.h>

#include "model/layers.h"

namespace gncyclegan {
namespace {

constexpr double kLeakySlope = 0.2;

torch::nn::Conv2d down_conv(int in, int out) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 4).stride(2).padding(1));
}

torch::nn::ConvTranspose2d up_conv(int in, int out) {
  return torch::nn::ConvTranspose2d(
      torch::nn::ConvTranspose2dOptions(in, out, 4).stride(2).padding(1));
}

}  // namespace

UnetSkipBlockImpl::UnetSkipBlockImpl(int outer_channels, int inner_channels, int input_channels,
                                     UnetLevel level, torch::nn::AnyModule inner)
    : level_(level) {
  using namespace torch::nn;
  model = register_module("model", Sequential());
  switch (level) {
    case UnetLevel::outermost:
      model->push_back(down_conv(input_channels, inner_channels));
      model->push_back(std::move(inner));
      model->push_back(relu_in_place());
      model->push_back(up_conv(inner_channels * 2, outer_channels));
      model->push_back(Tanh());
      break;
    case UnetLevel::innermost:
      model->push_back(leaky_relu(kLeakySlope));
      model->push_back(down_conv(outer_channels, inner_channels));
      model->push_back(relu_in_place());
      model->push_back(up_conv(inner_channels, outer_channels));
      model->push_back(instance_norm(outer_channels));
      break;
    case UnetLevel::middle:
      model->push_back(leaky_relu(kLeakySlope));
      model->push_back(down_conv(outer_channels, inner_channels));
      model->push_back(instance_norm(inner_channels));
      model->push_back(std::move(inner));
      model->push_back(relu_in_place());
      model->push_back(up_conv(inner_channels * 2, outer_channels));
      model->push_back(instance_norm(outer_channels));
      break;
  }
}

torch::Tensor UnetSkipBlockImpl::forward(const torch::Tensor &x) {
  if (level_ == UnetLevel::outermost) return model->forward(x);
  // The reference's LeakyReLU is in place, so its skip connection carries
  // leaky_relu(x), not x; reproduce that so converted weights behave the same.
  return at::cat({at::leaky_relu(x, kLeakySlope), model->forward(x)}, 1);
}

UnetGenerator::UnetGenerator(const GeneratorConfig &config) : Generator(config) {
  const int ngf = config.ngf;
  auto block = UnetSkipBlock(ngf * 8, ngf * 8, 0, UnetLevel::innermost, torch::nn::AnyModule());
  for (int i = 0; i < config.num_downs - 5; ++i)
    block = UnetSkipBlock(ngf * 8, ngf * 8, 0, UnetLevel::middle, torch::nn::AnyModule(block));
  for (int mult : {4, 2, 1})
    block = UnetSkipBlock(ngf * mult, ngf * mult * 2, 0, UnetLevel::middle,
                          torch::nn::AnyModule(block));
  model = register_module("model", UnetSkipBlock(config.out_channels, ngf, config.in_channels,
                                                 UnetLevel::outermost, torch::nn::AnyModule(block)));
}

torch::Tensor UnetGenerator::forward(const torch::Tensor &input) { return model->forward(input); }

}  // namespace gncyclegan
