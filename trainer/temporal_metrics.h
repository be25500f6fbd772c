// How much a translated video shimmers: two scores of consecutive output
// frames, both on the 8-bit gray scale of the outputs.
//
// Temporal flicker, for a clip whose motion is known exactly (a pan or zoom
// made by trainer/motion_clip.h): the mean over the pixels both frames see of
// |out[t+1](x) - out[t](M x)|, M mapping frame t+1's pixel coordinates into
// frame t's. A translator that follows the scene perfectly scores 0 whatever
// its style; the decoded input itself scores its compression noise.
//
// Warping error (Lai et al., "Learning Blind Video Temporal Consistency",
// ECCV 2018), for any video: optical flow between consecutive *visible*
// frames (OpenCV's DIS), the previous output warped along it, and the mean
// squared difference to the current output over the pixels the flow tracks
// (forward-backward check of Sundaram et al., as Lai et al. mask occlusions),
// in gray levels squared.
#pragma once

#include <opencv2/core.hpp>

namespace cv {
class DenseOpticalFlow;
}

namespace gncyclegan::train {

// out_t, out_t1: 8-bit single-channel outputs of frames t and t + 1, one size;
// t1_to_t: frame t+1 pixel (x, y) -> frame t pixel, as a 2x3 affine matrix.
// Pixels that M maps outside frame t (or within a pixel of its border, where
// bilinear sampling would read the outside) do not count. Throws
// std::invalid_argument when the frames differ in size or type, or when no
// pixel is seen by both.
double temporal_flicker(const cv::Mat &out_t, const cv::Mat &out_t1, const cv::Matx23d &t1_to_t);

struct WarpingError {
  double mse = 0;             // gray levels², over the tracked pixels
  double tracked_share = 0;   // share of frame t+1's pixels the flow tracks
};

// Estimates flow from visible_t1 to visible_t (and back, for the check) on
// their 8-bit gray versions. visible_*: 8-bit gray or BGR/RGB, one size;
// out_*: 8-bit single-channel, the size of the visible frames. Throws
// std::invalid_argument on mismatched sizes.
class WarpingErrorMeter {
 public:
  WarpingErrorMeter();

  WarpingError measure(const cv::Mat &visible_t, const cv::Mat &visible_t1, const cv::Mat &out_t,
                       const cv::Mat &out_t1);

 private:
  cv::Ptr<cv::DenseOpticalFlow> flow_;
};

}  // namespace gncyclegan::train
