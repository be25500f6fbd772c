// Architectures against the CycleGAN reference implementation: parameter counts
// (sum of numel over model.parameters() in pytorch-CycleGAN-and-pix2pix with
// norm=instance), state_dict names, and output shapes.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "model/generator.h"
#include "model/patchgan.h"
#include "model/weights.h"
#include "tests/support/test_support.h"

namespace gncyclegan {
namespace {

using test::parameter_count;

std::map<std::string, std::vector<int64_t>> shapes_of(const torch::nn::Module &module) {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto &[name, tensor] : module_tensors(module)) shapes[name] = tensor.sizes().vec();
  return shapes;
}

struct CountCase {
  const char *architecture;
  int in_channels;
  int out_channels;
  int64_t parameters;
};

class ReferenceParameterCount : public ::testing::TestWithParam<CountCase> {};

TEST_P(ReferenceParameterCount, EqualsTheReference) {
  const CountCase &c = GetParam();
  auto generator = make_generator(GeneratorConfig::from_name(c.architecture, c.in_channels, c.out_channels, 64));
  EXPECT_EQ(parameter_count(*generator), c.parameters);
}

INSTANTIATE_TEST_SUITE_P(
    Generators, ReferenceParameterCount,
    ::testing::Values(CountCase{"resnet_9blocks", 3, 3, 11'378'179}, CountCase{"resnet_9blocks", 3, 1, 11'371'905},
                      CountCase{"resnet_6blocks", 3, 1, 7'831'425},
                      CountCase{"resnet_9blocks_cbam", 3, 1, 11'448'981},
                      CountCase{"unet_128", 3, 1, 41'821'569}, CountCase{"unet_256", 3, 1, 54'405'505}),
    [](const auto &info) {
      return std::string(info.param.architecture) + "_" + std::to_string(info.param.in_channels) + "to" +
             std::to_string(info.param.out_channels);
    });

// Resize + 3x3 convolution has the parameters of the transposed convolution it
// replaces (in x out x 9 weights + out biases), so the counts are the
// reference's: 11,448,981 for the paper's width, and for the compact ngf-16
// 6-block model 496,593 (7x7 3->16: 2,368; 3x3 16->32: 4,640; 32->64: 18,496;
// 6 blocks of two 64->64 convs (36,928 each) plus CBAM (64->4->64 MLP: 580,
// 7x7 2->1 conv without bias: 98, BatchNorm: 2) = 6 x 74,536; upsampling
// 64->32: 18,464 and 32->16: 4,624; 7x7 16->1: 785).
TEST(ResizeConvVariant, HasTheParametersOfTheTransposedConvolutions) {
  EXPECT_EQ(parameter_count(*make_generator(GeneratorConfig::from_name("resnet_9blocks_cbam_resizeconv", 3, 1, 64))),
            11'448'981);
  EXPECT_EQ(2'368 + 4'640 + 18'496 + 6 * (2 * 36'928 + 580 + 98 + 2) + 18'464 + 4'624 + 785, 496'593);
  EXPECT_EQ(parameter_count(*make_generator(GeneratorConfig::from_name("resnet_6blocks_cbam_resizeconv", 3, 1, 16))),
            496'593);
}

TEST(ResizeConvVariant, UpsamplesWithConvolutionsNamedUnderTheReferenceIndex) {
  auto shapes = shapes_of(*make_generator(GeneratorConfig::from_name("resnet_9blocks_cbam_resizeconv", 3, 1)));
  EXPECT_EQ(shapes["model.19.conv.weight"], (std::vector<int64_t>{128, 256, 3, 3}));  // Conv2d: out, in
  EXPECT_EQ(shapes["model.19.conv.bias"], (std::vector<int64_t>{128}));
  EXPECT_EQ(shapes["model.22.conv.weight"], (std::vector<int64_t>{64, 128, 3, 3}));
  EXPECT_EQ(shapes["model.26.weight"], (std::vector<int64_t>{1, 64, 7, 7}));
  EXPECT_FALSE(shapes.count("model.19.weight"));
}

// A constant input gives a constant output away from the borders: a transposed
// convolution with stride 2 gives a 2-periodic pattern (the checkerboard)
// unless its kernels happen to balance, a resize + convolution cannot.
TEST(ResizeConvVariant, AConstantImageGivesNoCheckerboard) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(5);
  auto periodic_energy = [](const char *architecture) {
    auto generator = make_generator(GeneratorConfig::from_name(architecture, 3, 1, 8));
    generator->eval();
    // No InstanceNorm contrast from a constant image: a ramp gives it structure
    // while staying locally smooth.
    auto ramp = torch::linspace(-0.5, 0.5, 64).view({1, 1, 1, 64}).expand({1, 3, 64, 64}).contiguous();
    auto out = generator->forward(ramp).squeeze();
    auto inner = out.slice(0, 16, 48).slice(1, 16, 48);
    // Second difference along x: zero for anything smooth, large for a 2-periodic pattern.
    auto second = inner.slice(1, 2) - 2 * inner.slice(1, 1, -1) + inner.slice(1, 0, -2);
    return second.abs().mean().item<double>();
  };
  EXPECT_LT(periodic_energy("resnet_2blocks_resizeconv") * 2, periodic_energy("resnet_2blocks"));
}

// unshuffle8_6blocks_cbam, ngf 64, RGB in, one channel out: the 1x1 stem on
// 8x8 blocks of 3 channels, 192 -> 64: 12,352; six residual blocks with CBAM
// at width 64 as in the ResNets: 6 x 74,536; the 1x1 head 64 -> 8 x 64:
// 33,280; the full-resolution 3x3 fuse of 8 + 3 channels -> 8: 800; the 3x3
// out 8 -> 1: 73.
TEST(UnshuffleArchitecture, HasTheHandCountedParameters) {
  EXPECT_EQ(12'352 + 6 * 74'536 + 33'280 + 800 + 73, 493'721);
  EXPECT_EQ(parameter_count(*make_generator(GeneratorConfig::from_name("unshuffle8_6blocks_cbam", 3, 1, 64))),
            493'721);
}

TEST(UnshuffleArchitecture, NamesItsTensorsByPart) {
  auto shapes = shapes_of(*make_generator(GeneratorConfig::from_name("unshuffle4_2blocks_cbam", 3, 1, 32)));
  EXPECT_EQ(shapes["stem.weight"], (std::vector<int64_t>{32, 48, 1, 1}));
  EXPECT_EQ(shapes["trunk.1.conv_block.5.weight"], (std::vector<int64_t>{32, 32, 3, 3}));
  EXPECT_EQ(shapes["trunk.1.cbam.mlp.0.weight"], (std::vector<int64_t>{2, 32}));
  EXPECT_EQ(shapes["head.weight"], (std::vector<int64_t>{4 * 16, 32, 1, 1}));
  EXPECT_EQ(shapes["fuse.weight"], (std::vector<int64_t>{4, 4 + 3, 3, 3}));
  EXPECT_EQ(shapes["out.weight"], (std::vector<int64_t>{1, 4, 3, 3}));
  EXPECT_FALSE(shapes.count("trunk.2.conv_block.1.weight"));
}

// The visible image reaches the output at full resolution (the fuse layer),
// not only through the trunk's 1/8 scale: a one-pixel change moves the output
// at that pixel more than 8 pixels away from it, and the output is the input's size.
TEST(UnshuffleArchitecture, KeepsFullResolutionDetail) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(3);
  auto generator = make_generator(GeneratorConfig::from_name("unshuffle8_2blocks", 3, 1, 16));
  generator->eval();
  auto input = torch::rand({1, 3, 64, 80}) * 2 - 1;
  auto base = generator->forward(input);
  EXPECT_EQ(base.sizes(), (std::vector<int64_t>{1, 1, 64, 80}));
  auto changed = input.clone();
  changed.index_put_({0, torch::indexing::Slice(), 35, 45}, 1.0);
  auto delta = (generator->forward(changed) - base).abs().squeeze();
  EXPECT_GT(delta[35][45].item<double>(), 4 * delta[35][60].item<double>());
}

TEST(PatchGanArchitecture, ParameterCountsEqualTheReference) {
  DiscriminatorConfig config;
  config.in_channels = 3;
  EXPECT_EQ(parameter_count(*make_discriminator(config)), 2'764'737);
  config.in_channels = 1;
  EXPECT_EQ(parameter_count(*make_discriminator(config)), 2'762'689);
}

TEST(PatchGanArchitecture, MapsA256ImageTo30x30Logits) {
  torch::NoGradGuard no_grad;
  DiscriminatorConfig config;
  config.in_channels = 1;
  auto discriminator = make_discriminator(config);
  auto logits = discriminator->forward(torch::randn({2, 1, 256, 256}));
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{2, 1, 30, 30}));
}

