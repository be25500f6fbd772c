// PSNR and SSIM, and the training loss's differentiable SSIM, against values
// computed independently with MATLAB R2019a's definitions (11x11 Gaussian
// window, sigma 1.5, replicate padding, no border crop), on images given by
// formula.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <stdexcept>

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

}  // namespace
}  // namespace gncyclegan::train
