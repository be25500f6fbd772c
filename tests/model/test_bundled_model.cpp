// The bundled models the element loads: their architecture, their size (the
// compact budget), the provenance and test scores their metadata carries, and
// how users name them.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <filesystem>
#include <string>

#include "model/any_size.h"
#include "model/bundled_models.h"
#include "model/weights.h"
#include "tests/support/test_support.h"

namespace gncyclegan {
namespace {

// A bundled generator: RGB in, one channel out, this architecture, width and
// parameter count.
void expect_generator(const LoadedGenerator &loaded, const std::string &architecture, int ngf, long parameters) {
  const auto &config = loaded.generator->config();
  EXPECT_EQ(config.architecture(), architecture);
  EXPECT_EQ(config.in_channels, 3);
  EXPECT_EQ(config.out_channels, 1);
  EXPECT_EQ(config.ngf, ngf);
  EXPECT_EQ(test::parameter_count(*loaded.generator), parameters);
}

const std::string kCompact = GNCYCLEGAN_SOURCE_DIR "/models/gncyclegan-compact.safetensors";

// The reference architecture (ResnetGenerator + CBAM) at ngf 16, 6 blocks, 3->1
// has 496,593 parameters: about 2.3 GMACs per 256x256 frame.
TEST(BundledModel, CompactIsTheSmallCbamResnet) {
  expect_generator(load_generator(kCompact), "resnet_6blocks_cbam", 16, 496593);
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

const std::string kSurveillance = GNCYCLEGAN_SOURCE_DIR "/models/gncyclegan-surveillance.safetensors";

TEST(BundledModel, SurveillanceIsTheSmallCbamResnetTrainedOnEverySet) {
  const auto loaded = load_generator(kSurveillance);
  expect_generator(loaded, "resnet_6blocks_cbam", 16, 496593);  // the compact budget, as above
  const auto &metadata = loaded.metadata;
  EXPECT_EQ(metadata.at("name"), "gncyclegan-surveillance");
  for (const char *set : {"roadscene", "msrs", "m3svd-0111_1716"})
    EXPECT_NE(metadata.at("training_sets").find(set), std::string::npos) << set;
  // Its scores clear the visible image in gray on MSRS test, day and night
  // (9.13 dB / 0.280 and 16.13 dB / 0.497).
  EXPECT_GT(std::stod(metadata.at("test_msrs_day_psnr")), 9.13);
  EXPECT_GT(std::stod(metadata.at("test_msrs_night_psnr")), 16.13);
}

const std::string kRealtime = GNCYCLEGAN_SOURCE_DIR "/models/gncyclegan-realtime.safetensors";

// The residual trunk at 1/8 of the side. Per output pixel, counted by hand:
// surveillance (resnet_6blocks_cbam, ngf 16) does 35,392 multiply-adds (the
// 7x7 stem 2,352, the two stride-2 convolutions and two transposed ones
// 4 x 1,152, six blocks 27,648 at 1/4 of the side, the 7x7 out 784); this one
// 8,480 (the 1x1 stem 192, six blocks 6 x 1,152, the 1x1 head 512, the
// full-resolution fuse 792 and out 72): 0.24 of it.
TEST(BundledModel, RealtimeIsTheDefaultModelsStudentAtAQuarterOfItsArithmetic) {
  const auto loaded = load_generator(kRealtime);
  expect_generator(loaded, "unshuffle8_6blocks_cbam", 64, 493721);  // as tests/model/test_architectures.cpp counts
  const auto &metadata = loaded.metadata;
  EXPECT_EQ(metadata.at("name"), "gncyclegan-realtime");
  EXPECT_EQ(metadata.at("distill_from"), "surveillance");
  for (const char *key : {"lineage", "dev_scores", "training_sets", "distill_weight", "distill_ssim_weight"})
    EXPECT_FALSE(metadata.at(key).empty()) << key;
}

TEST(BundledModel, NamesResolveToTheFilesAndAnythingElseIsAPath) {
  ASSERT_EQ(gncycleganir::bundled_models().size(), 3u);
  EXPECT_EQ(gncycleganir::bundled_model_names(), "surveillance (the default), road, realtime");
  // Installed, or in a build tree that is not, the source tree's copies.
  auto is_file = [](const std::string &path, const std::string &file) {
    return std::filesystem::is_regular_file(path) && std::filesystem::path(path).filename() == file;
  };
  EXPECT_TRUE(is_file(gncycleganir::resolve_model("surveillance"), "gncyclegan-surveillance.safetensors"));
  EXPECT_TRUE(is_file(gncycleganir::resolve_model("road"), "gncyclegan-compact.safetensors"));
  EXPECT_TRUE(is_file(gncycleganir::resolve_model("realtime"), "gncyclegan-realtime.safetensors"));
  EXPECT_EQ(gncycleganir::resolve_model(""), gncycleganir::resolve_model("surveillance")) << "unset: the default";
  EXPECT_EQ(gncycleganir::resolve_model("./road"), "./road");
  EXPECT_EQ(gncycleganir::resolve_model("/data/my.safetensors"), "/data/my.safetensors");
}

TEST(BundledModel, TranslatesAFrameOfAnySize) {
  auto generator = load_generator(kCompact).generator;
  auto output = forward_any_size(*generator, torch::rand({1, 3, 37, 51}) * 2 - 1);
  EXPECT_EQ(output.sizes(), (std::vector<int64_t>{1, 1, 37, 51}));
  EXPECT_LE(output.abs().max().item<float>(), 1.0f);
}

}  // namespace
}  // namespace gncyclegan
