#include "model/unshuffle_generator.h"

#include <ATen/ops/cat.h>
#include <ATen/ops/pixel_shuffle.h>
#include <ATen/ops/pixel_unshuffle.h>
#include <ATen/ops/reflection_pad2d.h>
#include <ATen/ops/relu.h>
#include <ATen/ops/tanh.h>

#include "model/layers.h"
#include "model/resnet_generator.h"

namespace gncyclegan {

UnshuffleGenerator::UnshuffleGenerator(const GeneratorConfig &config) : Generator(config) {
  using torch::nn::Conv2dOptions;
  const int factor = config.unshuffle_factor;
  const int full = config.full_resolution_channels();
  stem = register_module(
      "stem", torch::nn::Conv2d(Conv2dOptions(config.in_channels * factor * factor, config.ngf, 1)));
  trunk = register_module("trunk", torch::nn::Sequential());
  for (int i = 0; i < config.n_blocks; ++i)
    trunk->push_back(ResnetBlock(config.ngf, config.cbam, config.cbam_reduction));
  head = register_module("head", torch::nn::Conv2d(Conv2dOptions(config.ngf, full * factor * factor, 1)));
  fuse = register_module("fuse", torch::nn::Conv2d(Conv2dOptions(full + config.in_channels, full, 3)));
  out = register_module("out", torch::nn::Conv2d(Conv2dOptions(full, config.out_channels, 3)));
}

torch::Tensor UnshuffleGenerator::forward(const torch::Tensor &input) {
  const int factor = config().unshuffle_factor;
  auto x = at::relu(instance_normalize(stem->forward(at::pixel_unshuffle(input, factor))));
  x = trunk->forward(x);
  x = at::pixel_shuffle(head->forward(x), factor);
  x = fuse->forward(at::reflection_pad2d(at::cat({x, input}, 1), {1, 1, 1, 1}));
  x = at::relu(instance_normalize(x));
  return at::tanh(out->forward(at::reflection_pad2d(x, {1, 1, 1, 1})));
}

}  // namespace gncyclegan
