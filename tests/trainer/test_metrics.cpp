// PSNR and SSIM, and the training loss's differentiable SSIM, against values
// computed independently with MATLAB R2019a's definitions (11x11 Gaussian
// window, sigma 1.5, replicate padding, no border crop), on images given by
// formula; the sharpness ratio and the edge loss against values computed by
// hand.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <stdexcept>

#include "model/autocast.h"
#include "model/patchgan.h"
#include "trainer/feature_matching_loss.h"
#include "trainer/gradient_loss.h"
#include "trainer/metrics.h"
#include "trainer/ssim_loss.h"

namespace gncyclegan::train {
namespace {

// A 64 x 48 uint8 image, pixel (i, j) = f(i, j) for rows i and columns j.
cv::Mat image(const std::function<int(int, int)> &f) {
  cv::Mat result(64, 48, CV_8UC1);
  for (int i = 0; i < result.rows; ++i)
    for (int j = 0; j < result.cols; ++j) result.at<uint8_t>(i, j) = static_cast<uint8_t>(f(i, j));
  return result;
}

const cv::Mat ramp = image([](int i, int j) { return (7 * i + 13 * j) % 256; });

TEST(Metrics, TwoUnrelatedPatterns) {
  const cv::Mat b = image([](int i, int j) { return (i * i + 3 * j) % 256; });
  EXPECT_NEAR(psnr(ramp, b), 7.96437, 1e-4);
  EXPECT_NEAR(ssim(ramp, b), 0.069567, 1e-4);
}

TEST(Metrics, ABrighterCopySaturatingAt255) {
  const cv::Mat brighter = image([](int i, int j) { return std::min((7 * i + 13 * j) % 256 + 10, 255); });
  EXPECT_NEAR(psnr(ramp, brighter), 28.24864, 1e-4);
  EXPECT_NEAR(ssim(ramp, brighter), 0.994705, 1e-4);
}

TEST(Metrics, PhaseShiftedSmoothPatterns) {
  const cv::Mat x = image([](int i, int j) { return int(std::floor(128 + 100 * std::sin(i / 5.0) * std::cos(j / 7.0))); });
  const cv::Mat y =
      image([](int i, int j) { return int(std::floor(128 + 90 * std::sin(i / 5.0 + 0.3) * std::cos(j / 7.0))); });
  EXPECT_NEAR(psnr(x, y), 24.23975, 1e-4);
  EXPECT_NEAR(ssim(x, y), 0.920502, 1e-4);
}

TEST(Metrics, IdenticalImagesScorePerfectly) {
  EXPECT_TRUE(std::isinf(psnr(ramp, ramp)));
  EXPECT_DOUBLE_EQ(ssim(ramp, ramp), 1.0);
}

TEST(Metrics, MismatchedImagesAreRefused) {
  EXPECT_THROW(psnr(ramp, cv::Mat(32, 48, CV_8UC1, cv::Scalar(0))), std::invalid_argument);
  EXPECT_THROW(ssim(ramp, cv::Mat(64, 48, CV_8UC3, cv::Scalar::all(0))), std::invalid_argument);
}

// A rows x cols image, pixel (i, j) = f(i, j).
cv::Mat small(int rows, int cols, const std::function<int(int, int)> &f) {
  cv::Mat result(rows, cols, CV_8UC1);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) result.at<uint8_t>(i, j) = static_cast<uint8_t>(f(i, j));
  return result;
}

TEST(Sharpness, AVerticalStepEdge) {
  // Every row is 0 0 0 100 100 100, so gy = 0 (rows above and below, replicated
  // at the top and bottom, are alike) and gx(j) = (1 + 2 + 1) * (I[j+1] - I[j-1]):
  // columns 0..5 give 0, 0, 400, 400, 0, 0 (column 5's right neighbour is
  // itself, replicated). Mean magnitude: 2 * 400 / 6 = 133.33...
  const cv::Mat step = small(5, 6, [](int, int j) { return j < 3 ? 0 : 100; });
  EXPECT_NEAR(mean_gradient_magnitude(step), 800.0 / 6, 1e-12);
  // The same edge twice as high: twice the edge energy.
  const cv::Mat steeper = small(5, 6, [](int, int j) { return j < 3 ? 0 : 200; });
  EXPECT_NEAR(sharpness(steeper, step), 2.0, 1e-12);
  EXPECT_NEAR(sharpness(step, steeper), 0.5, 1e-12);
}

TEST(Sharpness, ABrightPixelNeedsBothDirections) {
  // One pixel of 10 at the centre of a 5 x 5 black image. Around it gx is
  // +-10 at the four diagonal neighbours and +-20 left and right of it; gy
  // likewise, transposed. Magnitudes: sqrt(10² + 10²) at the 4 diagonals, 20
  // at the 4 edge neighbours, 0 at the centre and outside: (40·√2 + 80) / 25.
  const cv::Mat dot = small(5, 5, [](int i, int j) { return i == 2 && j == 2 ? 10 : 0; });
  EXPECT_NEAR(mean_gradient_magnitude(dot), (40 * std::sqrt(2.0) + 80) / 25, 1e-12);
}

TEST(Sharpness, BordersAreReplicated) {
  // Rows of 100 0 0 0: replicated, the pixel left of column 0 is 100, so
  // gx = 4 · (0 - 100) at columns 0 and 1: |gx| = 400, 400, 0, 0, mean 200.
  // (OpenCV's default reflect-101 border mirrors column 1 there instead:
  // gx = 0 at column 0, mean 100.)
  const cv::Mat edge = small(3, 4, [](int, int j) { return j == 0 ? 100 : 0; });
  EXPECT_NEAR(mean_gradient_magnitude(edge), 200.0, 1e-12);
}

TEST(Sharpness, ConstantImagesHaveNoEdgesAndAnImageMatchesItself) {
  const cv::Mat flat = small(8, 9, [](int, int) { return 77; });
  EXPECT_EQ(mean_gradient_magnitude(flat), 0.0);
  EXPECT_DOUBLE_EQ(sharpness(ramp, ramp), 1.0);
  EXPECT_DOUBLE_EQ(sharpness(flat, flat), 1.0) << "no edges, as many as the reference";
  EXPECT_TRUE(std::isinf(sharpness(small(8, 9, [](int i, int) { return i * 10; }), flat)));
  EXPECT_EQ(sharpness(flat, small(8, 9, [](int i, int) { return i * 10; })), 0.0);
  EXPECT_THROW(sharpness(ramp, cv::Mat(32, 48, CV_8UC1, cv::Scalar(0))), std::invalid_argument);
}

// An 8-bit image as the model sees it: 1 x 1 x H x W in [-1, 1], double.
torch::Tensor as_model_tensor(const cv::Mat &image) {
  auto pixels = torch::from_blob(image.data, {1, 1, image.rows, image.cols}, torch::kUInt8);
  return pixels.to(torch::kFloat64) / 127.5 - 1;
}

TEST(SsimLoss, MatchesTheGoldenValues) {
  const cv::Mat b = image([](int i, int j) { return (i * i + 3 * j) % 256; });
  EXPECT_NEAR(ssim(as_model_tensor(ramp), as_model_tensor(b)).item<double>(), 0.069567, 1e-4);
  const cv::Mat x = image([](int i, int j) { return int(std::floor(128 + 100 * std::sin(i / 5.0) * std::cos(j / 7.0))); });
  const cv::Mat y =
      image([](int i, int j) { return int(std::floor(128 + 90 * std::sin(i / 5.0 + 0.3) * std::cos(j / 7.0))); });
  EXPECT_NEAR(ssim(as_model_tensor(x), as_model_tensor(y)).item<double>(), 0.920502, 1e-4);
  EXPECT_NEAR(ssim(as_model_tensor(ramp), as_model_tensor(ramp)).item<double>(), 1.0, 1e-12);
}

TEST(SsimLoss, AGradientStepRaisesTheScore) {
  const cv::Mat x = image([](int i, int j) { return int(std::floor(128 + 100 * std::sin(i / 5.0) * std::cos(j / 7.0))); });
  auto target = as_model_tensor(x);
  auto guess = (target * 0.3).detach().requires_grad_(true);  // the right structure at a third of the contrast
  auto score = ssim(guess, target);
  score.backward();
  ASSERT_TRUE(guess.grad().isfinite().all().item<bool>());
  const double before = score.item<double>();
  const double after = ssim(guess.detach() + 0.5 * guess.grad(), target).item<double>();
  EXPECT_GT(after, before + 1e-3);
}

// Under bf16 autocast (gncyclegan-train --precision bf16) the score is
// fp32's: on a flat, dark pair, bf16's variances would come out negative and
// the score infinite.
TEST(SsimLoss, IsComputedInFullPrecisionUnderAutocast) {
  torch::manual_seed(2);
  const auto dark = -0.95 + 0.002 * torch::rand({1, 1, 64, 64});
  const auto darker = -0.97 + 0.002 * torch::rand({1, 1, 64, 64});
  const auto rounded = dark.to(torch::kBFloat16);  // as a generator's bf16 output arrives
  const double full = ssim(rounded.to(torch::kFloat32), darker).item<double>();
  AutocastScope bf16(c10::DeviceType::CPU, torch::kBFloat16);
  const auto reduced = ssim(rounded, darker);
  EXPECT_EQ(reduced.scalar_type(), torch::kFloat32);
  EXPECT_NEAR(reduced.item<double>(), full, 1e-6);
}

TEST(GradientLoss, AStepEdgeAgainstAFlatImage) {
  // 4 x 6, columns 0..2 at -1 (0 on the 0..1 scale) and 3..5 at +1 (1): as
  // in Sharpness.AVerticalStepEdge, gx = 4 · (I[j+1] - I[j-1]) = 0, 0, 4, 4,
  // 0, 0 in every row and gy = 0. A flat image has no gradient at all, so the
  // L1 is the mean of |gx| and |gy| over 2 · 24 responses: 4 rows · 8 / 48.
  auto step = ((torch::arange(6, torch::kFloat64) >= 3).to(torch::kFloat64) * 2 - 1).expand({1, 1, 4, 6}).contiguous();
  // Levels that binary floating point holds exactly, so the Sobel sums of a
  // flat image cancel to an exact zero whatever order a build adds them in.
  auto flat = torch::full({1, 1, 4, 6}, 0.25, torch::kFloat64);
  EXPECT_NEAR(gradient_l1(step, flat).item<double>(), 2.0 / 3, 1e-12);
  EXPECT_NEAR(gradient_l1(flat, step).item<double>(), 2.0 / 3, 1e-12);
  EXPECT_EQ(gradient_l1(step, step).item<double>(), 0.0);
  EXPECT_EQ(gradient_l1(flat, flat * -2).item<double>(), 0.0) << "flat images of any level have no edges";
}

TEST(EdgeEnergyLoss, CountsTheAmountOfEdgesNotWhereTheyAre) {
  // The step of GradientLoss.AStepEdgeAgainstAFlatImage: |gx| = 4 in 2 of 6
  // columns, gy = 0, so the mean magnitude is 4/3 on the 0..1 scale; a flat
  // image has none.
  auto step = ((torch::arange(6, torch::kFloat64) >= 3).to(torch::kFloat64) * 2 - 1).expand({1, 1, 4, 6}).contiguous();
  auto flat = torch::full({1, 1, 4, 6}, 0.25, torch::kFloat64);
  EXPECT_NEAR(edge_energy_l1(step, flat).item<double>(), 4.0 / 3, 1e-5);
  // The same step one column over has as much edge: no loss, where the
  // gradient L1 sees two edges apart.
  auto moved = ((torch::arange(6, torch::kFloat64) >= 2).to(torch::kFloat64) * 2 - 1).expand({1, 1, 4, 6}).contiguous();
  EXPECT_NEAR(edge_energy_l1(step, moved).item<double>(), 0.0, 1e-6);
  EXPECT_GT(gradient_l1(step, moved).item<double>(), 0.5);
  // Per image, then averaged: a batch of (step vs flat) and (flat vs flat).
  EXPECT_NEAR(edge_energy_l1(torch::cat({step, flat}), torch::cat({flat, flat})).item<double>(), 2.0 / 3, 1e-5);
}

TEST(EdgeEnergyLoss, TilesAskForTheEdgesWhereTheyAre) {
  // A one-pixel bright line (1 on 0..1, the rest 0) in a 4 x 8 image: in every
  // row gx = 4 · (I[j+1] - I[j-1]) is +4 left of the line and -4 right of it,
  // gy = 0 (replicated borders, constant columns). The line in column 1 puts
  // both in the left 4 x 4 tile: energies 8/16 = 2 and 0 per tile; in column 5,
  // 0 and 2. Over the whole image both have energy 1: no loss.
  auto line_at = [](int64_t column) {
    return ((torch::arange(8, torch::kFloat64) == column).to(torch::kFloat64) * 2 - 1).expand({1, 1, 4, 8}).contiguous();
  };
  const auto left = line_at(1), right = line_at(5);
  EXPECT_NEAR(edge_energy_l1(left, right).item<double>(), 0.0, 1e-6);
  EXPECT_NEAR(edge_energy_l1(left, right, 4).item<double>(), 2.0, 1e-5);
  EXPECT_NEAR(edge_energy_l1(left, left, 4).item<double>(), 0.0, 1e-6);
  // 3 x 3 tiles: columns 0-2, 3-5 and the partial 6-7, rows 0-2 and the
  // partial 3; a tile's energy is the mean of the pixels it holds. The line at
  // 1 gives 8/3, 0, 0 in every row of tiles; a line at the border column 7
  // has |gx| = 4 in columns 6 and 7 (replicated): 0, 0, 8/2. A dropped or
  // zero-padded partial tile would give 4/3 or 16/9.
  const auto border = line_at(7);
  EXPECT_NEAR(edge_energy_l1(left, border).item<double>(), 0.0, 1e-6);
  EXPECT_NEAR(edge_energy_l1(left, border, 3).item<double>(), (8.0 / 3 + 0 + 4) / 3, 1e-5);
}

TEST(EdgeEnergyLoss, PerDirectionTellsStripesFromUprightEdges) {
  // A step across the columns of a 6 x 6 image: |gx| = 4 in columns 2 and 3,
  // gy = 0, so mean |gx| = 4/3 and mean |gy| = 0; the same step across the
  // rows (the image transposed): 0 and 4/3. Their magnitudes match (no loss);
  // per direction both differ by 4/3.
  const auto across = ((torch::arange(6, torch::kFloat64) >= 3).to(torch::kFloat64) * 2 - 1).expand({1, 1, 6, 6}).contiguous();
  const auto down = across.transpose(2, 3).contiguous();
  EXPECT_NEAR(edge_energy_l1(across, down).item<double>(), 0.0, 1e-6);
  EXPECT_NEAR(edge_energy_l1(across, down, 0, true).item<double>(), 4.0 / 3, 1e-5);
  EXPECT_NEAR(edge_energy_l1(across, across, 0, true).item<double>(), 0.0, 1e-6);
  // Against a flat image, half the directions differ by 4/3: 2/3.
  const auto flat = torch::full({1, 1, 6, 6}, 0.25, torch::kFloat64);
  EXPECT_NEAR(edge_energy_l1(across, flat, 0, true).item<double>(), 2.0 / 3, 1e-5);
  // Tiles of 3 x 3: the edge columns 2 and 3 fall in the left and right tiles,
  // |gx| = 4 in one column of three in each: 4/3 per tile and direction x.
  EXPECT_NEAR(edge_energy_l1(across, flat, 3, true).item<double>(), 2.0 / 3, 1e-5);
}

TEST(EdgeEnergyLoss, AGradientStepSharpensABlurredGuess) {
  const cv::Mat x = image([](int i, int j) { return int(std::floor(128 + 100 * std::sin(i / 2.0) * std::cos(j / 3.0))); });
  auto target = as_model_tensor(x);
  auto guess = (target * 0.2).detach().requires_grad_(true);  // a fifth of the contrast: a fifth of the edges
  auto loss = edge_energy_l1(guess, target);
  loss.backward();
  ASSERT_TRUE(guess.grad().isfinite().all().item<bool>());
  // A mean over pixels: each pixel's gradient is of order 1 / pixels.
  const double rate = 0.01 * double(guess.numel());
  EXPECT_LT(edge_energy_l1(guess.detach() - rate * guess.grad(), target).item<double>(), loss.item<double>() - 1e-3);
}

TEST(GradientLoss, ItsSobelIsTheSharpnessMetrics) {
  // Magnitudes of the loss's responses, on the 0..255 scale, average to the
  // metric's edge energy: the two measure the same edges.
  const cv::Mat x = image([](int i, int j) { return int(std::floor(128 + 100 * std::sin(i / 3.0) * std::cos(j / 2.0))); });
  auto responses = sobel((as_model_tensor(x) + 1) / 2 * 255);
  auto magnitude = (responses.narrow(1, 0, 1).square() + responses.narrow(1, 1, 1).square()).sqrt();
  EXPECT_NEAR(magnitude.mean().item<double>(), mean_gradient_magnitude(x), 1e-9);
}

TEST(GradientLoss, AGradientStepLowersIt) {
  const cv::Mat x = image([](int i, int j) { return int(std::floor(128 + 100 * std::sin(i / 5.0) * std::cos(j / 7.0))); });
  auto target = as_model_tensor(x);
  auto guess = (target * 0.3).detach().requires_grad_(true);  // the right structure at a third of the contrast
  auto loss = gradient_l1(guess, target);
  loss.backward();
  ASSERT_TRUE(guess.grad().isfinite().all().item<bool>());
  // The gradient is small per pixel (a mean over every response): a long step.
  const double after = gradient_l1(guess.detach() - 20 * guess.grad(), target).item<double>();
  EXPECT_LT(after, loss.item<double>() - 1e-3) << loss.item<double>() << " -> " << after;
}

TEST(FeatureMatchingLoss, HandComputedOnATinyDiscriminator) {
  // ndf 1, n_layers 1, no norm: conv 1 -> 1, 4x4 stride 2 (weights 1/16, bias
  // 0), LeakyReLU 0.2, conv 1 -> 2, 4x4 stride 1 (weights 1, no bias),
  // LeakyReLU, then the logits. On a 4 x 4 image of constant c every window
  // of the first conv (padding 1) holds 9 of its 16 taps inside: 2 x 2 values
  // 9c/16; the second sees all four of them once: 1 x 1 value 4 x 9c/16.
  // c = 0.5: 0.28125, then 1.125. c = -0.5: LeakyReLU(-0.28125) = -0.05625,
  // then LeakyReLU(-0.225) = -0.045. Layer L1s 0.3375 and 1.17, mean 0.75375.
  DiscriminatorConfig config;
  config.in_channels = 1;
  config.ndf = 1;
  config.n_layers = 1;
  config.norm = DiscriminatorNorm::none;
  auto discriminator = make_discriminator(config);
  {
    torch::NoGradGuard no_grad;
    auto parameters = discriminator->named_parameters();
    parameters["model.0.weight"].fill_(1.0 / 16);
    parameters["model.0.bias"].zero_();
    ASSERT_EQ(parameters["model.2.weight"].sizes(), (std::vector<int64_t>{2, 1, 4, 4}));
    parameters["model.2.weight"].fill_(1.0);
  }
  const auto bright = torch::full({1, 1, 4, 4}, 0.5), dark = torch::full({1, 1, 4, 4}, -0.5);
  EXPECT_NEAR(feature_matching_l1(*discriminator, bright, dark).item<double>(), 0.75375, 1e-6);
  EXPECT_NEAR(feature_matching_l1(*discriminator, dark, bright).item<double>(), 0.75375, 1e-6);
  EXPECT_EQ(feature_matching_l1(*discriminator, bright, bright).item<double>(), 0.0);
}

TEST(FeatureMatchingLoss, GradientsReachTheGeneratedImageOnly) {
  // Every seed gives a discriminator of its own; the loss must fall for each.
  for (uint64_t seed = 0; seed < 5; ++seed) {
    torch::manual_seed(seed);
    DiscriminatorConfig config;
    config.in_channels = 1;
    config.ndf = 4;
    auto discriminator = make_discriminator(config);
    for (auto &parameter : discriminator->parameters()) parameter.set_requires_grad(false);  // as in the G update
    const cv::Mat x = image([](int i, int j) { return int(std::floor(128 + 100 * std::sin(i / 3.0) * std::cos(j / 2.0))); });
    const cv::Mat y = image([](int i, int j) { return int(std::floor(128 + 60 * std::sin(i / 5.0) * std::cos(j / 7.0))); });
    auto real = as_model_tensor(x).to(torch::kFloat).requires_grad_(true);
    auto fake = as_model_tensor(y).to(torch::kFloat).requires_grad_(true);  // another pattern
    auto loss = feature_matching_l1(*discriminator, fake, real);
    loss.backward();
    EXPECT_FALSE(real.grad().defined()) << "the real image's features are targets";
    ASSERT_TRUE(fake.grad().defined());
    ASSERT_TRUE(fake.grad().isfinite().all().item<bool>());
    // A short step downhill (no pixel moves by more than 0.005) lowers it.
    const auto step = 0.005 * fake.grad() / fake.grad().abs().max();
    const double after = feature_matching_l1(*discriminator, fake.detach() - step, real).item<double>();
    EXPECT_LT(after, loss.item<double>() - 1e-5) << "seed " << seed << ": " << loss.item<double>() << " -> " << after;
  }
}

}  // namespace
}  // namespace gncyclegan::train
