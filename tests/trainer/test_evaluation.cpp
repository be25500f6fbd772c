// gncyclegan-eval: pairing, baselines, predictions, a model at sizes the
// network does not accept, sharpness, day and night, the files it writes, and
// its command line.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <torch/torch.h>

#include "model/generator.h"
#include "model/hot_composite_generator.h"
#include "model/weights.h"
#include "tests/support/test_support.h"
#include "trainer/evaluation.h"
#include "trainer/hot_targets.h"
#include "trainer/metrics.h"

namespace gncyclegan::train {
namespace {

namespace fs = std::filesystem;

// Gray scenes: visible pixel (i, j) of image n is v = (n * 40 + 3i + 5j) % 200
// in all three channels; the infrared partner is `infrared(v)`. Files are
// named scene<n>.jpg.png, or names[n] + ".png" when names are given, in
// FOLDER/visible and FOLDER/infrared.
class Evaluation : public ::testing::Test {
 protected:
  void make_pairs(int count, cv::Size size, int (*infrared)(int), const std::vector<std::string> &names = {},
                  const std::string &folder = ".") {
    fs::create_directories(dir_.file(folder + "/visible"));
    fs::create_directories(dir_.file(folder + "/infrared"));
    for (int n = 0; n < count; ++n) {
      cv::Mat visible(size, CV_8UC3), thermal(size, CV_8UC1);
      for (int i = 0; i < size.height; ++i)
        for (int j = 0; j < size.width; ++j) {
          const int v = (n * 40 + 3 * i + 5 * j) % 200;
          visible.at<cv::Vec3b>(i, j) = cv::Vec3b(v, v, v);
          thermal.at<uint8_t>(i, j) = static_cast<uint8_t>(infrared(v));
        }
      const std::string name = names.empty() ? "scene" + std::to_string(n) + ".jpg.png" : names[n] + ".png";
      cv::imwrite(dir_.file(folder + "/visible/" + name), visible);  // by default a stem with a dot
      cv::imwrite(dir_.file(folder + "/infrared/" + name), thermal);
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
  EXPECT_DOUBLE_EQ(result.sharpness().mean, 1.0);
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
  EXPECT_DOUBLE_EQ(result.sharpness().mean, 1.0) << "a brighter copy has the same edges";
}

int low_contrast(int v) { return 40 + v / 4; }

TEST_F(Evaluation, SharpnessIsEachPairsEdgeEnergyRatioAveraged) {
  make_pairs(3, {40, 30}, low_contrast);
  EvalOptions o = options();
  o.baseline = Baseline::gray;
  const auto result = evaluate(o);
  ASSERT_EQ(result.images.size(), 3u);
  double sum = 0;
  for (const auto &score : result.images) {
    const cv::Mat visible = cv::imread(dir_.file("visible/" + score.name), cv::IMREAD_GRAYSCALE);
    const cv::Mat infrared = cv::imread(dir_.file("infrared/" + score.name), cv::IMREAD_GRAYSCALE);
    EXPECT_DOUBLE_EQ(score.sharpness, sharpness(visible, infrared)) << score.name;
    EXPECT_GT(score.sharpness, 3.0) << "the gray image has about 4 times the infrared image's contrast";
    sum += score.sharpness;
  }
  EXPECT_DOUBLE_EQ(result.sharpness().mean, sum / 3);
}

TEST_F(Evaluation, DayAndNightAreScoredApartWhenTheNamesTell) {
  make_pairs(5, {40, 30}, same, {"00001D", "00002N", "00003D", "00004N", "00005N"});
  cv::Mat dark(30, 40, CV_8UC1, cv::Scalar(0));
  cv::imwrite(dir_.file("infrared/00002N.png"), dark);  // one night pair the gray image gets wrong
  EvalOptions o = options();
  o.baseline = Baseline::gray;
  const auto result = evaluate(o);
  const auto groups = result.day_night();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].first, "day");
  EXPECT_EQ(groups[0].second.images.size(), 2u);
  EXPECT_DOUBLE_EQ(groups[0].second.ssim().mean, 1.0);
  EXPECT_EQ(groups[1].first, "night");
  EXPECT_EQ(groups[1].second.images.size(), 3u);
  EXPECT_LT(groups[1].second.ssim().mean, 0.9);
  const auto lines = result.day_night_lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].rfind("day:   PSNR ", 0), 0u) << lines[0];
  EXPECT_NE(lines[1].find("(3 pairs)"), std::string::npos) << lines[1];
  const auto json = result.to_json();
  EXPECT_EQ(json["day"]["pairs"], 2);
  EXPECT_EQ(json["night"]["pairs"], 3);
  EXPECT_DOUBLE_EQ(json["day"]["sharpness"]["mean"].get<double>(), 1.0);

