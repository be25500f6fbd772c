#include "trainer/temporal_metrics.h"

#include <stdexcept>
#include <string>

#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

namespace gncyclegan::train {
namespace {

void require_gray_pair(const cv::Mat &a, const cv::Mat &b, const char *what) {
  if (a.empty() || a.type() != CV_8UC1 || b.type() != CV_8UC1 || a.size() != b.size())
    throw std::invalid_argument(std::string(what) + ": two 8-bit single-channel frames of one size are needed");
}

cv::Mat gray(const cv::Mat &frame) {
  if (frame.type() == CV_8UC1) return frame;
  if (frame.type() != CV_8UC3) throw std::invalid_argument("warping error: visible frames must be 8-bit gray or colour");
  cv::Mat result;
  cv::cvtColor(frame, result, cv::COLOR_BGR2GRAY);
  return result;
}

// Mean of |a - b| (or (a - b)²) over the pixels where mask is set.
double masked_mean(const cv::Mat &a, const cv::Mat &b, const cv::Mat &mask, bool squared) {
  cv::Mat difference;
  cv::absdiff(a, b, difference);
  if (squared) difference = difference.mul(difference);
  const int count = cv::countNonZero(mask);
  if (count == 0) return 0;
  return cv::sum(difference.setTo(0, ~mask))[0] / count;
}

}  // namespace

double temporal_flicker(const cv::Mat &out_t, const cv::Mat &out_t1, const cv::Matx23d &t1_to_t) {
  require_gray_pair(out_t, out_t1, "temporal flicker");
  const int rows = out_t1.rows, cols = out_t1.cols;
  cv::Mat map_x(rows, cols, CV_32FC1), map_y(rows, cols, CV_32FC1), seen(rows, cols, CV_8UC1);
  for (int y = 0; y < rows; ++y)
    for (int x = 0; x < cols; ++x) {
      const double u = t1_to_t(0, 0) * x + t1_to_t(0, 1) * y + t1_to_t(0, 2);
      const double v = t1_to_t(1, 0) * x + t1_to_t(1, 1) * y + t1_to_t(1, 2);
      map_x.at<float>(y, x) = float(u);
      map_y.at<float>(y, x) = float(v);
      seen.at<uchar>(y, x) = (u >= 0 && v >= 0 && u <= cols - 1 && v <= rows - 1) ? 255 : 0;
    }
  if (cv::countNonZero(seen) == 0) throw std::invalid_argument("temporal flicker: the two frames share no pixel");
  cv::Mat warped, t1;
  cv::remap(out_t, warped, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  warped.convertTo(warped, CV_32F);
  out_t1.convertTo(t1, CV_32F);
  return masked_mean(t1, warped, seen, /*squared=*/false);
}

WarpingErrorMeter::WarpingErrorMeter() : flow_(cv::DISOpticalFlow::create(cv::DISOpticalFlow::PRESET_MEDIUM)) {}

WarpingError WarpingErrorMeter::measure(const cv::Mat &visible_t, const cv::Mat &visible_t1, const cv::Mat &out_t,
                                        const cv::Mat &out_t1) {
  require_gray_pair(out_t, out_t1, "warping error");
  if (visible_t.size() != visible_t1.size() || visible_t.size() != out_t.size())
    throw std::invalid_argument("warping error: visible frames and outputs must have one size");
  const cv::Mat previous = gray(visible_t), current = gray(visible_t1);
  cv::Mat backward, forward;  // current -> previous, previous -> current
  flow_->calc(current, previous, backward);
  flow_->calc(previous, current, forward);

  const int rows = current.rows, cols = current.cols;
  cv::Mat map_x(rows, cols, CV_32FC1), map_y(rows, cols, CV_32FC1), tracked(rows, cols, CV_8UC1);
  cv::Mat forward_there;  // the forward flow at each pixel's position in the previous frame
  for (int y = 0; y < rows; ++y)
    for (int x = 0; x < cols; ++x) {
      const cv::Point2f b = backward.at<cv::Point2f>(y, x);
      map_x.at<float>(y, x) = float(x) + b.x;
      map_y.at<float>(y, x) = float(y) + b.y;
    }
  cv::remap(forward, forward_there, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  for (int y = 0; y < rows; ++y)
    for (int x = 0; x < cols; ++x) {
      const cv::Point2f b = backward.at<cv::Point2f>(y, x), f = forward_there.at<cv::Point2f>(y, x);
      const float u = map_x.at<float>(y, x), v = map_y.at<float>(y, x);
      const cv::Point2f round_trip = b + f;
      const bool inside = u >= 0 && v >= 0 && u <= cols - 1 && v <= rows - 1;
      // Sundaram, Brox and Keutzer (ECCV 2010): a pixel whose flow there and
      // back does not return to it is occluded or mistracked.
      const bool consistent = round_trip.dot(round_trip) < 0.01f * (b.dot(b) + f.dot(f)) + 0.5f;
      tracked.at<uchar>(y, x) = inside && consistent ? 255 : 0;
    }
  cv::Mat warped, now;
  cv::remap(out_t, warped, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  warped.convertTo(warped, CV_32F);
  out_t1.convertTo(now, CV_32F);
  WarpingError result;
  result.tracked_share = double(cv::countNonZero(tracked)) / double(rows * cols);
  result.mse = masked_mean(now, warped, tracked, /*squared=*/true);
  return result;
}

}  // namespace gncyclegan::train
