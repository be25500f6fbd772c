// A shallower generator started from a deeper one of the same design: its
// stem and output layers as they are, and some of its residual blocks, in
// order, as the whole trunk. Each block adds a correction to what flows
// through the trunk, so a trunk missing some still computes much the same
// thing, and a short fine-tuning (distillation from the deeper model) closes
// the gap instead of a training from scratch. Used by gncyclegan-train's
// --init-generator with --init-trunk-blocks.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <torch/types.h>

#include "model/config.h"

namespace gncyclegan {

// Whether `deeper` is `shallower` with more residual blocks: a resnet or
// unshuffle generator of the same family, options, width and channels.
bool same_design_deeper(const GeneratorConfig &deeper, const GeneratorConfig &shallower);

// `count` of `from` block indices spread evenly, the first and the last always
// among them (6 -> 4: 0, 2, 3, 5).
std::vector<int> evenly_spaced_blocks(int from, int count);

// The tensors of `deeper` (as named in its weights file) renamed for a
// generator whose trunk is the blocks `kept` of it, in that order. Throws
// std::invalid_argument for an index out of range, repeated, or out of order.
std::map<std::string, torch::Tensor> keep_trunk_blocks(const std::map<std::string, torch::Tensor> &tensors,
                                                       const GeneratorConfig &deeper, const std::vector<int> &kept);

}  // namespace gncyclegan