  o.only_suffix = "N";
  const auto night = evaluate(o);
  ASSERT_EQ(night.images.size(), 3u);
  for (const auto &score : night.images) EXPECT_EQ(score.name.substr(5), "N.png");
  EXPECT_TRUE(night.day_night().empty()) << "one group only: the summary is it";
  o.only_suffix = "X";
  EXPECT_THROW(evaluate(o), std::runtime_error);
}

TEST_F(Evaluation, NamesThatDoNotAllTellAreNotSplit) {
  make_pairs(3, {40, 30}, same, {"00001D", "00002N", "other"});
  EvalOptions o = options();
  o.baseline = Baseline::gray;
  const auto result = evaluate(o);
  EXPECT_TRUE(result.day_night().empty());
  EXPECT_FALSE(result.to_json().contains("day"));
}

TEST_F(Evaluation, HotTargetsAreScoredPerImageAndOutlinedInTheMosaic) {
  // A 200 x 200 scene at 50 with a 20 x 20 square at 150 (a 396-pixel target,
  // tests/trainer/test_hot_targets.cpp); the prediction draws it at 100: half
  // the real contrast. A second pair has no target at all.
  for (const char *folder : {"visible", "infrared", "predictions"}) fs::create_directories(dir_.file(folder));
  cv::Mat flat(200, 200, CV_8UC1, cv::Scalar(50)), warm = flat.clone(), half = flat.clone();
  warm(cv::Rect(90, 90, 20, 20)).setTo(150);
  half(cv::Rect(90, 90, 20, 20)).setTo(100);
  for (const char *name : {"a.png", "b.png"}) cv::imwrite(dir_.file(std::string("visible/") + name), flat);
  cv::imwrite(dir_.file("infrared/a.png"), warm);
  cv::imwrite(dir_.file("predictions/a.png"), half);
  cv::imwrite(dir_.file("infrared/b.png"), flat);
  cv::imwrite(dir_.file("predictions/b.png"), flat);
  EvalOptions o = options();
  o.predictions_dir = dir_.file("predictions");
  o.out_dir = dir_.file("report");
  o.mosaic_height = 200;
  const auto result = evaluate(o);
  ASSERT_EQ(result.images.size(), 2u);
  EXPECT_DOUBLE_EQ(result.images[0].target_contrast, 0.5);
  EXPECT_DOUBLE_EQ(result.images[0].target_fraction, 396.0 / 40000);
  EXPECT_TRUE(std::isnan(result.images[1].target_contrast)) << "no target to score";
  EXPECT_EQ(result.images_with_targets(), 1u);
  EXPECT_DOUBLE_EQ(result.target_contrast().mean, 0.5) << "the image without targets does not count";
  EXPECT_DOUBLE_EQ(result.target_fraction().mean, 396.0 / 80000);
  EXPECT_NE(result.summary_line().find("targets: contrast 0.500"), std::string::npos) << result.summary_line();
  const auto summary = nlohmann::json::parse(std::ifstream(dir_.file("report/summary.json")));
  EXPECT_DOUBLE_EQ(summary["target_contrast"]["mean"].get<double>(), 0.5);
  EXPECT_EQ(summary["images_with_targets"], 1);
  EXPECT_TRUE(summary["images"][1]["target_contrast"].is_null());
  // The outline: red pixels on the generated and real panels of the first row only.
  const cv::Mat mosaic = cv::imread(dir_.file("report/mosaic.png"));
  ASSERT_EQ(mosaic.size(), cv::Size(600, 400));
  auto red_pixels = [&](cv::Rect panel) {
    int count = 0;
    for (int i = panel.y; i < panel.y + panel.height; ++i)
      for (int j = panel.x; j < panel.x + panel.width; ++j) {
        const auto bgr = mosaic.at<cv::Vec3b>(i, j);
        count += bgr[2] > 200 && bgr[1] < 60 && bgr[0] < 60;
      }
    return count;
  };
  EXPECT_EQ(red_pixels({0, 0, 200, 200}), 0) << "the visible panel is left as it is";
  EXPECT_GT(red_pixels({200, 0, 200, 200}), 60);
  EXPECT_GT(red_pixels({400, 0, 200, 200}), 60);
  EXPECT_EQ(red_pixels({0, 200, 600, 200}), 0);
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
  std::ifstream header_file(dir_.file("report/scores.csv"));
  std::getline(header_file, line);
  EXPECT_EQ(line,
            "name,psnr_db,ssim,sharpness,target_contrast,target_psnr_db,target_fraction,stripe_ratio,"
            "reference_stripe_ratio,inference_ms,gate_on_targets,gate_off_targets");
  EXPECT_TRUE(std::isnan(result.gate_on_targets().mean)) << "no head, no gate";
  EXPECT_EQ(result.summary_line().find("head:"), std::string::npos) << result.summary_line();
  const auto summary = nlohmann::json::parse(std::ifstream(dir_.file("report/summary.json")));
  EXPECT_EQ(summary["pairs"], 3);
  EXPECT_EQ(summary["images"].size(), 3u);
  EXPECT_TRUE(summary["sharpness"].contains("mean"));
  EXPECT_TRUE(summary["images"][0].contains("sharpness"));
  const cv::Mat mosaic = cv::imread(dir_.file("report/mosaic.png"));
  EXPECT_EQ(mosaic.rows, 3 * 50);
  EXPECT_NEAR(mosaic.cols, 3 * 45 * 50.0 / 31, 1.0) << "visible | generated | infrared";
}

