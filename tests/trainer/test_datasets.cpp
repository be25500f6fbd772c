// Several training sets: --dataset specs and --datasets manifests, sampling
// by weight (against binomial bounds), the default equal to concatenated
// folders, per-set scale, pairing within each set, and a cached base's crops.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "tests/support/test_support.h"
#include "tests/trainer/synthetic_data.h"
#include "trainer/dataset.h"
#include "trainer/dataset_spec.h"

namespace gncyclegan::train {
namespace {

namespace fs = std::filesystem;

TEST(DatasetSpec, ADirectoryOrTwoFoldersThenOptions) {
  const DatasetSpec plain = parse_dataset_spec("data/msrs/train");
  EXPECT_EQ(plain.visible_dir, "data/msrs/train/visible");
  EXPECT_EQ(plain.infrared_dir, "data/msrs/train/infrared");
  EXPECT_EQ(plain.name, "data/msrs/train");
  EXPECT_EQ(plain.weight, 0) << "0 = its image count";
  EXPECT_EQ(plain.scale, 1.0);

  const DatasetSpec full = parse_dataset_spec("cam/rgb,cam/thermal:weight=2.5:scale=0.8:name=cam");
  EXPECT_EQ(full.visible_dir, "cam/rgb");
  EXPECT_EQ(full.infrared_dir, "cam/thermal");
  EXPECT_EQ(full.weight, 2.5);
  EXPECT_EQ(full.scale, 0.8);
  EXPECT_EQ(full.name, "cam");
  EXPECT_EQ(parse_dataset_spec("a/rgb,a/ir").name, "a/rgb,a/ir");
  EXPECT_EQ(parse_dataset_spec("a/visible,a/infrared").name, "a") << "the layout of a DIR spec";
  EXPECT_EQ(parse_dataset_spec("data/set/").name, "data/set");
}

TEST(DatasetSpec, MalformedSpecsSayWhatIsWrong) {
  const std::pair<const char *, const char *> cases[] = {
      {"", "a folder is missing"},
      {"a,b,c", "more than two folders"},
      {",b", "a folder is missing"},
      {"a:weight", "'weight' is not KEY=VALUE"},
      {"a:=3", "'=3' is not KEY=VALUE"},
      {"a:weight=0", "weight must be above 0"},
      {"a:weight=-2", "weight must be above 0"},
      {"a:weight=two", "weight=two: not a number"},
      {"a:weight=1x", "weight=1x: not a number"},
      {"a:scale=0", "scale must be in [0.05, 8]"},
      {"a:scale=nan", "scale=nan: not a number"},
      {"a:size=3", "unknown key 'size'"},
      {"a:weight=1:weight=2", "weight is given twice"},
      {"a:name=", "name must not be empty"},
  };
  for (const auto &[spec, message] : cases) {
    try {
      parse_dataset_spec(spec);
      ADD_FAILURE() << "accepted " << spec;
    } catch (const std::invalid_argument &error) {
      EXPECT_NE(std::string(error.what()).find(message), std::string::npos) << spec << ": " << error.what();
      EXPECT_NE(std::string(error.what()).find("expected DIR or VISIBLE_DIR,INFRARED_DIR"), std::string::npos);
    }
  }
}

class Manifest : public ::testing::Test {
 protected:
  std::string write(const std::string &text) {
    fs::create_directories(dir_.file("sets"));
    std::ofstream(dir_.file("sets/m.json")) << text;
    return dir_.file("sets/m.json");
  }
  void expect_error(const std::string &text, const std::string &message) {
    try {
      read_dataset_manifest(write(text));
      ADD_FAILURE() << "accepted " << text;
    } catch (const std::runtime_error &error) {
      EXPECT_NE(std::string(error.what()).find(message), std::string::npos) << text << ": " << error.what();
      EXPECT_NE(std::string(error.what()).find("m.json"), std::string::npos) << error.what();
    }
  }
  test::TemporaryDirectory dir_;
};

TEST_F(Manifest, ListsSetsWithPathsRelativeToItself) {
  const auto specs = read_dataset_manifest(
      write(R"([{"visible": "a/rgb", "infrared": "/abs/ir", "weight": 3, "scale": 0.5, "name": "a"},
                {"dir": "b"}])"));
  ASSERT_EQ(specs.size(), 2u);
  EXPECT_EQ(specs[0].visible_dir, dir_.file("sets/a/rgb"));
  EXPECT_EQ(specs[0].infrared_dir, "/abs/ir");
  EXPECT_EQ(specs[0].weight, 3);
  EXPECT_EQ(specs[0].scale, 0.5);
  EXPECT_EQ(specs[0].name, "a");
  EXPECT_EQ(specs[1].visible_dir, dir_.file("sets/b/visible"));
  EXPECT_EQ(specs[1].name, dir_.file("sets/b"));
  EXPECT_EQ(specs[1].weight, 0);
}

TEST_F(Manifest, MistakesNameTheFileAndTheEntry) {
  expect_error("[{\"dir\": \"a\"", "not valid JSON");
  expect_error("{\"dir\": \"a\"}", "expected a JSON list of sets");
  expect_error("[]", "expected a JSON list of sets");
  expect_error(R"([{"dir": "a"}, {"visible": "v"}])", "set 2: \"visible\" and \"infrared\" (or \"dir\") are required");
  expect_error(R"([{"dir": "a", "wieght": 2}])", "set 1: unknown key \"wieght\"");
  expect_error(R"([{"dir": "a", "weight": "2"}])", "\"weight\" must be a number");
  expect_error(R"([{"dir": "a", "weight": 0}])", "weight must be above 0");
  expect_error(R"([{"dir": "a", "visible": "v", "infrared": "i"}])", "not both");
  EXPECT_THROW(read_dataset_manifest(dir_.file("missing.json")), std::runtime_error);
}

// Synthetic sets on disk, and the options that train on them.
class Sets : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.crop_size = 64;
    options_.load_size = 72;
  }
  std::string make(const std::string &name, int count, bool paired, unsigned seed, int size = 72) {
    test::make_synthetic_dataset(dir_.file(name), count, size, paired, seed);
    return dir_.file(name);
  }
  DatasetSpec set(const std::string &dir, double weight = 0, double scale = 1.0) {
    DatasetSpec spec = parse_dataset_spec(dir);
    spec.weight = weight;
    spec.scale = scale;
    return spec;
  }
  // Copies every file of `from`/visible and /infrared into `to`, names prefixed.
  void copy_into(const std::string &from, const std::string &to, const std::string &prefix) {
    for (const char *domain : {"visible", "infrared"}) {
      fs::create_directories(fs::path(to) / domain);
      for (const auto &entry : fs::directory_iterator(fs::path(from) / domain))
        fs::copy_file(entry.path(), fs::path(to) / domain / (prefix + entry.path().filename().string()));
    }
  }
  // How many of `steps` steps' images come from set 0.
  static int64_t draws_from_first(const TrainingData &data, int64_t steps) {
    int64_t count = 0;
    for (int64_t step = 0; step < steps; ++step) count += data.choices(step).at(0).set == 0;
    return count;
  }
  test::TemporaryDirectory dir_;
  TrainOptions options_;
};

