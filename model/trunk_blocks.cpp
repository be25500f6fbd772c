#include "model/trunk_blocks.h"

#include <cmath>
#include <regex>
#include <stdexcept>

#include "model/resnet_generator.h"

namespace gncyclegan {

bool same_design_deeper(const GeneratorConfig &deeper, const GeneratorConfig &shallower) {
  const bool trunked = deeper.family == GeneratorFamily::resnet || deeper.family == GeneratorFamily::unshuffle;
  return trunked && deeper.family == shallower.family && deeper.n_blocks > shallower.n_blocks &&
         deeper.cbam == shallower.cbam && deeper.cbam_reduction == shallower.cbam_reduction &&
         deeper.resize_conv == shallower.resize_conv && deeper.unshuffle_factor == shallower.unshuffle_factor &&
         deeper.ngf == shallower.ngf && deeper.in_channels == shallower.in_channels &&
         deeper.out_channels == shallower.out_channels;
}

std::vector<int> evenly_spaced_blocks(int from, int count) {
  if (count < 1 || count > from)
    throw std::invalid_argument("cannot choose " + std::to_string(count) + " of " + std::to_string(from) + " blocks");
  if (count == 1) return {0};
  std::vector<int> blocks;
  for (int i = 0; i < count; ++i)
    blocks.push_back(static_cast<int>(std::lround(static_cast<double>(i) * (from - 1) / (count - 1))));
  return blocks;
}

std::map<std::string, torch::Tensor> keep_trunk_blocks(const std::map<std::string, torch::Tensor> &tensors,
                                                       const GeneratorConfig &deeper, const std::vector<int> &kept) {
  if (deeper.family != GeneratorFamily::resnet && deeper.family != GeneratorFamily::unshuffle)
    throw std::invalid_argument("only a resnet or unshuffle generator has a residual trunk to take blocks from, not " +
                                deeper.architecture());
  const int n = deeper.n_blocks;
  std::vector<int> position(n, -1);  // deeper block -> its place in the new trunk
  for (size_t i = 0; i < kept.size(); ++i) {
    const int block = kept[i];
    if (block < 0 || block >= n)
      throw std::invalid_argument("block " + std::to_string(block) + " is not among " + deeper.architecture() +
                                  "'s blocks 0-" + std::to_string(n - 1));
    if (i > 0 && block <= kept[i - 1])
      throw std::invalid_argument("the blocks to keep must be given in increasing order, each once");
    position[block] = static_cast<int>(i);
  }
  const bool resnet = deeper.family == GeneratorFamily::resnet;
  const int first = resnet ? kResnetFirstBlock : 0;
  static const std::regex resnet_layer(R"(model\.([0-9]+)\.(.+))");
  static const std::regex unshuffle_block(R"(trunk\.([0-9]+)\.(.+))");
  const std::string prefix = resnet ? "model." : "trunk.";
  const int dropped = n - static_cast<int>(kept.size());
  std::map<std::string, torch::Tensor> renamed;
  for (const auto &[name, tensor] : tensors) {
    std::smatch match;
    if (!std::regex_match(name, match, resnet ? resnet_layer : unshuffle_block)) {
      renamed.emplace(name, tensor);
      continue;
    }
    const int index = std::stoi(match[1].str());
    if (index < first) {
      renamed.emplace(name, tensor);
    } else if (index < first + n) {
      if (position[index - first] >= 0)
        renamed.emplace(prefix + std::to_string(first + position[index - first]) + "." + match[2].str(), tensor);
    } else {  // a ResNet's upsampling and output layers move up by the blocks left out
      renamed.emplace(prefix + std::to_string(index - dropped) + "." + match[2].str(), tensor);
    }
  }
  return renamed;
}

}  // namespace gncyclegan
