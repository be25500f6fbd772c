// The hot-target head and the composite over a base generator
// (model/hot_composite_generator.h): the parameters counted by hand, the
// tensor names, and the composite's two limits (gate shut: the base's output
// pixel for pixel; gate open: the head's value).
#include <cmath>

#include <gtest/gtest.h>

#include <torch/torch.h>

#include "model/generator.h"
#include "model/hot_composite_generator.h"
#include "model/weights.h"
#include "tests/support/test_support.h"

namespace gncyclegan {
namespace {

using test::parameter_count;

std::shared_ptr<HotCompositeGenerator> hot(const std::string &architecture, int ngf = 8) {
  auto generator = std::dynamic_pointer_cast<HotCompositeGenerator>(
      make_generator(GeneratorConfig::from_name(architecture, 3, 1, ngf)));
  generator->eval();
  return generator;
}

// Head width 32, [visible, base] in (4 channels): cbr(i, o) = 3x3 conv without
// bias + BatchNorm = 9io + 2o; res(c) = 2 (9c^2 + 2c). stem cbr(16, 32) + res(32);
// e1 cbr(32, 64) + res(64); e2 cbr(64, 96) + 2 res(96); e3 cbr(96, 128) + 2 res(128);
// e4 cbr(128, 192) + 3 res(192); d3..d0 cbr(320, 128), cbr(224, 96),
// cbr(160, 64), cbr(96, 32); up 1x1 32 -> 64 with bias; fuse 3x3 20 -> 16 and
// out 16 -> 2, with bias.
TEST(HotTargetHead, HasTheHandCountedParameters) {
  auto cbr = [](int64_t in, int64_t out) { return 9 * in * out + 2 * out; };
  auto res = [](int64_t c) { return 2 * (9 * c * c + 2 * c); };
  const int64_t expected = cbr(16, 32) + res(32) + cbr(32, 64) + res(64) + cbr(64, 96) + 2 * res(96) +
                           cbr(96, 128) + 2 * res(128) + cbr(128, 192) + 3 * res(192) + cbr(320, 128) +
                           cbr(224, 96) + cbr(160, 64) + cbr(96, 32) + (32 * 64 + 64) + (9 * 20 * 16 + 16) +
                           (9 * 16 * 2 + 2);
  EXPECT_EQ(expected, 4'107'954);
  EXPECT_EQ(parameter_count(*HotTargetHead(32)), expected);
  auto composite = hot("hot_resnet_6blocks_cbam", 16);
  EXPECT_EQ(parameter_count(*composite), parameter_count(*composite->base) + expected);
}

TEST(HotTargetHead, NamesItsTensorsByPart) {
  const auto tensors = module_tensors(*hot("hot_half_resnet_2blocks_cbam"));
  auto shape = [&](const std::string &name) {
    auto it = tensors.find(name);
    return it == tensors.end() ? std::vector<int64_t>{} : it->second.sizes().vec();
  };
  EXPECT_EQ(shape("base.model.1.weight"), (std::vector<int64_t>{8, 3, 7, 7}));
  EXPECT_EQ(shape("head.stem.0.0.weight"), (std::vector<int64_t>{32, 16, 3, 3}));
  EXPECT_EQ(shape("head.e4.2.a.1.running_var"), (std::vector<int64_t>{192}));
  EXPECT_EQ(shape("head.d3.0.weight"), (std::vector<int64_t>{128, 320, 3, 3}));
  EXPECT_EQ(shape("head.fuse.0.weight"), (std::vector<int64_t>{16, 20, 3, 3}));
  EXPECT_EQ(shape("head.out.bias"), (std::vector<int64_t>{2}));
  for (const auto &[name, tensor] : tensors)
    EXPECT_EQ(name.find("num_batches_tracked"), std::string::npos) << "inference never reads " << name;
}

TEST(HotComposite, AnUntrainedHeadLeavesTheBaseNearlyAsItIs) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(5);
  auto generator = hot("hot_resnet_1blocks");
  const auto input = torch::rand({1, 3, 48, 64}) * 2 - 1;
  const auto parts = generator->parts(input);
  EXPECT_NEAR(torch::sigmoid(parts.gate_logits).mean().item<double>(), 1 / (1 + std::exp(3.0)), 0.01);
}

// out = base + sigmoid(gate) (value - base): with the gate's bias at -40 the
// output is the base's; at +40 with the value's bias at atanh(0.5) and no
// weights, 0.5 everywhere. Odd sizes (36 x 52) pass through the head's padding.
TEST(HotComposite, ItsLimitsAreTheBaseAndTheValue) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(6);
  for (const char *architecture : {"hot_resnet_1blocks_cbam", "hot_half_unshuffle4_1blocks"}) {
    auto generator = hot(architecture);
    const auto input = torch::rand({2, 3, 36, 52}) * 2 - 1;
    const auto base = generator->base->forward(input);
    generator->head->out->bias[0].fill_(-40.0);
    const auto shut = generator->forward(input);
    ASSERT_EQ(shut.sizes(), base.sizes()) << architecture;
    EXPECT_LT((shut - base).abs().max().item<double>(), 1e-6) << architecture;

    generator->head->out->weight.zero_();
    generator->head->out->bias[0].fill_(40.0);
    generator->head->out->bias[1].fill_(std::atanh(0.5));
    const auto open = generator->forward(input);
    EXPECT_LT((open - 0.5).abs().max().item<double>(), 1e-5) << architecture;
  }
}

TEST(HotComposite, SavesAndLoadsAsOneSelfDescribingFile) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(7);
  auto generator = hot("hot_half_resnet_1blocks_cbam");
  for (auto &buffer : generator->named_buffers())
    if (buffer.key().find("running_mean") != std::string::npos) buffer.value().uniform_(-0.2, 0.2);
  test::TemporaryDirectory directory;
  const auto path = directory.file("hot.safetensors");
  save_generator(path, *generator);
  const auto loaded = load_generator(path);
  EXPECT_EQ(loaded.metadata.at("architecture"), "hot_half_resnet_1blocks_cbam");
  EXPECT_EQ(loaded.metadata.at("head_width"), "32");
  const auto input = torch::rand({1, 3, 64, 64}) * 2 - 1;
  EXPECT_TRUE(torch::equal(loaded.generator->forward(input), generator->forward(input)));
}

}  // namespace
}  // namespace gncyclegan