// 4000 draws, each from the first set with probability p: the count is
// binomial, mean 4000p, standard deviation sqrt(4000 p (1 - p)) (27.4 at
// p = 3/4, 31.6 at p = 1/2). Four standard deviations either side fail a
// right sampler with probability 6e-5 (the seed is fixed, so the test is
// deterministic anyway), and catch a wrong one: ignoring the weights would
// give 2000 in the first case (36 deviations off) and 1000 in the second.
TEST_F(Sets, StepsDrawTheirSetInProportionToTheWeights) {
  constexpr int64_t kDraws = 4000;
  TrainOptions o = options_;
  o.datasets = {set(make("a", 4, false, 1), 3), set(make("b", 4, false, 2), 1)};
  TrainingData weighted(o);
  EXPECT_FALSE(weighted.concatenated());
  const double p = 0.75, sd = std::sqrt(kDraws * p * (1 - p));
  EXPECT_NEAR(double(draws_from_first(weighted, kDraws)), kDraws * p, 4 * sd);

  // Equal weights on sets of 2 and 6 images: half the draws each, not a quarter.
  o.datasets = {set(make("small", 2, true, 3), 1), set(make("large", 6, true, 4), 1)};
  o.paired_weight = 1;
  TrainingData equal(o);
  EXPECT_NEAR(double(draws_from_first(equal, kDraws)), kDraws * 0.5, 4 * std::sqrt(kDraws * 0.25));
  // Every image of a set is drawn: no index is stuck.
  std::set<int64_t> seen;
  for (int64_t step = 0; step < 200; ++step)
    if (const auto choice = equal.choices(step).at(0); choice.set == 1) seen.insert(choice.visible);
  EXPECT_EQ(seen.size(), 6u);
}

