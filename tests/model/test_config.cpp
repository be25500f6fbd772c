#include <gtest/gtest.h>

#include "model/config.h"

namespace gncyclegan {
namespace {

TEST(GeneratorConfig, ThePaperGeneratorIsResnet9BlocksWithCbam) {
  auto config = GeneratorConfig::paper();
  EXPECT_EQ(config.architecture(), "resnet_9blocks_cbam");
  EXPECT_EQ(config.n_blocks, 9);
  EXPECT_TRUE(config.cbam);
  EXPECT_EQ(config.ngf, 64);
  EXPECT_EQ(config.in_channels, 3);
  EXPECT_EQ(config.out_channels, 1);
}

TEST(GeneratorConfig, NamesParseAndPrintBack) {
  for (const char *name : {"resnet_6blocks", "resnet_9blocks", "resnet_9blocks_cbam", "resnet_3blocks_cbam",
                           "resnet_6blocks_cbam_resizeconv", "resnet_9blocks_resizeconv", "unet_128", "unet_256",
                           "unshuffle8_6blocks_cbam", "unshuffle2_1blocks", "unshuffle4_12blocks_cbam"})
    EXPECT_EQ(GeneratorConfig::from_name(name).architecture(), name);
  EXPECT_EQ(GeneratorConfig::from_name("unet_128").num_downs, 7);
  EXPECT_EQ(GeneratorConfig::from_name("unet_256").size_multiple(), 256);
  EXPECT_EQ(GeneratorConfig::from_name("resnet_6blocks").size_multiple(), 4);
  EXPECT_TRUE(GeneratorConfig::from_name("resnet_6blocks_cbam_resizeconv").resize_conv);
  EXPECT_FALSE(GeneratorConfig::from_name("resnet_6blocks_cbam").resize_conv);
  EXPECT_THROW(GeneratorConfig::from_name("resnet_6blocks_resizeconv_cbam"), std::invalid_argument);
  EXPECT_EQ(GeneratorConfig::from_name("unshuffle8_6blocks_cbam").size_multiple(), 8);
  EXPECT_EQ(GeneratorConfig::from_name("unshuffle8_6blocks_cbam").least_size(), 16);
  EXPECT_EQ(GeneratorConfig::from_name("unshuffle4_6blocks").size_multiple(), 4);
  EXPECT_EQ(GeneratorConfig::from_name("unet_128").least_size(), 128);
}

TEST(GeneratorConfig, RejectsWhatItCannotBuild) {
  EXPECT_THROW(GeneratorConfig::from_name("resnet_0blocks"), std::invalid_argument);
  EXPECT_THROW(GeneratorConfig::from_name("unet_64"), std::invalid_argument);
  EXPECT_THROW(GeneratorConfig::from_name("resnet_9blocks", 0, 1), std::invalid_argument);
  EXPECT_THROW(GeneratorConfig::from_name("resnet_9blocks", 3, 1, 0), std::invalid_argument);
  EXPECT_THROW(GeneratorConfig::from_name("unshuffle3_6blocks"), std::invalid_argument);
  EXPECT_THROW(GeneratorConfig::from_name("unshuffle8_0blocks"), std::invalid_argument);
  EXPECT_THROW(GeneratorConfig::from_name("unshuffle8_6blocks", 3, 1, 12), std::invalid_argument);
}

TEST(GeneratorConfig, MetadataRoundTrips) {
  auto config = GeneratorConfig::from_name("resnet_6blocks_cbam", 3, 1, 16);
  config.cbam_reduction = 8;
  auto back = GeneratorConfig::from_metadata(config.to_metadata());
  EXPECT_EQ(back.architecture(), "resnet_6blocks_cbam");
  EXPECT_EQ(back.ngf, 16);
  EXPECT_EQ(back.cbam_reduction, 8);
}

TEST(GeneratorConfig, HotNamesCarryTheirBase) {
  auto config = GeneratorConfig::from_name("hot_half_resnet_6blocks_cbam", 3, 1, 16);
  EXPECT_EQ(config.family, GeneratorFamily::hot);
  EXPECT_TRUE(config.head_half);
  ASSERT_TRUE(config.base);
  EXPECT_EQ(config.base->architecture(), "resnet_6blocks_cbam");
  EXPECT_EQ(config.base->ngf, 16);
  EXPECT_EQ(config.size_multiple(), 4) << "the head pads to its own multiple";
  EXPECT_FALSE(GeneratorConfig::from_name("hot_unshuffle8_6blocks_cbam").head_half);
  EXPECT_EQ(GeneratorConfig::from_name("hot_unshuffle8_6blocks_cbam").size_multiple(), 8);

  config.head_width = 16;
  config.cbam_reduction = 8;
  auto back = GeneratorConfig::from_metadata(config.to_metadata());
  EXPECT_EQ(back.architecture(), "hot_half_resnet_6blocks_cbam");
  EXPECT_EQ(back.head_width, 16);
  EXPECT_EQ(back.base->ngf, 16);
  EXPECT_EQ(back.base->cbam_reduction, 8) << "the base's CBAM is the one the file describes";

  EXPECT_THROW(GeneratorConfig::from_name("hot_unet_256"), std::invalid_argument);
  EXPECT_THROW(GeneratorConfig::from_name("hot_hot_resnet_6blocks"), std::invalid_argument);
  EXPECT_THROW(GeneratorConfig::from_name("hot_"), std::invalid_argument);
  EXPECT_THROW(GeneratorConfig::from_name("hot_resnet_6blocks", 1, 3), std::invalid_argument)
      << "the head paints infrared over a visible image";
  auto metadata = config.to_metadata();
  metadata["head_width"] = "2";
  EXPECT_THROW(GeneratorConfig::from_metadata(metadata), std::invalid_argument);
}

TEST(GeneratorConfig, MetadataErrorsNameTheKey) {
  auto metadata = GeneratorConfig::paper().to_metadata();
  metadata["ngf"] = "64x";
  try {
    GeneratorConfig::from_metadata(metadata);
    FAIL() << "accepted ngf=64x";
  } catch (const std::invalid_argument &error) {
    EXPECT_NE(std::string(error.what()).find("ngf"), std::string::npos) << error.what();
  }
  metadata = GeneratorConfig::paper().to_metadata();
  metadata["n_blocks"] = "6";
  EXPECT_THROW(GeneratorConfig::from_metadata(metadata), std::invalid_argument);
  metadata = GeneratorConfig::paper().to_metadata();
  metadata.erase("in_channels");
  EXPECT_THROW(GeneratorConfig::from_metadata(metadata), std::invalid_argument);
}

TEST(DiscriminatorConfig, MetadataRoundTrips) {
  DiscriminatorConfig config;
  config.in_channels = 3;
  config.ndf = 32;
  config.norm = DiscriminatorNorm::none;
  auto back = DiscriminatorConfig::from_metadata(config.to_metadata());
  EXPECT_EQ(back.in_channels, 3);
  EXPECT_EQ(back.ndf, 32);
  EXPECT_EQ(back.n_layers, 3);
  EXPECT_EQ(back.norm, DiscriminatorNorm::none);
  EXPECT_THROW(discriminator_norm_from_string("batch"), std::invalid_argument);
}

}  // namespace
}  // namespace gncyclegan
