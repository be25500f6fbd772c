#include "model/resnet_generator.h"

#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/padding.h>
#include <ATen/ops/reflection_pad2d.h>
#include <ATen/ops/upsample_nearest2d.h>

#include "model/layers.h"

namespace gncyclegan {

ResnetBlockImpl::ResnetBlockImpl(int channels, bool with_cbam, int cbam_reduction) {
  using namespace torch::nn;
  conv_block = register_module(
      "conv_block",
      Sequential(ReflectionPad2d(1), Conv2d(Conv2dOptions(channels, channels, 3)),
                 instance_norm(channels), relu_in_place(), ReflectionPad2d(1),
                 Conv2d(Conv2dOptions(channels, channels, 3)), instance_norm(channels)));
  if (with_cbam) cbam = register_module("cbam", Cbam(channels, cbam_reduction));
}

torch::Tensor ResnetBlockImpl::forward(const torch::Tensor &x) {
  auto branch = conv_block->forward(x);
  if (cbam) branch = cbam->forward(branch);
  return x + branch;
}

ResizeConvImpl::ResizeConvImpl(int in_channels, int out_channels) {
  conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, out_channels, 3)));
}

torch::Tensor ResizeConvImpl::forward(const torch::Tensor &x) {
  auto upsampled = at::upsample_nearest2d(x, {2 * x.size(2), 2 * x.size(3)});
  return conv->forward(at::reflection_pad2d(upsampled, {1, 1, 1, 1}));
}

ResnetGenerator::ResnetGenerator(const GeneratorConfig &config) : Generator(config) {
  using namespace torch::nn;
  const int ngf = config.ngf;
  model = register_module("model", Sequential());
  model->push_back(ReflectionPad2d(3));
  model->push_back(Conv2d(Conv2dOptions(config.in_channels, ngf, 7)));
  model->push_back(instance_norm(ngf));
  model->push_back(relu_in_place());
  for (int mult : {1, 2}) {
    model->push_back(Conv2d(Conv2dOptions(ngf * mult, ngf * mult * 2, 3).stride(2).padding(1)));
    model->push_back(instance_norm(ngf * mult * 2));
    model->push_back(relu_in_place());
  }
  for (int i = 0; i < config.n_blocks; ++i)
    model->push_back(ResnetBlock(ngf * 4, config.cbam, config.cbam_reduction));
  for (int mult : {4, 2}) {
    if (config.resize_conv)
      model->push_back(ResizeConv(ngf * mult, ngf * mult / 2));
    else
      model->push_back(ConvTranspose2d(
          ConvTranspose2dOptions(ngf * mult, ngf * mult / 2, 3).stride(2).padding(1).output_padding(1)));
    model->push_back(instance_norm(ngf * mult / 2));
    model->push_back(relu_in_place());
  }
  model->push_back(ReflectionPad2d(3));
  model->push_back(Conv2d(Conv2dOptions(ngf, config.out_channels, 7)));
  model->push_back(Tanh());
}

torch::Tensor ResnetGenerator::forward(const torch::Tensor &input) { return model->forward(input); }

}  // namespace gncyclegan