// A hot model whose three maps are constants: the base's last convolution's
// bias alone (every other base weight zero) draws gray 52 everywhere; the head's
// output convolution, weights zero, opens the gate half way (logit 0) on a
// value of gray 204. On the warm square of the test above (150 on 50):
//  - the model's own output is (52 + 204) / 2 = 128 everywhere: contrast 0;
//  - the gate replaced by the targets: 204 on them, 52 on the ring around:
//    contrast (204 - 52) / (150 - 50) = 1.52;
//  - the value replaced by the real infrared: 52 + (150 - 52) / 2 = 101 on
//    the targets, 52 + (50 - 52) / 2 = 51 on the ring: contrast 0.5;
// and the gate is open 0.5 on the targets and away from them.
TEST_F(Evaluation, AHotModelsGateOpeningAndItsHeadOraclesScoreAsComputedByHand) {
  for (const char *folder : {"visible", "infrared"}) fs::create_directories(dir_.file(folder));
  cv::Mat flat(200, 200, CV_8UC1, cv::Scalar(50)), warm = flat.clone();
  warm(cv::Rect(90, 90, 20, 20)).setTo(150);
  cv::imwrite(dir_.file("visible/a.png"), flat);
  cv::imwrite(dir_.file("infrared/a.png"), warm);
  {
    torch::NoGradGuard no_grad;
    GeneratorConfig config = GeneratorConfig::from_name("hot_resnet_1blocks", 3, 1, 4);
    config.head_width = 8;
    auto generator = std::dynamic_pointer_cast<HotCompositeGenerator>(make_generator(config));
    auto base_parameters = generator->base->parameters();
    for (auto &parameter : base_parameters) parameter.zero_();
    base_parameters.back().fill_(std::atanh(52 / 127.5 - 1));  // the output convolution's bias
    generator->head->out->weight.zero_();
    generator->head->out->bias[0].fill_(0.0);
    generator->head->out->bias[1].fill_(std::atanh(204 / 127.5 - 1));
    save_generator(dir_.file("hot.safetensors"), *generator);
  }
  EvalOptions o = options();
  o.model_path = dir_.file("hot.safetensors");
  o.out_dir = dir_.file("report");
  o.mosaic_height = 200;
  const auto own = evaluate(o);
  ASSERT_EQ(own.images.size(), 1u);
  EXPECT_NEAR(own.images[0].target_contrast, 0.0, 1e-9);
  EXPECT_NEAR(own.images[0].gate_on_targets, 0.5, 1e-6);
  EXPECT_NEAR(own.images[0].gate_off_targets, 0.5, 1e-6);
  EXPECT_NE(own.summary_line().find("head: gate open 0.500 on the targets, 0.500 away from them"), std::string::npos)
      << own.summary_line();
  EXPECT_NEAR(own.to_json()["gate_on_targets"]["mean"].get<double>(), 0.5, 1e-6);
  // visible | generated | infrared | the gate, half open: gray 128 away from the outline.
  const cv::Mat mosaic = cv::imread(dir_.file("report/mosaic.png"));
  ASSERT_EQ(mosaic.size(), cv::Size(800, 200));
  EXPECT_NEAR(mosaic.at<cv::Vec3b>(20, 620)[1], 128, 1);
  EXPECT_NEAR(mosaic.at<cv::Vec3b>(20, 420)[1], 50, 1) << "the real infrared's ground";

  o.head_oracle = HeadOracle::gate;
  const auto gate = evaluate(o);
  EXPECT_NEAR(gate.images[0].target_contrast, 1.52, 1e-9);
  EXPECT_NEAR(cv::imread(dir_.file("report/mosaic.png")).at<cv::Vec3b>(20, 620)[1], 128, 1)
      << "the mosaic shows the model's own gate, not the oracle's";
  EXPECT_NE(gate.method.find("the gate replaced by the real targets"), std::string::npos) << gate.method;
  EXPECT_NEAR(gate.images[0].gate_on_targets, 0.5, 1e-6) << "the model's own gate is still reported";

  o.head_oracle = HeadOracle::value;
  const auto value = evaluate(o);
  EXPECT_NEAR(value.images[0].target_contrast, 0.5, 1e-9);
  EXPECT_NE(value.method.find("the value replaced by the real infrared"), std::string::npos) << value.method;
}

