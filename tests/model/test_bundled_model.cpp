// The bundled default model the element loads: its architecture, its size
// (the compact budget), and the provenance and test scores its metadata
// carries.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <string>

#include "model/any_size.h"
#include "model/weights.h"
#include "tests/support/test_support.h"

namespace gncyclegan {
namespace {

const std::string kCompact = GNCYCLEGAN_SOURCE_DIR "/models/gncyclegan-compact.safetensors";

TEST(BundledModel, CompactIsTheSmallCbamResnet) {
  const auto loaded = load_generator(kCompact);
  const auto &config = loaded.generator->config();
  EXPECT_EQ(config.architecture(), "resnet_6blocks_cbam");
  EXPECT_EQ(config.in_channels, 3);
  EXPECT_EQ(config.out_channels, 1);
  EXPECT_EQ(config.ngf, 16);
  // The reference architecture (ResnetGenerator + CBAM) at ngf 16, 6 blocks, 3->1
  // has 496,593 parameters: about 2.3 GMACs per 256x256 frame.
  EXPECT_EQ(test::parameter_count(*loaded.generator), 496593);
}

TEST(BundledModel, MetadataRecordsTheRecipeAndTheTestScores) {
  const auto metadata = load_generator(kCompact).metadata;
  for (const char *key : {"name", "trainer", "training_visible_images", "steps", "epochs", "paired_weight",
                          "gradient_normalization", "scale", "crop_size", "test_data", "test_psnr", "test_ssim"})
    EXPECT_TRUE(metadata.count(key)) << key;
  EXPECT_EQ(metadata.at("name"), "gncyclegan-compact");
  EXPECT_EQ(metadata.at("scale"), "native");
  EXPECT_EQ(metadata.at("gradient_normalization"), "on");
  // The scores it records clear the trivial answers on the RoadScene test split
  // (the visible image in gray: 10.2036 dB / 0.3898; its negative: 10.4825 dB / 0.3536).
  EXPECT_GT(std::stod(metadata.at("test_psnr")), 10.4825);
  EXPECT_GT(std::stod(metadata.at("test_ssim")), 0.3898);
}

TEST(BundledModel, TranslatesAFrameOfAnySize) {
  auto generator = load_generator(kCompact).generator;
  auto output = forward_any_size(*generator, torch::rand({1, 3, 37, 51}) * 2 - 1);
  EXPECT_EQ(output.sizes(), (std::vector<int64_t>{1, 1, 37, 51}));
  EXPECT_LE(output.abs().max().item<float>(), 1.0f);
}

}  // namespace
}  // namespace gncyclegan