TEST_F(Sets, ByDefaultTheSetsAreAsOneConcatenatedFolder) {
  TrainOptions o = options_;
  o.scale = Scale::native;
  o.paired_weight = 1;
  const std::string a = make("a", 3, true, 1), b = make("b", 5, true, 2);
  copy_into(a, dir_.file("both"), "a_");
  copy_into(b, dir_.file("both"), "b_");
  TrainOptions two = o, one = o;
  two.datasets = {set(a), set(b)};
  one.visible_dir = dir_.file("both/visible");
  one.infrared_dir = dir_.file("both/infrared");
  TrainingData sets(two), folder(one);
  EXPECT_TRUE(sets.concatenated());
  ASSERT_EQ(sets.epoch_size(), 8);
  ASSERT_EQ(folder.epoch_size(), 8);
  for (int64_t step = 0; step < 24; ++step) {  // three epochs
    const Batch x = sets.batch(step), y = folder.batch(step);
    EXPECT_TRUE(torch::equal(x.visible, y.visible)) << "step " << step;
    EXPECT_TRUE(torch::equal(x.infrared, y.infrared)) << "step " << step;
  }
  // Weights in proportion to the sizes are the same thing.
  two.datasets = {set(a, 0.3), set(b, 0.5)};
  TrainingData proportional(two);
  EXPECT_TRUE(proportional.concatenated());
  for (int64_t step = 0; step < 8; ++step) EXPECT_EQ(proportional.choices(step), sets.choices(step));
}

TEST_F(Sets, ASetsScaleResizesItsImagesBeforeTheCrop) {
  TrainOptions o = options_;
  o.scale = Scale::native;
  o.flip = false;
  o.datasets = {set(make("large", 2, true, 1, 128), 0, 0.5)};  // 128 x 128 at half size: the 64 crop is all of it
  o.paired_weight = 1;
  TrainingData data(o);
  EXPECT_TRUE(data.warnings().empty());
  const Batch batch = data.batch(0);
  const auto &set = data.sets()[0];
  const ImageChoice choice = data.choices(0)[0];
  cv::Mat expected;
  cv::resize(read_image(set.visible.paths[choice.visible], Domain::visible), expected, {64, 64}, 0, 0, cv::INTER_AREA);
  EXPECT_TRUE(torch::allclose(batch.visible[0], image_to_tensor(expected), 0, 1e-6));

  o.datasets[0].scale = 0.25;  // 32 x 32: enlarged to cover the crop, and named
  TrainingData smaller(o);
  ASSERT_EQ(smaller.warnings().size(), 1u);
  EXPECT_NE(smaller.warnings()[0].find("4 image(s) smaller than --crop-size 64"), std::string::npos);
}

TEST_F(Sets, PairsAreMatchedWithinEachSet) {
  // Both sets name their scenes scene_000...; each visible image keeps its own set's partner.
  TrainOptions o = options_;
  o.scale = Scale::native;
  o.paired_weight = 1;
  o.datasets = {set(make("a", 3, true, 1)), set(make("b", 3, true, 2), 5)};
  TrainingData data(o);
  for (int64_t step = 0; step < 12; ++step) {
    const Batch batch = data.batch(step);
    auto rgb = ((batch.visible[0] + 1) * 127.5).round().to(torch::kInt32);
    auto expected = ((rgb[0] * 200 + rgb[1] * 110 + rgb[2] * 20).div(255, "floor") + 30).clamp(0, 255);
    auto infrared = ((batch.infrared[0][0] + 1) * 127.5).round().to(torch::kInt32);
    EXPECT_TRUE(torch::equal(infrared, expected)) << "step " << step;
  }
  fs::remove(dir_.file("b/infrared/scene_001.png"));
  try {
    TrainingData broken(o);
    FAIL() << "accepted an unmatched image";
  } catch (const DataError &error) {
    EXPECT_NE(std::string(error.what()).find("in set " + dir_.file("b") + " have no partner: scene_001.png"),
              std::string::npos)
        << error.what();
  }
}

