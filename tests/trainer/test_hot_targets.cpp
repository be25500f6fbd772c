// The hot-target rule and scores (trainer/hot_targets.h) and the stripe ratio
// (trainer/metrics.h), on images whose answers follow by hand: a warm square
// on a flat background, a warm half, noise too small to count, ramps.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include <opencv2/imgproc.hpp>

#include "trainer/hot_head_loss.h"
#include "trainer/hot_target_loss.h"
#include "trainer/hot_targets.h"
#include "trainer/metrics.h"
#include "trainer/options.h"

namespace gncyclegan::train {
namespace {

constexpr int kSide = 200;
const cv::Rect kSquare(90, 90, 20, 20);

// A kSide x kSide image at `background` with kSquare at `square`.
cv::Mat scene(int background, int square) {
  cv::Mat image(kSide, kSide, CV_8UC1, cv::Scalar(background));
  image(kSquare).setTo(square);
  return image;
}

const cv::Mat infrared = scene(50, 150);

TEST(HotTargets, AWarmSquareIsTheTargetLessTheCornersTheOpeningRounds) {
  // The square covers 400 of the 151 x 151 window's pixels: the median is the
  // background (50) everywhere, so the candidates are the square (100 > 30
  // warmer). Opening by a 3x3 cross erodes it to 18 x 18 and dilates that back
  // to 20 x 20 without its four corners: 396 pixels.
  const cv::Mat mask = hot_target_mask(infrared);
  EXPECT_EQ(cv::countNonZero(mask), 396);
  EXPECT_EQ(cv::countNonZero(mask(kSquare)), 396);
  EXPECT_EQ(mask.at<uint8_t>(kSquare.y, kSquare.x), 0);           // a corner
  EXPECT_EQ(mask.at<uint8_t>(kSquare.y, kSquare.x + 1), 255);     // beside it
  EXPECT_EQ(mask.at<uint8_t>(kSquare.y + 10, kSquare.x + 10), 255);  // inside
}

TEST(HotTargets, TheContrastRatioOfKnownImages) {
  // Real: targets 150, ring 50, difference 100.
  EXPECT_DOUBLE_EQ(score_hot_targets(infrared, infrared).contrast, 1.0);
  EXPECT_DOUBLE_EQ(score_hot_targets(scene(50, 100), infrared).contrast, 0.5);   // (100 - 50) / 100
  EXPECT_DOUBLE_EQ(score_hot_targets(scene(80, 80), infrared).contrast, 0.0);    // flat
  EXPECT_DOUBLE_EQ(score_hot_targets(255 - infrared, infrared).contrast, -1.0);  // (105 - 205) / 100
  EXPECT_DOUBLE_EQ(score_hot_targets(scene(20, 220), infrared).contrast, 2.0);   // (220 - 20) / 100
}

TEST(HotTargets, TheContrastIsAgainstTheRingNotTheWholeBackground) {
  // The ring: within 2 + 8 pixels of a target, farther than 2.
  cv::Mat output = infrared.clone();
  output.setTo(100, ring_around(hot_target_mask(infrared)));
  EXPECT_DOUBLE_EQ(score_hot_targets(output, infrared).contrast, 0.5);  // (150 - 100) / 100
  // Away from the ring the background may be anything.
  cv::Mat far = infrared.clone();
  far(cv::Rect(0, 0, 60, 60)).setTo(255);
  EXPECT_DOUBLE_EQ(score_hot_targets(far, infrared).contrast, 1.0);
}

TEST(HotTargets, TargetPsnrAndFraction) {
  // Everything 10 levels warmer: MSE 100 on the targets, whatever region is scored.
  const HotTargetScore warmer = score_hot_targets(infrared + 10, infrared);
  EXPECT_NEAR(warmer.psnr, 10 * std::log10(255.0 * 255.0 / 100), 1e-12);
  EXPECT_DOUBLE_EQ(warmer.fraction, 396.0 / (kSide * kSide));
  // An error far from every target leaves the targets perfect.
  cv::Mat far = infrared.clone();
  far(cv::Rect(0, 0, 60, 60)).setTo(0);
  EXPECT_TRUE(std::isinf(score_hot_targets(far, infrared).psnr));
  // A target drawn a pixel off pays: the dilated targets include its border.
  cv::Mat shifted = scene(50, 50);
  shifted(kSquare + cv::Point(1, 0)).setTo(150);
  EXPECT_TRUE(std::isfinite(score_hot_targets(shifted, infrared).psnr));
}

TEST(HotTargets, AWarmHalfIsBackgroundNotATarget) {
  // Each pixel's window is mostly its own side, so the median is its own value.
  cv::Mat halves(kSide, kSide, CV_8UC1, cv::Scalar(50));
  halves.colRange(kSide / 2, kSide).setTo(150);
  EXPECT_EQ(cv::countNonZero(hot_target_mask(halves)), 0);
  const HotTargetScore score = score_hot_targets(halves, halves);
  EXPECT_TRUE(std::isnan(score.contrast));
  EXPECT_TRUE(std::isnan(score.psnr));
  EXPECT_EQ(score.fraction, 0.0);
}

TEST(HotTargets, NoiseAndSmallSpotsAreNotTargets) {
  cv::Mat image(kSide, kSide, CV_8UC1, cv::Scalar(50));
  image.at<uint8_t>(20, 20) = 255;           // a hot pixel: gone in the opening
  image(cv::Rect(150, 150, 6, 6)).setTo(200);  // 36 pixels, 32 after the opening: under 40
  image(cv::Rect(30, 150, 2, 40)).setTo(200);  // a 2-pixel line: the cross erodes it away
  EXPECT_EQ(cv::countNonZero(hot_target_mask(image)), 0);
  // Not warm enough: 30 levels is not over the threshold.
  EXPECT_EQ(cv::countNonZero(hot_target_mask(scene(50, 80))), 0);
  EXPECT_EQ(cv::countNonZero(hot_target_mask(scene(50, 81))), 396);
}

TEST(HotTargets, WrongImagesAreRefused) {
  EXPECT_THROW(hot_target_mask(cv::Mat(10, 10, CV_8UC3)), std::invalid_argument);
  EXPECT_THROW(hot_target_mask(cv::Mat()), std::invalid_argument);
  EXPECT_THROW(score_hot_targets(cv::Mat(100, 100, CV_8UC1, cv::Scalar(0)), infrared), std::invalid_argument);
  HotTargetRule even;
  even.window = 150;
  EXPECT_THROW(hot_target_mask(infrared, even), std::invalid_argument);
}

// An 8-bit image as a 1 x 1 x H x W batch in [-1, 1], as the trainer holds infrared.
torch::Tensor batch_of(const cv::Mat &image) {
  cv::Mat floats;
  image.convertTo(floats, CV_32F, 1 / 127.5, -1);
  return torch::from_blob(floats.ptr<float>(), {1, 1, image.rows, image.cols}, torch::kFloat).clone();
}

TEST(HotTargetLoss, TheMasksAreTheRulesOnTheRoundedImage) {
  const HotTargetMasks masks = hot_target_masks(batch_of(infrared));
  EXPECT_EQ(masks.core.sum().item<double>(), 396);
  EXPECT_EQ(masks.ring.sum().item<double>(), cv::countNonZero(ring_around(hot_target_mask(infrared))));
  EXPECT_EQ(masks.targets.sum().item<double>(), cv::countNonZero(dilated(hot_target_mask(infrared), 2)));
  EXPECT_EQ(masks.core.scalar_type(), torch::kFloat);
}

TEST(HotTargetLoss, HandComputedValues) {
  const auto real = batch_of(infrared);
  const HotTargetMasks masks = hot_target_masks(real);
  EXPECT_EQ(target_l1(real, real, masks).item<double>(), 0.0);
  EXPECT_EQ(target_contrast_l1(real, real, masks).item<double>(), 0.0);
  // 0.2 brighter on [-1, 1] = 0.1 on 0..1 everywhere: the L1 is 0.1, the contrast unchanged.
  EXPECT_NEAR(target_l1(real + 0.2, real, masks).item<double>(), 0.1, 1e-6);
  EXPECT_NEAR(target_contrast_l1(real + 0.2, real, masks).item<double>(), 0.0, 1e-6);
  // A flat output: the real contrast, 100 levels, is missing: 100 / 255 on 0..1.
  const auto flat = torch::zeros_like(real);
  EXPECT_NEAR(target_contrast_l1(flat, real, masks).item<double>(), 100.0 / 255, 1e-6);
  // Half the contrast (the square at 100): 50 / 255.
  EXPECT_NEAR(target_contrast_l1(batch_of(scene(50, 100)), real, masks).item<double>(), 50.0 / 255, 1e-6);
}

TEST(HotTargetLoss, ABatchAveragesOverTheImagesWithTargets) {
  cv::Mat plain(kSide, kSide, CV_8UC1, cv::Scalar(50));
  const auto real = torch::cat({batch_of(infrared), batch_of(plain)});
  const HotTargetMasks masks = hot_target_masks(real);
  // Only the first image has targets: the second's errors do not count.
  const auto fake = torch::cat({batch_of(infrared) + 0.2, batch_of(plain) + 1.0});
  EXPECT_NEAR(target_l1(fake, real, masks).item<double>(), 0.1, 1e-6);
  const auto none = hot_target_masks(batch_of(plain));
  EXPECT_EQ(target_l1(batch_of(plain) + 1.0, batch_of(plain), none).item<double>(), 0.0);
  EXPECT_EQ(target_contrast_l1(batch_of(plain) + 1.0, batch_of(plain), none).item<double>(), 0.0);
}

TEST(HotTargetLoss, GradientsReachTheGeneratedImageOnly) {
  const auto real = batch_of(infrared).requires_grad_(true);
  const HotTargetMasks masks = hot_target_masks(real);
  const auto fake = batch_of(scene(50, 100)).requires_grad_(true);
  (target_l1(fake, real, masks) + target_contrast_l1(fake, real, masks)).backward();
  EXPECT_FALSE(real.grad().defined());
  ASSERT_TRUE(fake.grad().defined());
  // Raising the targets lowers both losses: their gradient there is negative.
  const auto inside = fake.grad().index({0, 0, 100, 100}).item<double>();
  EXPECT_LT(inside, 0);
  EXPECT_EQ(fake.grad().index({0, 0, 0, 0}).item<double>(), 0.0) << "far from every target";
}

// A rows x cols image with pixel (i, j) = a i + b j.
cv::Mat ramp(int rows, int cols, int a, int b) {
  cv::Mat image(rows, cols, CV_8UC1);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) image.at<uint8_t>(i, j) = static_cast<uint8_t>(a * i + b * j);
  return image;
}

TEST(StripeRatio, RampsStepsAndStripes) {
  // Sobel of a i + b j: gy = 8a, gx = 8b inside, half that on the replicated
  // border rows and columns; on a square image the halves cancel: a / b.
  EXPECT_DOUBLE_EQ(stripe_ratio(ramp(20, 20, 3, 1)), 3.0);
  EXPECT_DOUBLE_EQ(stripe_ratio(ramp(20, 20, 1, 2)), 0.5);
  // On an R x C image: a (R - 1) C / (b (C - 1) R).
  EXPECT_DOUBLE_EQ(stripe_ratio(ramp(10, 30, 2, 1)), 2.0 * 9 * 30 / (29 * 10));
  cv::Mat stripes(16, 16, CV_8UC1);
  for (int i = 0; i < 16; ++i) stripes.row(i).setTo(i / 2 % 2 ? 100 : 0);
  EXPECT_TRUE(std::isinf(stripe_ratio(stripes)));
  EXPECT_DOUBLE_EQ(stripe_ratio(stripes.t()), 0.0);
  EXPECT_DOUBLE_EQ(stripe_ratio(cv::Mat(8, 8, CV_8UC1, cv::Scalar(7))), 1.0);
}

// The head's losses by hand on a 4 x 4 image with one target pixel. Gate
// logits 0 (sigmoid 0.5): BCE = (2 ln 2 + 15 ln 2) / 16 with the target
// weighted 2; Dice = 1 - (2 * 0.5 + 1) / (16 * 0.5 + 1 + 1) = 0.8. Value off by
// 0.1 everywhere: the banded L1 is 0.1 whatever the weights, the plain one too,
// so value = 5 * 0.1 + 0.5 * 0.1; exact, it is 0.
TEST(HotHeadLosses, EqualTheirHandComputedValues) {
  auto core = torch::zeros({1, 1, 4, 4});
  core[0][0][1][2] = 1;
  const auto infrared = torch::full({1, 1, 4, 4}, 0.2);
  const auto losses = hot_head_losses(torch::zeros({1, 1, 4, 4}), infrared + 0.1, infrared, core);
  EXPECT_NEAR(losses.gate.item<double>(), 17 * std::log(2.0) / 16 + 0.8, 1e-6);
  EXPECT_NEAR(losses.value.item<double>(), 5 * 0.1 + 0.5 * 0.1, 1e-6);
  EXPECT_NEAR(hot_head_losses(torch::zeros({1, 1, 4, 4}), infrared, infrared, core).value.item<double>(), 0.0, 1e-9);
  // A confident, right gate costs almost nothing.
  const auto sure = hot_head_losses(core * 40 - 20, infrared, infrared, core);
  EXPECT_LT(sure.gate.item<double>(), 1e-3);
  EXPECT_EQ(TrainOptions{}.head_gate_positive_weight, kGatePositiveWeight) << "gncyclegan-train's default";
  // The target weighted 6 instead: BCE = (6 ln 2 + 15 ln 2) / 16, Dice as before.
  EXPECT_NEAR(hot_head_losses(torch::zeros({1, 1, 4, 4}), infrared, infrared, core, {6.0}).gate.item<double>(),
              21 * std::log(2.0) / 16 + 0.8, 1e-6);
  // Two ring pixels weighted 4: BCE = (2 ln 2 + 2 * 4 ln 2 + 13 ln 2) / 16.
  auto ring = torch::zeros({1, 1, 4, 4});
  ring[0][0][0][0] = ring[0][0][3][3] = 1;
  EXPECT_NEAR(hot_head_losses(torch::zeros({1, 1, 4, 4}), infrared, infrared, core, {2.0, 4.0}, ring).gate.item<double>(),
              23 * std::log(2.0) / 16 + 0.8, 1e-6);
  EXPECT_THROW(hot_head_losses(torch::zeros({1, 1, 4, 4}), infrared, infrared, core, {2.0, 4.0}), std::invalid_argument);
}

}  // namespace
}  // namespace gncyclegan::train
