// forward_any_size: any frame size in, the same size out, and no change for
// sizes the network accepts as they are.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "model/any_size.h"

namespace gncyclegan {
namespace {

std::shared_ptr<Generator> small(const std::string &architecture) {
  GeneratorConfig config = GeneratorConfig::from_name(architecture, 3, 1);
  config.ngf = 8;
  auto generator = make_generator(config);
  generator->eval();
  return generator;
}

TEST(AnySize, PaddedSizeIsTheNextMultiple) {
  EXPECT_EQ(padded_size(45, 4), 48);
  EXPECT_EQ(padded_size(48, 4), 48);
  EXPECT_EQ(padded_size(1, 256), 256);
  EXPECT_EQ(padded_size(257, 128), 256 + 128);
}

TEST(AnySize, OddSizesComeBackAtTheirOwnSize) {
  torch::manual_seed(0);
  for (const char *architecture : {"resnet_2blocks_cbam", "unet_128", "unshuffle8_1blocks_cbam"})
    for (auto [height, width] : {std::pair{31, 45}, std::pair{1, 7}, std::pair{130, 3}}) {
      auto output = forward_any_size(*small(architecture), torch::rand({1, 3, height, width}) * 2 - 1);
      EXPECT_EQ(output.sizes(), (std::vector<int64_t>{1, 1, height, width})) << architecture;
    }
}

TEST(AnySize, AcceptedSizesRunUnchanged) {
  torch::manual_seed(0);
  auto generator = small("resnet_2blocks_cbam");
  auto input = torch::rand({1, 3, 32, 48}) * 2 - 1;
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(forward_any_size(*generator, input), generator->forward(input)));
}

TEST(AnySize, BuildsNoAutogradGraph) {
  auto output = forward_any_size(*small("resnet_2blocks_cbam"), torch::zeros({1, 3, 30, 30}));
  EXPECT_FALSE(output.requires_grad());
}

}  // namespace
}  // namespace gncyclegan
