// gncyclegan-eval: pairing, baselines, predictions, a model at sizes the
// network does not accept, the files it writes, and its command line.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "model/generator.h"
#include "model/weights.h"
#include "tests/support/test_support.h"
#include "trainer/evaluation.h"

namespace gncyclegan::train {
namespace {

namespace fs = std::filesystem;

// Gray scenes: visible pixel (i, j) of image n is v = (n * 40 + 3i + 5j) % 200
// in all three channels; the infrared partner is `infrared(v)`.
class Evaluation : public ::testing::Test {
 protected:
  void make_pairs(int count, cv::Size size, int (*infrared)(int)) {
    fs::create_directories(dir_.file("visible"));
    fs::create_directories(dir_.file("infrared"));
    for (int n = 0; n < count; ++n) {
      cv::Mat visible(size, CV_8UC3), thermal(size, CV_8UC1);
      for (int i = 0; i < size.height; ++i)
        for (int j = 0; j < size.width; ++j) {
          const int v = (n * 40 + 3 * i + 5 * j) % 200;
          visible.at<cv::Vec3b>(i, j) = cv::Vec3b(v, v, v);
          thermal.at<uint8_t>(i, j) = static_cast<uint8_t>(infrared(v));
        }
      const std::string name = "scene" + std::to_string(n);
      cv::imwrite(dir_.file("visible/" + name + ".jpg.png"), visible);  // a stem with a dot
      cv::imwrite(dir_.file("infrared/" + name + ".jpg.png"), thermal);
    }
  }
  EvalOptions options() {
    EvalOptions o;
    o.visible_dir = dir_.file("visible");
    o.infrared_dir = dir_.file("infrared");
    o.device = "cpu";
    return o;
  }
  test::TemporaryDirectory dir_;
};

int same(int v) { return v; }
int negative(int v) { return 255 - v; }

TEST_F(Evaluation, TheGrayBaselineIsPerfectWhenInfraredIsTheGrayImage) {
  make_pairs(3, {40, 30}, same);
  EvalOptions o = options();
  o.baseline = Baseline::gray;
  const auto result = evaluate(o);
  ASSERT_EQ(result.images.size(), 3u);
  EXPECT_DOUBLE_EQ(result.ssim().mean, 1.0);
  EXPECT_TRUE(std::isinf(result.images[0].psnr));
  EXPECT_LT(result.images[0].inference_ms, 0) << "no generator ran";
}

TEST_F(Evaluation, TheInvertedBaselineIsPerfectForANegative) {
  make_pairs(2, {40, 30}, negative);
  EvalOptions o = options();
  o.baseline = Baseline::inverted_gray;
  EXPECT_DOUBLE_EQ(evaluate(o).ssim().mean, 1.0);
  o.baseline = Baseline::gray;
  EXPECT_LT(evaluate(o).ssim().mean, 0.5);
}

TEST_F(Evaluation, PredictionsTenLevelsOffScoreTheirKnownPsnr) {
  make_pairs(2, {40, 30}, same);
  fs::create_directories(dir_.file("predictions"));
  for (const auto &entry : fs::directory_iterator(dir_.file("infrared"))) {
    cv::Mat brighter = cv::imread(entry.path().string(), cv::IMREAD_GRAYSCALE) + 10;  // values < 210: no saturation
    cv::imwrite(dir_.file("predictions/" + entry.path().stem().string() + ".bmp"), brighter);
  }
  EvalOptions o = options();
  o.predictions_dir = dir_.file("predictions");
  const auto result = evaluate(o);
  // MSE = 100 everywhere: 10 log10(255^2 / 100).
  EXPECT_NEAR(result.psnr().mean, 28.1308036, 1e-6);
  EXPECT_NEAR(result.psnr().std, 0.0, 1e-9);
}

TEST_F(Evaluation, AModelRunsAtSizesItsNetworkDoesNotAcceptAndWritesItsReport) {
  make_pairs(3, {45, 31}, same);  // resnet needs multiples of 4
  GeneratorConfig config = GeneratorConfig::from_name("resnet_1blocks_cbam");
  config.ngf = 4;
  auto generator = make_generator(config);
  save_generator(dir_.file("g.safetensors"), *generator);

  EvalOptions o = options();
  o.model_path = dir_.file("g.safetensors");
  o.out_dir = dir_.file("report");
  o.mosaic_height = 50;
  const auto result = evaluate(o);
  ASSERT_EQ(result.images.size(), 3u);
  EXPECT_GE(result.images[0].inference_ms, 0);
  EXPECT_NE(result.summary_line().find("g.safetensors (resnet_1blocks_cbam)"), std::string::npos);

  std::ifstream csv(dir_.file("report/scores.csv"));
  std::string line;
  int lines = 0;
  while (std::getline(csv, line)) ++lines;
  EXPECT_EQ(lines, 4) << "header + one line per pair";
  const auto summary = nlohmann::json::parse(std::ifstream(dir_.file("report/summary.json")));
  EXPECT_EQ(summary["pairs"], 3);
  EXPECT_EQ(summary["images"].size(), 3u);
  const cv::Mat mosaic = cv::imread(dir_.file("report/mosaic.png"));
  EXPECT_EQ(mosaic.rows, 3 * 50);
  EXPECT_NEAR(mosaic.cols, 3 * 45 * 50.0 / 31, 1.0) << "visible | generated | infrared";
}

TEST_F(Evaluation, ImagesWithoutAPartnerAreSkippedAndNamed) {
  make_pairs(2, {40, 30}, same);
  cv::imwrite(dir_.file("visible/lonely.png"), cv::Mat(30, 40, CV_8UC3, cv::Scalar::all(9)));
  EvalOptions o = options();
  o.baseline = Baseline::gray;
  const auto result = evaluate(o);
  EXPECT_EQ(result.images.size(), 2u);
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_NE(result.warnings[0].find("lonely.png"), std::string::npos);
}

TEST_F(Evaluation, PairsOfDifferentSizesAreNamed) {
  make_pairs(1, {40, 30}, same);
  cv::imwrite(dir_.file("infrared/scene0.jpg.png"), cv::Mat(20, 40, CV_8UC1, cv::Scalar(0)));
  EvalOptions o = options();
  o.baseline = Baseline::gray;
  try {
    evaluate(o);
    FAIL() << "expected an error";
  } catch (const std::runtime_error &error) {
    EXPECT_NE(std::string(error.what()).find("differ in size"), std::string::npos) << error.what();
  }
}

// The command line.
class EvalCli : public Evaluation {
 protected:
  void SetUp() override {
    const char *binary = std::getenv("GNCYCLEGAN_EVAL");
    ASSERT_TRUE(binary) << "GNCYCLEGAN_EVAL must name the gncyclegan-eval binary (meson test sets it)";
    binary_ = binary;
    make_pairs(2, {40, 30}, same);
  }
  test::CommandResult run(const std::string &arguments) {
    return test::run_command("'" + binary_ + "' " + arguments, dir_.file("output.txt"));
  }
  std::string pairs() { return "--visible '" + dir_.file("visible") + "' --infrared '" + dir_.file("infrared") + "' "; }
  std::string binary_;
};

TEST_F(EvalCli, HelpNamesEveryOption) {
  const auto help = run("--help");
  EXPECT_EQ(help.status, 0);
  for (const char *text : {"--model", "--predictions", "--baseline {gray,inverted-gray}", "--visible", "--infrared",
                           "--scale", "--device", "--threads", "--out", "--json", "MATLAB"})
    EXPECT_NE(help.output.find(text), std::string::npos) << text;
}

TEST_F(EvalCli, PrintsPerImageScoresAndTheSummary) {
  const auto result = run(pairs() + "--baseline gray");
  EXPECT_EQ(result.status, 0) << result.output;
  EXPECT_NE(result.output.find("2/2  scene1.jpg.png"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("SSIM 1.0000 ± 0.0000  (2 pairs, baseline gray)"), std::string::npos)
      << result.output;
}

TEST_F(EvalCli, JsonIsForMachines) {
  const auto result = run(pairs() + "--baseline inverted-gray --json");
  ASSERT_EQ(result.status, 0) << result.output;
  const auto json = nlohmann::json::parse(result.output);
  EXPECT_EQ(json["pairs"], 2);
  EXPECT_EQ(json["method"], "baseline inverted-gray");
}

TEST_F(EvalCli, NothingToScoreIsAUsageError) {
  const auto result = run(pairs());
  EXPECT_EQ(result.status, 2);
  EXPECT_NE(result.output.find("--model FILE, --predictions DIR or --baseline"), std::string::npos) << result.output;
}

TEST_F(EvalCli, TwoThingsToScoreIsAUsageError) {
  std::ofstream(dir_.file("g.safetensors")) << "x";
  EXPECT_EQ(run(pairs() + "--baseline gray --model '" + dir_.file("g.safetensors") + "'").status, 2);
}

TEST_F(EvalCli, ACorruptModelIsNamed) {
  std::ofstream(dir_.file("broken.safetensors")) << "not a safetensors file";
  const auto result = run(pairs() + "--model '" + dir_.file("broken.safetensors") + "'");
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.output.find("broken.safetensors"), std::string::npos) << result.output;
}

TEST_F(EvalCli, AMissingFolderIsNamed) {
  const auto result = run("--baseline gray --visible /nonexistent --infrared /nonexistent");
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.output.find("--visible /nonexistent"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace gncyclegan::train