// cache_base: each batch's base is the translation of the whole visible image
// cut and flipped as the visible crop. With "translate" = the image's red
// channel, the base equals the visible crop's red channel exactly (flips
// included); each image is translated once however many steps draw it.
TEST_F(Sets, ACachedBaseIsCutAndFlippedAsTheVisibleCrop) {
  TrainOptions o = options_;
  o.scale = Scale::native;
  o.train_head = true;
  o.datasets = {set(make("a", 3, true, 1, 96))};
  for (const double jitter : {1.0, 1.5}) {
    // With --scale-jitter the cached base (of the unscaled image) is scaled
    // as the visible image; resampling is per channel, so still exactly.
    o.scale_jitter = jitter;
    TrainingData data(o);
    std::atomic<int> translations{0};
    data.cache_base([&](const torch::Tensor &visible) {
      ++translations;
      EXPECT_EQ(visible.size(2), 96) << "the whole image, not the crop";
      return visible.narrow(1, 0, 1).clone();
    });
    for (int64_t step = 0; step < 12; ++step) {
      const Batch batch = data.batch(step);
      ASSERT_TRUE(batch.base.defined());
      EXPECT_LT((batch.base - batch.visible.narrow(1, 0, 1)).abs().max().item<double>(), 1e-5)
          << "jitter " << jitter << ", step " << step;
    }
    EXPECT_EQ(translations.load(), 3) << "jitter " << jitter;
  }
  EXPECT_FALSE(TrainingData(o).batch(0).base.defined()) << "no base without cache_base";
}

// --scale-jitter F: the images of a pair are scaled alike by a factor in
// [1/F, F]. Each image is a horizontal ramp, gray level x on 256 columns, so
// a crop's slope is 1/f gray levels per pixel: the factor can be read back.
TEST_F(Sets, ScaleJitterScalesBothImagesOfAPairAlikeWithinItsRange) {
  for (const char *domain : {"visible", "infrared"}) fs::create_directories(dir_.file(std::string("ramp/") + domain));
  cv::Mat ramp(200, 256, CV_8UC1);
  for (int x = 0; x < 256; ++x) ramp.col(x).setTo(x);
  cv::Mat rgb;
  cv::cvtColor(ramp, rgb, cv::COLOR_GRAY2BGR);
  cv::imwrite(dir_.file("ramp/visible/scene.png"), rgb);
  cv::imwrite(dir_.file("ramp/infrared/scene.png"), ramp);
  TrainOptions o = options_;
  o.scale = Scale::native;
  o.paired_weight = 1;
  o.visible_dir = dir_.file("ramp/visible");
  o.infrared_dir = dir_.file("ramp/infrared");
  // Gray levels per pixel from columns 8-15 to 48-55 of the crop (clear of
  // its borders, where resampling flattens the ramp), flips undone by |.|.
  auto factor = [](const torch::Tensor &image) {
    const auto levels = (image[0] + 1) * 127.5;
    const double rise = (levels.narrow(1, 48, 8).mean() - levels.narrow(1, 8, 8).mean()).item<double>();
    return 40.0 / std::abs(rise);
  };
  auto factors = [&](double jitter) {
    o.scale_jitter = jitter;
    TrainingData data(o);
    std::vector<double> found;
    for (int64_t step = 0; step < 40; ++step) {
      const Batch batch = data.batch(step);
      const double visible = factor(batch.visible[0]), infrared = factor(batch.infrared[0]);
      EXPECT_NEAR(visible, infrared, 0.01) << "step " << step << ": the pair scaled alike";
      found.push_back(visible);
    }
    return found;
  };
  for (const double f : factors(1.0)) EXPECT_NEAR(f, 1.0, 0.01) << "no jitter: the native scale";
  const auto jittered = factors(1.5);
  for (const double f : jittered) {
    EXPECT_GE(f, 1 / 1.5 - 0.02);
    EXPECT_LE(f, 1.5 + 0.02);
  }
  // Log-uniform: P(f > 0.85) = 0.70 and P(f < 1.2) = 0.72, so 40 draws all
  // on one side fail a right sampler with probability under 1e-5.
  EXPECT_LT(*std::min_element(jittered.begin(), jittered.end()), 0.85);
  EXPECT_GT(*std::max_element(jittered.begin(), jittered.end()), 1.2);
}