TEST(PatchGanArchitecture, ItsFeaturesAreTheHiddenLayersBeforeTheLogits) {
  // The reference's 4x4 convolutions with padding 1: stride 2 halves a side,
  // stride 1 takes one off. 256 -> 128 (ndf), 64 (2 ndf), 32 (4 ndf), then
  // 31 (8 ndf) at stride 1, and the logits' 30 are not a feature.
  torch::NoGradGuard no_grad;
  DiscriminatorConfig config;
  config.in_channels = 1;
  config.ndf = 8;
  auto discriminator = make_discriminator(config);
  const auto input = torch::randn({2, 1, 256, 256});
  const auto features = discriminator->features(input);
  ASSERT_EQ(features.size(), 4u);
  const std::vector<std::vector<int64_t>> sizes{{2, 8, 128, 128}, {2, 16, 64, 64}, {2, 32, 32, 32}, {2, 64, 31, 31}};
  for (size_t i = 0; i < features.size(); ++i) EXPECT_EQ(features[i].sizes(), sizes[i]) << "layer " << i;
  // The features are the forward's own: the logits' convolution of the last.
  EXPECT_TRUE(torch::allclose(discriminator->model[11]->as<torch::nn::Conv2d>()->forward(features[3]),
                              discriminator->forward(input), 1e-5, 1e-6));
}

