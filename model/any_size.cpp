#include "model/any_size.h"

#include <algorithm>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

namespace gncyclegan {

int64_t padded_size(int64_t size, int multiple) { return (size + multiple - 1) / multiple * multiple; }

torch::Tensor forward_any_size(Generator &generator, const torch::Tensor &input) {
  return forward_any_size(generator.config(), input, [&](const torch::Tensor &x) { return generator.forward(x); });
}

torch::Tensor forward_any_size(const GeneratorConfig &config, const torch::Tensor &input,
                               const std::function<torch::Tensor(const torch::Tensor &)> &forward) {
  torch::NoGradGuard no_grad;
  const int multiple = config.size_multiple();
  const int64_t least = config.least_size();
  const int64_t height = input.size(2), width = input.size(3);
  const int64_t pad_bottom = std::max(padded_size(height, multiple), least) - height;
  const int64_t pad_right = std::max(padded_size(width, multiple), least) - width;
  if (pad_bottom == 0 && pad_right == 0) return forward(input);
  // Replicate padding works for any amount (reflection needs pad < size).
  auto padded = at::replication_pad2d(input, {0, pad_right, 0, pad_bottom});
  return forward(padded).slice(2, 0, height).slice(3, 0, width);
}

}  // namespace gncyclegan
