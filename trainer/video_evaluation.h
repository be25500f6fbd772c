// gncyclegan-eval video: translates a video frame by frame, as the element
// does, and scores how it holds together in time (trainer/temporal_metrics.h):
// the warping error on any video, the temporal flicker on a clip of known
// motion (gncyclegan-eval make-clip), and per-frame PSNR / SSIM / sharpness
// where ground-truth infrared frames are given.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "trainer/evaluation.h"

namespace gncyclegan::train {

struct VideoEvalOptions {
  // What translates: a generator weights file, or a trivial baseline (gray:
  // the input's own temporal noise, which no translator can be below).
  std::string model_path;
  Baseline baseline = Baseline::none;

  std::string input;      // a video file or a folder of visible frames (name order)
  std::string infrared;   // optional: ground-truth infrared frames, one per input frame, in order
  std::string motion;     // optional: make-clip's motion.json, for the temporal flicker

  double scale = 1.0;     // as EvalOptions::scale
  std::string device = "auto";
  int threads = 0;
  std::string out_dir;    // frames.csv, summary.json; empty = none
  std::string output_video;  // the translated frames, encoded (see VideoWriter); empty = none
  double fps = 30;           // of output_video
  // The element's temporal-smoothing (engine/temporal_smoother.h) applied to
  // the translated frames; 0 = off.
  double temporal_smoothing = 0;
};

// NaN where a score does not apply (no ground truth, no motion, frame 0).
struct FrameScore {
  std::string name;
  double psnr, ssim, sharpness;
  double flicker;        // gray levels, against the previous frame
  double warping_error;  // gray levels², against the previous frame
  double tracked_share;  // of the pixels, where the warping error is measured
  double inference_ms = -1;
};

struct VideoEvaluation {
  std::string method;
  std::string device;  // empty for a baseline
  std::string input;
  std::vector<FrameScore> frames;

  // Means over the frames a score applies to (NaN where none does).
  double mean(double FrameScore::*score) const;
  // "flicker 0.78 gray levels  warping error 3.1 gray levels² (97% tracked)  PSNR ...  (60 frames, ...)"
  std::string summary_line() const;
  nlohmann::json to_json() const;
  std::string to_csv() const;
};

using FrameCallback = void (*)(const FrameScore &score);

// Throws DataError, WeightsError, ImageError or DeviceError naming the cause.
VideoEvaluation evaluate_video(const VideoEvalOptions &options, FrameCallback on_frame = nullptr);

}  // namespace gncyclegan::train
