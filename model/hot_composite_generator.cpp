#include "model/hot_composite_generator.h"

#include <ATen/ops/avg_pool2d.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/replication_pad2d.h>
#include <ATen/ops/sigmoid.h>
#include <torch/nn/functional/upsampling.h>

#include "model/any_size.h"

namespace gncyclegan {

HotCompositeGenerator::HotCompositeGenerator(const GeneratorConfig &config) : Generator(config) {
  base = register_module("base", make_generator(*config.base));
  head = register_module("head", HotTargetHead(config.head_width));
}

void HotCompositeGenerator::freeze_base() {
  for (auto &parameter : base->parameters()) parameter.set_requires_grad(false);
  base_frozen_ = true;
  base->eval();
}

void HotCompositeGenerator::train(bool on) {
  Generator::train(on);
  if (base_frozen_) base->eval();
}

torch::Tensor HotCompositeGenerator::composite(const torch::Tensor &base, const torch::Tensor &gate_logits,
                                               const torch::Tensor &value) {
  return base + at::sigmoid(gate_logits) * (value - base);
}

std::pair<torch::Tensor, torch::Tensor> HotCompositeGenerator::head_over(const torch::Tensor &input,
                                                                         const torch::Tensor &base_output) {
  const bool half = config().head_half;
  const int64_t multiple = kHotHeadMultiple * (half ? 2 : 1);
  const int64_t height = input.size(2), width = input.size(3);
  const int64_t pad_bottom = padded_size(height, multiple) - height;
  const int64_t pad_right = padded_size(width, multiple) - width;
  auto pad = [&](const torch::Tensor &x) {
    return pad_bottom || pad_right ? at::replication_pad2d(x, {0, pad_right, 0, pad_bottom}) : x;
  };
  auto visible = pad(input), base_map = pad(base_output);
  if (half) {
    visible = at::avg_pool2d(visible, 2);
    base_map = at::avg_pool2d(base_map, 2);
  }
  auto [gate_logits, value] = head->forward(visible, base_map);
  auto restore = [&](torch::Tensor x) {
    if (half) {
      namespace F = torch::nn::functional;
      x = F::interpolate(x, F::InterpolateFuncOptions()
                                .scale_factor(std::vector<double>{2.0, 2.0})
                                .mode(torch::kBilinear)
                                .align_corners(false));
    }
    return x.narrow(2, 0, height).narrow(3, 0, width);
  };
  return {restore(gate_logits), restore(value)};
}

HotCompositeGenerator::Parts HotCompositeGenerator::parts(const torch::Tensor &input) {
  Parts result;
  result.base = base->forward(input);
  std::tie(result.gate_logits, result.value) = head_over(input, result.base);
  return result;
}

torch::Tensor HotCompositeGenerator::forward(const torch::Tensor &input) {
  const auto p = parts(input);
  return composite(p.base, p.gate_logits, p.value);
}

}  // namespace gncyclegan
