// Running a generator on an image of any size. The networks accept only
// multiples of config().size_multiple() (4 for the ResNets, 2^num_downs for the
// U-Nets); other sizes are padded up at the bottom and right edges by
// repeating the border pixels, and the output is cropped back, so every pixel
// of the result corresponds to the same pixel of the input. Tiny images are
// padded up to the smallest size the network runs on (8 for the ResNets).
#pragma once

#include <functional>

#include <torch/types.h>

#include "model/generator.h"

namespace gncyclegan {

// The smallest multiple of `multiple` that is >= `size`.
int64_t padded_size(int64_t size, int multiple);

// N x C x H x W in [-1, 1], any H and W >= 1 -> N x C' x H x W. Runs without
// building an autograd graph.
torch::Tensor forward_any_size(Generator &generator, const torch::Tensor &input);
// The same with `forward` in place of the generator's own (another runtime
// running a generator of this configuration).
torch::Tensor forward_any_size(const GeneratorConfig &config, const torch::Tensor &input,
                               const std::function<torch::Tensor(const torch::Tensor &)> &forward);

}  // namespace gncyclegan
