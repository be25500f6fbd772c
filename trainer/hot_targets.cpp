#include "trainer/hot_targets.h"

#include <cmath>
#include <limits>
#include <stdexcept>

#include <opencv2/imgproc.hpp>

namespace gncyclegan::train {
namespace {

cv::Mat disc(int radius) {
  return cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * radius + 1, 2 * radius + 1});
}

}  // namespace

double mean_over(const cv::Mat &image, const cv::Mat &where) {
  if (cv::countNonZero(where) == 0) return std::numeric_limits<double>::quiet_NaN();
  return cv::mean(image, where)[0];
}

cv::Mat hot_target_mask(const cv::Mat &infrared, const HotTargetRule &rule) {
  if (infrared.type() != CV_8UC1 || infrared.empty())
    throw std::invalid_argument("hot targets: the infrared image must be 8-bit single-channel and not empty");
  if (rule.window < 3 || rule.window % 2 == 0)
    throw std::invalid_argument("hot targets: the background window must be odd and at least 3");
  cv::Mat background, candidates;
  cv::medianBlur(infrared, background, rule.window);
  cv::Mat warmer;
  cv::subtract(infrared, background, warmer, cv::noArray(), CV_16S);
  cv::compare(warmer, rule.threshold, candidates, cv::CMP_GT);
  cv::morphologyEx(candidates, candidates, cv::MORPH_OPEN, disc(1));  // a 3x3 cross

  cv::Mat labels, stats, centroids;
  const int count = cv::connectedComponentsWithStats(candidates, labels, stats, centroids, 8, CV_32S);
  cv::Mat mask = cv::Mat::zeros(infrared.size(), CV_8UC1);
  for (int label = 1; label < count; ++label)
    if (stats.at<int>(label, cv::CC_STAT_AREA) >= rule.min_area) mask.setTo(255, labels == label);
  return mask;
}

cv::Mat dilated(const cv::Mat &mask, int radius) {
  if (radius <= 0) return mask.clone();
  cv::Mat result;
  cv::dilate(mask, result, disc(radius));
  return result;
}

cv::Mat ring_around(const cv::Mat &mask, const HotTargetRule &rule) {
  cv::Mat ring;
  cv::subtract(dilated(mask, rule.ring_gap + rule.ring_width), dilated(mask, rule.ring_gap), ring);
  ring.setTo(0, mask);
  return ring;
}

HotTargetScore score_hot_targets(const cv::Mat &output, const cv::Mat &infrared, const HotTargetRule &rule) {
  return score_hot_targets(output, infrared, hot_target_mask(infrared, rule), rule);
}

HotTargetScore score_hot_targets(const cv::Mat &output, const cv::Mat &infrared, const cv::Mat &targets,
                                 const HotTargetRule &rule) {
  if (output.type() != CV_8UC1 || output.size() != infrared.size() || targets.size() != infrared.size())
    throw std::invalid_argument(
        "hot targets: the output and target mask must be 8-bit single-channel and the infrared image's size");
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  HotTargetScore score;
  score.fraction = cv::countNonZero(targets) / static_cast<double>(targets.total());
  if (score.fraction == 0) return {nan, nan, 0};

  const cv::Mat ring = ring_around(targets, rule);
  const double real = mean_over(infrared, targets) - mean_over(infrared, ring);
  const double ours = mean_over(output, targets) - mean_over(output, ring);
  score.contrast = real > 0 ? ours / real : nan;  // NaN also when there is no ring

  const cv::Mat scored = dilated(targets, rule.psnr_margin);
  cv::Mat difference;
  cv::absdiff(output, infrared, difference);
  difference.convertTo(difference, CV_64F);
  const double mse = cv::mean(difference.mul(difference), scored)[0];
  score.psnr = mse == 0 ? std::numeric_limits<double>::infinity() : 10 * std::log10(255.0 * 255.0 / mse);
  return score;
}

}  // namespace gncyclegan::train