TEST_F(Evaluation, TheHeadOracleNeedsAHotModel) {
  make_pairs(1, {40, 30}, same);
  GeneratorConfig config = GeneratorConfig::from_name("resnet_1blocks", 3, 1, 4);
  save_generator(dir_.file("g.safetensors"), *make_generator(config));
  auto error_of = [](const EvalOptions &o) -> std::string {
    try {
      evaluate(o);
    } catch (const std::runtime_error &error) {
      return error.what();
    }
    return "no error";
  };
  EvalOptions o = options();
  o.head_oracle = HeadOracle::gate;
  o.model_path = dir_.file("g.safetensors");
  EXPECT_NE(error_of(o).find("(resnet_1blocks) has none: give a hot_ model"), std::string::npos) << error_of(o);
  o.model_path.clear();
  o.baseline = Baseline::gray;
  EXPECT_NE(error_of(o).find("give the model with --model"), std::string::npos) << error_of(o);
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
                           "--scale", "--device", "--threads", "--head-oracle {gate,value}", "--out", "--json",
                           "--only-suffix", "MATLAB", "sharpness"})
    EXPECT_NE(help.output.find(text), std::string::npos) << text;
}

TEST_F(EvalCli, PrintsPerImageScoresAndTheSummary) {
  const auto result = run(pairs() + "--baseline gray");
  EXPECT_EQ(result.status, 0) << result.output;
  EXPECT_NE(result.output.find("2/2  scene1.jpg.png"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("SSIM 1.0000  sharpness 1.0000"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("SSIM 1.0000 ± 0.0000  sharpness 1.0000 ± 0.0000  (2 pairs, baseline gray)"),
            std::string::npos)
      << result.output;
  EXPECT_EQ(result.output.find("day:"), std::string::npos) << "these names tell neither day nor night";
}

TEST_F(EvalCli, MsrsNamesGetDayAndNightLinesAndOnlySuffixKeepsOne) {
  fs::remove_all(dir_.file("visible"));
  fs::remove_all(dir_.file("infrared"));
  make_pairs(4, {40, 30}, same, {"00001D", "00002N", "00003D", "00004N"});
  const auto both = run(pairs() + "--baseline gray");
  EXPECT_EQ(both.status, 0) << both.output;
  EXPECT_NE(both.output.find("(4 pairs, baseline gray)\ntargets: "), std::string::npos) << both.output;
  EXPECT_NE(both.output.find("\nday:   PSNR "), std::string::npos) << both.output;
  EXPECT_NE(both.output.find("\nnight: PSNR "), std::string::npos) << both.output;
  const auto json = nlohmann::json::parse(run(pairs() + "--baseline gray --json").output);
  EXPECT_EQ(json["night"]["pairs"], 2);
  const auto night = run(pairs() + "--baseline gray --only-suffix N");
  EXPECT_EQ(night.status, 0) << night.output;
  EXPECT_NE(night.output.find("(2 pairs, baseline gray)"), std::string::npos) << night.output;
  EXPECT_EQ(night.output.find("00001D"), std::string::npos) << night.output;
  const auto none = run(pairs() + "--baseline gray --only-suffix Q");
  EXPECT_EQ(none.status, 1) << none.output;
  EXPECT_NE(none.output.find("--only-suffix Q: no pair"), std::string::npos) << none.output;
}

TEST_F(EvalCli, JsonIsForMachines) {
  const auto result = run(pairs() + "--baseline inverted-gray --json");
  ASSERT_EQ(result.status, 0) << result.output;
  const auto json = nlohmann::json::parse(result.output);
  EXPECT_EQ(json["pairs"], 2);
  EXPECT_EQ(json["method"], "baseline inverted-gray");
}

// scripts/eval-dev.sh on a miniature of ../shared/data's layout, one split missing.
TEST_F(EvalCli, TheDevScriptScoresEverySplitInOneTable) {
  make_pairs(2, {40, 32}, same, {}, "data/roadscene/test");
  make_pairs(3, {40, 32}, same, {"00001D", "00002N", "00003D"}, "data/msrs/test");
  make_pairs(2, {40, 32}, negative, {}, "data/m3svd/0111_1753");
  GeneratorConfig config = GeneratorConfig::from_name("resnet_1blocks_cbam");
  config.ngf = 4;
  save_generator(dir_.file("g.safetensors"), *make_generator(config));
  const auto result = test::run_command("cd / && GNCYCLEGAN_EVAL='" + binary_ + "' '" GNCYCLEGAN_SOURCE_DIR
                                        "/scripts/eval-dev.sh' --out '" + dir_.file("dev") + "' '" +
                                            dir_.file("g.safetensors") + "' '" + dir_.file("data") +
                                            "' -- --threads 1",
                                        dir_.file("dev.txt"));
  ASSERT_EQ(result.status, 0) << result.output;
  for (const char *row : {"| set | pairs | model PSNR / SSIM / sharpness | model targets: contrast / PSNR | gray PSNR / "
                          "SSIM / sharpness | gray targets: contrast / PSNR | targets (% of pixels) | stripes: model / "
                          "gray / real |",
                          "| RoadScene test | 2 | ", "| MSRS test, day | 2 | ", "| MSRS test, night | 1 | ",
                          "| M3SVD 0111_1753 (held out) | 2 | ", "| M3SVD 0115_1834 (held out) | – | (missing) |"})
    EXPECT_NE(result.output.find(row), std::string::npos) << row << "\n" << result.output;
  // The gray image is this split's infrared: PSNR infinite (null in JSON), SSIM and sharpness 1,
  // its targets as warm as the real ones, its stripe ratio the real one's.
  const size_t day = result.output.find("| MSRS test, day | 2 | ");
  ASSERT_NE(day, std::string::npos) << result.output;
  const std::string day_row = result.output.substr(day, result.output.find('\n', day) - day);
  bool targets = false;
  for (const auto &entry : fs::directory_iterator(dir_.file("data/msrs/test/infrared")))
    targets |= entry.path().stem() != "00002N" &&
               cv::countNonZero(hot_target_mask(cv::imread(entry.path().string(), cv::IMREAD_GRAYSCALE))) > 0;
  EXPECT_NE(day_row.find(std::string(" | inf / 1.0000 / 1.000 | ") + (targets ? "1.000 / inf" : "– / –") + " | "),
            std::string::npos)
      << day_row;
  const std::string stripes = day_row.substr(day_row.rfind(" | ") + 3);  // "model / gray / real |"
  const std::string gray_stripes = stripes.substr(stripes.find(" / ") + 3, stripes.rfind(" / ") - stripes.find(" / ") - 3);
  EXPECT_EQ(stripes, stripes.substr(0, stripes.find(" / ")) + " / " + gray_stripes + " / " + gray_stripes + " |")
      << day_row;
  EXPECT_NE(result.output.find("warning: " + dir_.file("data/m3svd/0115_1834")), std::string::npos) << result.output;
  EXPECT_TRUE(fs::exists(dir_.file("dev/msrs-night/model/mosaic.png")));
  const auto gray = nlohmann::json::parse(std::ifstream(dir_.file("dev/msrs-day/gray/summary.json")));
  EXPECT_EQ(gray["pairs"], 2);
  EXPECT_DOUBLE_EQ(gray["ssim"]["mean"].get<double>(), 1.0);
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

TEST_F(EvalCli, TheHeadOracleWithoutAModelIsAUsageError) {
  const auto result = run(pairs() + "--baseline gray --head-oracle gate");
  EXPECT_EQ(result.status, 2);
  EXPECT_NE(result.output.find("--head-oracle requires --model"), std::string::npos) << result.output;
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