// --exposure-jitter E: the visible crop times exp(u), u in [-E, E], clipped
// at white; the infrared crop untouched.
TEST_F(Sets, ExposureJitterScalesTheVisibleImageAlone) {
  for (const char *domain : {"visible", "infrared"}) fs::create_directories(dir_.file(std::string("flat/") + domain));
  cv::imwrite(dir_.file("flat/visible/scene.png"), cv::Mat(96, 96, CV_8UC3, cv::Scalar(102, 102, 102)));
  cv::imwrite(dir_.file("flat/infrared/scene.png"), cv::Mat(96, 96, CV_8UC1, cv::Scalar(50)));
  TrainOptions o = options_;
  o.scale = Scale::native;
  o.paired_weight = 1;
  o.exposure_jitter = 0.5;
  o.visible_dir = dir_.file("flat/visible");
  o.infrared_dir = dir_.file("flat/infrared");
  TrainingData data(o);
  double lowest = 10, highest = 0;
  for (int64_t step = 0; step < 40; ++step) {
    const Batch batch = data.batch(step);
    const double gain = ((batch.visible[0] + 1) / 2).mean().item<double>() / 0.4;
    EXPECT_GE(gain, std::exp(-0.5) - 1e-4);
    EXPECT_LE(gain, std::exp(0.5) + 1e-4);
    EXPECT_LT(((batch.visible[0] + 1) / 2 / 0.4 - gain).abs().max().item<double>(), 1e-4) << "one gain per crop";
    EXPECT_NEAR(((batch.infrared[0] + 1) / 2).mean().item<double>(), 50 / 255.0, 1e-6) << "infrared untouched";
    lowest = std::min(lowest, gain), highest = std::max(highest, gain);
  }
  EXPECT_LT(lowest, 0.8);
  EXPECT_GT(highest, 1.25);
  // A bright image is clipped at white, not wrapped.
  cv::imwrite(dir_.file("flat/visible/scene.png"), cv::Mat(96, 96, CV_8UC3, cv::Scalar(240, 240, 240)));
  TrainingData bright(o);
  for (int64_t step = 0; step < 10; ++step) EXPECT_LE(bright.batch(step).visible.max().item<double>(), 1.0);
}

TEST_F(Sets, TargetCropsFindTheWarmObjectAndKeepThePairsAligned) {
  // Four 256 x 256 pairs, each with one warm 20 x 20 square (infrared 200 on
  // 50; red on gray in the visible image) 70 or more pixels from each border.
  // Of the 193 x 193 positions of a 64-pixel crop, 83 x 83 hold some of it:
  // chance 0.185 for a random crop, 1 - 0.815^16 = 0.96 for the richest of 16.
  for (const char *domain : {"visible", "infrared"}) fs::create_directories(dir_.file(std::string("warm/") + domain));
  const cv::Point corners[] = {{70, 150}, {150, 80}, {110, 110}, {80, 90}};
  for (int n = 0; n < 4; ++n) {
    cv::Mat visible(256, 256, CV_8UC3, cv::Scalar(90, 90, 90)), infrared(256, 256, CV_8UC1, cv::Scalar(50));
    visible(cv::Rect(corners[n], cv::Size(20, 20))).setTo(cv::Scalar(0, 0, 230));
    infrared(cv::Rect(corners[n], cv::Size(20, 20))).setTo(200);
    const std::string name = "scene_" + std::to_string(n) + ".png";
    cv::imwrite(dir_.file("warm/visible/" + name), visible);
    cv::imwrite(dir_.file("warm/infrared/" + name), infrared);
  }
  TrainOptions o = options_;
  o.scale = Scale::native;
  o.paired_target_weight = 1;
  o.visible_dir = dir_.file("warm/visible");
  o.infrared_dir = dir_.file("warm/infrared");
  auto crops_with_targets = [&](int target_crops) {
    o.target_crops = target_crops;
    TrainingData data(o);
    int count = 0;
    for (int64_t step = 0; step < 40; ++step) {
      const Batch batch = data.batch(step);
      const auto warm = batch.infrared[0][0] > 0;  // 200 on 0..255 is above the middle
      count += warm.any().item<bool>();
      // Aligned: the visible crop's red square is exactly where the infrared one is warm.
      const auto red = batch.visible[0][0] > 0.5;
      EXPECT_TRUE(torch::equal(red, warm)) << "step " << step;
    }
    return count;
  };
  const int plain = crops_with_targets(1), chosen = crops_with_targets(16);
  // Binomial over 40 steps: 7.4 +- 2.5 and 38.5 +- 1.2.
  EXPECT_LT(plain, 16) << "a plain random crop misses the square most of the time";
  EXPECT_GE(chosen, 34);
}

TEST_F(Sets, RecordsGiveEachSetsResolvedWeightAndCounts) {
  TrainOptions o = options_;
  o.visible_dir = make("main", 3, false, 1) + "/visible";
  o.infrared_dir = dir_.file("main/infrared");
  o.datasets = {set(make("extra", 5, false, 2), 2, 1.0)};
  TrainingData data(o);
  const auto records = data.records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].spec.name, dir_.file("main"));
  EXPECT_EQ(records[0].spec.weight, 3) << "its image count";
  EXPECT_EQ(records[0].visible_images, 3);
  EXPECT_EQ(records[1].spec.weight, 2);
  EXPECT_EQ(records[1].infrared_images, 5);
  EXPECT_EQ(data.visible_images(), 8);
  EXPECT_EQ(data.epoch_size(), 8);
}

}  // namespace
}  // namespace gncyclegan::train
