// PSNR and SSIM against values computed independently with MATLAB R2019a's
// definitions (11x11 Gaussian window, sigma 1.5, replicate padding, no border
// crop), on images given by formula.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <stdexcept>

#include "trainer/metrics.h"

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

}  // namespace
}  // namespace gncyclegan::train