TEST(PatchGanArchitecture, WithoutNormTheInnerConvolutionsHaveNoBiasAsInTheReference) {
  DiscriminatorConfig config;
  config.norm = DiscriminatorNorm::none;
  auto tensors = module_tensors(*make_discriminator(config));
  EXPECT_TRUE(tensors.count("model.0.bias"));
  EXPECT_FALSE(tensors.count("model.2.bias"));
  EXPECT_TRUE(tensors.count("model.11.bias"));
  // 2,762,689 less the 128 + 256 + 512 biases of the three inner convolutions.
  EXPECT_EQ(parameter_count(*make_discriminator(config)), 2'762'689 - 896);
}

TEST(StateDictNames, ResnetMatchesTheReferenceKeys) {
  auto shapes = shapes_of(*make_generator(GeneratorConfig::from_name("resnet_9blocks", 3, 1)));
  EXPECT_EQ(shapes["model.1.weight"], (std::vector<int64_t>{64, 3, 7, 7}));
  EXPECT_EQ(shapes["model.4.weight"], (std::vector<int64_t>{128, 64, 3, 3}));
  EXPECT_EQ(shapes["model.10.conv_block.1.weight"], (std::vector<int64_t>{256, 256, 3, 3}));
  EXPECT_EQ(shapes["model.18.conv_block.5.bias"], (std::vector<int64_t>{256}));
  EXPECT_EQ(shapes["model.19.weight"], (std::vector<int64_t>{256, 128, 3, 3}));  // ConvTranspose: in, out
  EXPECT_EQ(shapes["model.26.weight"], (std::vector<int64_t>{1, 64, 7, 7}));
  EXPECT_EQ(shapes.size(), 2u * (1 + 2 + 9 * 2 + 2 + 1));
}

TEST(StateDictNames, CbamTensorsSitInEachResidualBlock) {
  auto shapes = shapes_of(*make_generator(GeneratorConfig::paper()));
  for (int block = 10; block < 19; ++block) {
    const std::string prefix = "model." + std::to_string(block) + ".cbam.";
    EXPECT_EQ(shapes[prefix + "mlp.0.weight"], (std::vector<int64_t>{16, 256})) << prefix;
    EXPECT_EQ(shapes[prefix + "mlp.0.bias"], (std::vector<int64_t>{16}));
    EXPECT_EQ(shapes[prefix + "mlp.2.weight"], (std::vector<int64_t>{256, 16}));
    EXPECT_EQ(shapes[prefix + "mlp.2.bias"], (std::vector<int64_t>{256}));
    EXPECT_EQ(shapes[prefix + "spatial.conv.weight"], (std::vector<int64_t>{1, 2, 7, 7}));
    for (const char *name : {"weight", "bias", "running_mean", "running_var"})
      EXPECT_EQ(shapes[prefix + "spatial.bn." + name], (std::vector<int64_t>{1}));
  }
}

