// Test clips whose motion is known exactly, made from one aligned visible /
// infrared pair: a window that pans across the pair or zooms into it, frame
// by frame, as a camera would. The temporal flicker (trainer/temporal_metrics.h)
// of a translator is scored on them, with per-frame ground truth.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace gncyclegan::train {

enum class Motion { pan, zoom };

struct MotionClipOptions {
  Motion motion = Motion::pan;
  int frames = 60;
  // pan: pixels the window moves right per frame (the scene moves left).
  double pan_pixels = 2.0;
  // zoom: magnification per frame (> 1 zooms in, < 1 out), about the centre.
  double zoom_per_frame = 1.005;
  // The frame's side as a share of the pair's side, rounded down to even
  // (as H.264 needs); the first frame shows that window at 1:1 (a pan starts
  // where its travel is centred).
  double window = 0.75;
};

struct MotionClip {
  std::vector<cv::Mat> visible;   // 8-bit BGR
  std::vector<cv::Mat> infrared;  // 8-bit gray
  // Per frame: its pixel (x, y) -> the source pair's pixel.
  std::vector<cv::Matx23d> frame_to_source;

  // Frame t+1's pixel -> frame t's (what temporal_flicker takes).
  cv::Matx23d next_to_previous(size_t t) const;
};

// visible: 8-bit BGR; infrared: 8-bit gray, the same size. Frames are
// resampled bilinearly (an integer pan copies pixels exactly). Throws
// std::invalid_argument when the motion leaves the pair, naming what to lower.
MotionClip make_motion_clip(const cv::Mat &visible, const cv::Mat &infrared, const MotionClipOptions &options);

// DIR/visible/frame_0000.png..., DIR/infrared/frame_0000.png... and
// DIR/motion.json ({"frames": N, "width", "height", "motion", "frame_to_source":
// [[a, b, c, d, e, f], ...]}).
void write_motion_clip(const MotionClip &clip, const MotionClipOptions &options, const std::string &dir);

// motion.json back: the frame-to-source matrices. Throws DataError.
std::vector<cv::Matx23d> read_motion(const std::string &path);

// t1 -> t from the two frames' frame-to-source matrices.
cv::Matx23d next_to_previous(const cv::Matx23d &source_of_t, const cv::Matx23d &source_of_t1);

}  // namespace gncyclegan::train
