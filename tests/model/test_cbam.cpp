// CBAM against values computed by hand (and checked with an independent NumPy
// transcription of the CBAM reference code).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "model/cbam.h"

namespace gncyclegan {
namespace {

TEST(Cbam, MatchesAHandComputedCase) {
  torch::NoGradGuard no_grad;
  Cbam cbam(/*channels=*/2, /*reduction=*/16);  // hidden width max(1, 2/16) = 1
  cbam->eval();                                  // BatchNorm on running statistics (0, 1)
  auto linear = [](torch::nn::Sequential &mlp, size_t index) {
    return mlp[index]->as<torch::nn::Linear>();
  };
  linear(cbam->mlp, 0)->weight.copy_(torch::tensor({{1.0f, -1.0f}}));
  linear(cbam->mlp, 0)->bias.fill_(0.0f);
  linear(cbam->mlp, 2)->weight.copy_(torch::tensor({{1.0f}, {2.0f}}));
  linear(cbam->mlp, 2)->bias.copy_(torch::tensor({0.0f, 0.5f}));
  // Spatial conv: only the centre tap, +1 on the channel-max map, -1 on the mean map.
  auto &kernel = cbam->spatial->conv->weight;
  kernel.zero_();
  kernel.index_put_({0, 0, 3, 3}, 1.0f);
  kernel.index_put_({0, 1, 3, 3}, -1.0f);
  cbam->spatial->bn->weight.fill_(1.0f);
  cbam->spatial->bn->bias.fill_(0.0f);

  // x: channel 0 = [1, 3], channel 1 = [2, -2] (1 x 2 pixels).
  auto x = torch::tensor({1.0f, 3.0f, 2.0f, -2.0f}).view({1, 2, 1, 2});
  // Channel gate: avg = (2, 0) -> mlp = (2, 4.5); max = (3, 2) -> mlp = (1, 2.5);
  // scale = sigmoid((3, 7)) = (0.952574, 0.999089).
  // Spatial gate on the rescaled x: max - mean per pixel = (0.522802, 2.427950),
  // / sqrt(1 + 1e-5), sigmoid -> (0.627803, 0.918933).
  auto expected = torch::tensor({0.5980280337f, 2.6260555617f, 1.2544602728f, -1.8361917229f}).view({1, 2, 1, 2});
  auto y = cbam->forward(x);
  EXPECT_TRUE(torch::allclose(y, expected, /*rtol=*/1e-5, /*atol=*/1e-6)) << y;
}

TEST(Cbam, ReductionNeverLeavesTheMlpEmpty) {
  Cbam narrow(8, 16);
  EXPECT_EQ(narrow->mlp[0]->as<torch::nn::Linear>()->weight.sizes(), (std::vector<int64_t>{1, 8}));
  Cbam wide(256, 16);
  EXPECT_EQ(wide->mlp[0]->as<torch::nn::Linear>()->weight.sizes(), (std::vector<int64_t>{16, 256}));
}

}  // namespace
}  // namespace gncyclegan
