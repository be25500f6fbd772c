#include "trainer/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace gncyclegan::train {
namespace {

void check_pair(const cv::Mat &a, const cv::Mat &b, const char *metric) {
  if (a.type() != CV_8UC1 || b.type() != CV_8UC1)
    throw std::invalid_argument(std::string(metric) + ": both images must be 8-bit single-channel");
  if (a.size() != b.size())
    throw std::invalid_argument(std::string(metric) + ": the images differ in size");
  if (a.empty()) throw std::invalid_argument(std::string(metric) + ": the images are empty");
}

// The 1-D factor of the separable window, normalised so the 2-D window sums to 1.
std::vector<double> gaussian_taps() {
  std::vector<double> taps(2 * kSsimRadius + 1);
  double sum = 0;
  for (int k = -kSsimRadius; k <= kSsimRadius; ++k) sum += taps[k + kSsimRadius] = std::exp(-k * k / (2 * kSsimSigma * kSsimSigma));
  for (double &tap : taps) tap /= sum;
  return taps;
}

// imfilter(image, window, 'replicate'): the window is symmetric, so
// correlation and convolution agree.
std::vector<double> gaussian_filter(const std::vector<double> &image, int rows, int cols) {
  static const std::vector<double> taps = gaussian_taps();
  std::vector<double> horizontal(image.size()), out(image.size());
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) {
      double sum = 0;
      for (int k = -kSsimRadius; k <= kSsimRadius; ++k)
        sum += taps[k + kSsimRadius] * image[i * cols + std::clamp(j + k, 0, cols - 1)];
      horizontal[i * cols + j] = sum;
    }
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) {
      double sum = 0;
      for (int k = -kSsimRadius; k <= kSsimRadius; ++k)
        sum += taps[k + kSsimRadius] * horizontal[std::clamp(i + k, 0, rows - 1) * cols + j];
      out[i * cols + j] = sum;
    }
  return out;
}

std::vector<double> to_doubles(const cv::Mat &image) {
  std::vector<double> values;
  values.reserve(image.total());
  for (int i = 0; i < image.rows; ++i) {
    const uint8_t *row = image.ptr<uint8_t>(i);
    values.insert(values.end(), row, row + image.cols);
  }
  return values;
}

}  // namespace

namespace {

// Calls visit(gx, gy) for every pixel's 3x3 Sobel derivatives, borders replicated.
template <typename Visit>
void for_each_sobel(const cv::Mat &image, const char *metric, Visit visit) {
  if (image.type() != CV_8UC1) throw std::invalid_argument(std::string(metric) + ": the image must be 8-bit single-channel");
  if (image.empty()) throw std::invalid_argument(std::string(metric) + ": the image is empty");
  const int rows = image.rows, cols = image.cols;
  auto at = [&](int i, int j) { return double(image.at<uint8_t>(std::clamp(i, 0, rows - 1), std::clamp(j, 0, cols - 1))); };
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) {
      const double gx = (at(i - 1, j + 1) + 2 * at(i, j + 1) + at(i + 1, j + 1)) -
                        (at(i - 1, j - 1) + 2 * at(i, j - 1) + at(i + 1, j - 1));
      const double gy = (at(i + 1, j - 1) + 2 * at(i + 1, j) + at(i + 1, j + 1)) -
                        (at(i - 1, j - 1) + 2 * at(i - 1, j) + at(i - 1, j + 1));
      visit(gx, gy);
    }
}

}  // namespace

double mean_gradient_magnitude(const cv::Mat &image) {
  double sum = 0;
  for_each_sobel(image, "sharpness", [&](double gx, double gy) { sum += std::sqrt(gx * gx + gy * gy); });
  return sum / static_cast<double>(image.total());
}

double stripe_ratio(const cv::Mat &image) {
  double across = 0, down = 0;
  for_each_sobel(image, "stripe ratio", [&](double gx, double gy) {
    across += std::abs(gx);
    down += std::abs(gy);
  });
  if (across == 0) return down == 0 ? 1.0 : std::numeric_limits<double>::infinity();
  return down / across;
}

double sharpness(const cv::Mat &output, const cv::Mat &reference) {
  check_pair(output, reference, "sharpness");
  const double edges = mean_gradient_magnitude(output), reference_edges = mean_gradient_magnitude(reference);
  if (reference_edges == 0) return edges == 0 ? 1.0 : std::numeric_limits<double>::infinity();
  return edges / reference_edges;
}

double psnr(const cv::Mat &a, const cv::Mat &b) {
  check_pair(a, b, "psnr");
  double squared = 0;
  for (int i = 0; i < a.rows; ++i) {
    const uint8_t *row_a = a.ptr<uint8_t>(i), *row_b = b.ptr<uint8_t>(i);
    for (int j = 0; j < a.cols; ++j) {
      const double difference = double(row_a[j]) - double(row_b[j]);
      squared += difference * difference;
    }
  }
  const double mse = squared / static_cast<double>(a.total());
  if (mse == 0) return std::numeric_limits<double>::infinity();
  return 10 * std::log10(255.0 * 255.0 / mse);
}

double ssim(const cv::Mat &a, const cv::Mat &b) {
  check_pair(a, b, "ssim");
  const int rows = a.rows, cols = a.cols;
  const auto x = to_doubles(a), y = to_doubles(b);
  std::vector<double> xx(x.size()), yy(x.size()), xy(x.size());
  for (size_t k = 0; k < x.size(); ++k) {
    xx[k] = x[k] * x[k];
    yy[k] = y[k] * y[k];
    xy[k] = x[k] * y[k];
  }
  const auto mu_x = gaussian_filter(x, rows, cols), mu_y = gaussian_filter(y, rows, cols);
  const auto e_xx = gaussian_filter(xx, rows, cols), e_yy = gaussian_filter(yy, rows, cols),
             e_xy = gaussian_filter(xy, rows, cols);

  constexpr double C1 = (kSsimK1 * 255) * (kSsimK1 * 255), C2 = (kSsimK2 * 255) * (kSsimK2 * 255);
  double sum = 0;
  for (size_t k = 0; k < x.size(); ++k) {
    const double mx2 = mu_x[k] * mu_x[k], my2 = mu_y[k] * mu_y[k], mxy = mu_x[k] * mu_y[k];
    const double sx2 = e_xx[k] - mx2, sy2 = e_yy[k] - my2, sxy = e_xy[k] - mxy;
    sum += (2 * mxy + C1) * (2 * sxy + C2) / ((mx2 + my2 + C1) * (sx2 + sy2 + C2));
  }
  return sum / static_cast<double>(x.size());
}

}  // namespace gncyclegan::train