TEST(StateDictNames, UnetMatchesTheReferenceKeys) {
  auto shapes = shapes_of(*make_generator(GeneratorConfig::from_name("unet_256", 3, 1)));
  EXPECT_EQ(shapes["model.model.0.weight"], (std::vector<int64_t>{64, 3, 4, 4}));
  EXPECT_EQ(shapes["model.model.1.model.1.weight"], (std::vector<int64_t>{128, 64, 4, 4}));
  EXPECT_EQ(shapes["model.model.1.model.5.weight"], (std::vector<int64_t>{256, 64, 4, 4}));
  EXPECT_EQ(shapes["model.model.3.weight"], (std::vector<int64_t>{128, 1, 4, 4}));
  // The eighth (innermost) level: the second is model.model.1, each deeper one .model.3.
  std::string innermost = "model.model.1";
  for (int level = 0; level < 6; ++level) innermost += ".model.3";
  EXPECT_EQ(shapes[innermost + ".model.1.weight"], (std::vector<int64_t>{512, 512, 4, 4}));
  EXPECT_EQ(shapes[innermost + ".model.3.weight"], (std::vector<int64_t>{512, 512, 4, 4}));
}

struct ShapeCase {
  const char *architecture;
  int in_channels;
  int out_channels;
  int64_t height;
  int64_t width;
};

class GeneratorShape : public ::testing::TestWithParam<ShapeCase> {};

TEST_P(GeneratorShape, KeepsTheSizeAndMapsChannels) {
  torch::NoGradGuard no_grad;
  const ShapeCase &c = GetParam();
  // Narrow networks: the shapes do not depend on ngf, and they run fast.
  auto generator = make_generator(GeneratorConfig::from_name(c.architecture, c.in_channels, c.out_channels, 8));
  generator->eval();
  auto output = generator->forward(torch::rand({2, c.in_channels, c.height, c.width}) * 2 - 1);
  EXPECT_EQ(output.sizes(), (std::vector<int64_t>{2, c.out_channels, c.height, c.width}));
  EXPECT_LE(output.abs().max().item<float>(), 1.0f);  // Tanh
}

INSTANTIATE_TEST_SUITE_P(Generators, GeneratorShape,
                         ::testing::Values(ShapeCase{"resnet_9blocks", 3, 3, 64, 64},
                                           ShapeCase{"resnet_6blocks", 3, 1, 60, 84},
                                           ShapeCase{"resnet_9blocks_cbam", 3, 1, 48, 72},
                                           ShapeCase{"resnet_6blocks_cbam_resizeconv", 3, 1, 52, 76},
                                           ShapeCase{"resnet_9blocks_cbam", 1, 3, 32, 32},
                                           ShapeCase{"unet_128", 3, 1, 128, 128},
                                           ShapeCase{"unet_256", 3, 1, 256, 256}),
                         [](const auto &info) {
                           return std::string(info.param.architecture) + "_" +
                                  std::to_string(info.param.in_channels) + "to" +
                                  std::to_string(info.param.out_channels);
                         });

TEST(Initialisation, FollowsTheReferenceNormalInit) {
  torch::manual_seed(0);
  auto generator = make_generator(GeneratorConfig::paper());
  auto tensors = module_tensors(*generator);
  const auto &conv = tensors.at("model.10.conv_block.1.weight");  // 589,824 samples of N(0, 0.02)
  EXPECT_NEAR(conv.mean().item<double>(), 0.0, 1e-3);
  EXPECT_NEAR(conv.std().item<double>(), 0.02, 1e-3);
  EXPECT_EQ(tensors.at("model.10.conv_block.1.bias").abs().max().item<float>(), 0.0f);
  EXPECT_NEAR(tensors.at("model.10.cbam.spatial.bn.weight").item<double>(), 1.0, 0.1);
  EXPECT_EQ(tensors.at("model.10.cbam.mlp.0.bias").abs().max().item<float>(), 0.0f);
}

}  // namespace
}  // namespace gncyclegan
