// A shallower trunk taken from a deeper generator: the blocks chosen, and a
// generator that computes what the deeper one does when the blocks left out
// add nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include <torch/torch.h>

#include "model/trunk_blocks.h"
#include "model/weights.h"

namespace gncyclegan {
namespace {

TEST(TrunkBlocks, EvenlySpacedKeepsTheFirstAndTheLast) {
  EXPECT_EQ(evenly_spaced_blocks(6, 4), (std::vector<int>{0, 2, 3, 5}));
  EXPECT_EQ(evenly_spaced_blocks(9, 6), (std::vector<int>{0, 2, 3, 5, 6, 8}));
  EXPECT_EQ(evenly_spaced_blocks(6, 2), (std::vector<int>{0, 5}));
  EXPECT_EQ(evenly_spaced_blocks(6, 1), (std::vector<int>{0}));
  EXPECT_EQ(evenly_spaced_blocks(3, 3), (std::vector<int>{0, 1, 2}));
  EXPECT_THROW(evenly_spaced_blocks(3, 4), std::invalid_argument);
}

TEST(TrunkBlocks, OnlyTheSameDesignWithMoreBlocksIsDeeper) {
  const auto six = GeneratorConfig::from_name("unshuffle8_6blocks_cbam", 3, 1, 16);
  EXPECT_TRUE(same_design_deeper(six, GeneratorConfig::from_name("unshuffle8_4blocks_cbam", 3, 1, 16)));
  EXPECT_FALSE(same_design_deeper(six, GeneratorConfig::from_name("unshuffle8_6blocks_cbam", 3, 1, 16)));
  EXPECT_FALSE(same_design_deeper(six, GeneratorConfig::from_name("unshuffle4_4blocks_cbam", 3, 1, 16)));
  EXPECT_FALSE(same_design_deeper(six, GeneratorConfig::from_name("unshuffle8_4blocks", 3, 1, 16)));
  EXPECT_FALSE(same_design_deeper(six, GeneratorConfig::from_name("unshuffle8_4blocks_cbam", 3, 1, 8)));
  EXPECT_FALSE(same_design_deeper(six, GeneratorConfig::from_name("resnet_4blocks_cbam", 3, 1, 16)));
  EXPECT_TRUE(same_design_deeper(GeneratorConfig::from_name("resnet_9blocks_cbam", 3, 1, 16),
                                 GeneratorConfig::from_name("resnet_6blocks_cbam", 3, 1, 16)));
}

// A residual block whose last convolution is zero adds nothing (instance norm
// of zeros is zero, and so is CBAM's product with it): the deeper generator
// with such blocks computes exactly what the shallower one built from the
// other blocks computes. `block_prefix` names a block's tensors in the deeper
// generator.
void expect_same_output_without_idle_blocks(const std::string &deeper_name, const std::string &shallower_name,
                                            const std::vector<int> &kept,
                                            const std::function<std::string(int)> &block_prefix) {
  torch::manual_seed(3);
  const auto deeper_config = GeneratorConfig::from_name(deeper_name, 3, 1, 8);
  auto deeper = make_generator(deeper_config);
  auto tensors = module_tensors(*deeper);
  for (int block = 0; block < deeper_config.n_blocks; ++block) {
    if (std::find(kept.begin(), kept.end(), block) != kept.end()) continue;
    for (const char *part : {"conv_block.5.weight", "conv_block.5.bias"}) {
      auto &tensor = tensors.at(block_prefix(block) + part);
      tensor = torch::zeros_like(tensor);
    }
  }
  load_module_tensors(*deeper, tensors, "deeper");
  auto shallower = make_generator(GeneratorConfig::from_name(shallower_name, 3, 1, 8));
  load_module_tensors(*shallower, keep_trunk_blocks(tensors, deeper_config, kept), "shallower");
  deeper->eval();
  shallower->eval();
  torch::NoGradGuard no_grad;
  const auto x = torch::rand({1, 3, 64, 64}) * 2 - 1;
  const auto expected = deeper->forward(x);
  EXPECT_TRUE(torch::allclose(shallower->forward(x), expected, 1e-5, 1e-5));
  // The blocks kept do work: without them the output differs.
  auto plain = make_generator(GeneratorConfig::from_name(shallower_name, 3, 1, 8));
  plain->eval();
  EXPECT_FALSE(torch::allclose(plain->forward(x), expected, 1e-3, 1e-3));
}

TEST(TrunkBlocks, UnshuffleTrunkWithoutIdleBlocksComputesTheSame) {
  auto prefix = [](int block) { return "trunk." + std::to_string(block) + "."; };
  expect_same_output_without_idle_blocks("unshuffle8_3blocks_cbam", "unshuffle8_2blocks_cbam", {0, 2}, prefix);
  expect_same_output_without_idle_blocks("unshuffle8_4blocks_cbam", "unshuffle8_1blocks_cbam", {1}, prefix);
}

// A ResNet's layers after the trunk move up by the blocks left out.
TEST(TrunkBlocks, ResnetTrunkWithoutIdleBlocksComputesTheSame) {
  auto prefix = [](int block) { return "model." + std::to_string(10 + block) + "."; };
  expect_same_output_without_idle_blocks("resnet_3blocks_cbam", "resnet_2blocks_cbam", {1, 2}, prefix);
  expect_same_output_without_idle_blocks("resnet_4blocks_resizeconv", "resnet_2blocks_resizeconv", {0, 3}, prefix);
}

TEST(TrunkBlocks, BlocksOutOfRangeOrOrderAreRefused) {
  const auto config = GeneratorConfig::from_name("unshuffle8_3blocks_cbam", 3, 1, 8);
  const auto tensors = module_tensors(*make_generator(config));
  EXPECT_THROW(keep_trunk_blocks(tensors, config, {0, 3}), std::invalid_argument);
  EXPECT_THROW(keep_trunk_blocks(tensors, config, {2, 1}), std::invalid_argument);
  EXPECT_THROW(keep_trunk_blocks(tensors, config, {1, 1}), std::invalid_argument);
  EXPECT_THROW(keep_trunk_blocks(tensors, GeneratorConfig::from_name("unet_128", 3, 1, 8), {0}),
               std::invalid_argument);
}

}  // namespace
}  // namespace gncyclegan
