// gncyclegan-eval's work: translate each visible test image (or take a given
// prediction, or a trivial baseline), and score it against the infrared image
// of the same name with the paper's PSNR and SSIM, our sharpness and stripe
// ratios (trainer/metrics.h) and hot-target scores (trainer/hot_targets.h).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <cmath>

#include <nlohmann/json_fwd.hpp>
#include <opencv2/core.hpp>

#include "trainer/head_diagnosis.h"

namespace gncyclegan::train {

// The trivial answers every trained model must beat: the visible image in
// grayscale, or its negative.
enum class Baseline { none, gray, inverted_gray };

struct EvalOptions {
  // What is scored: exactly one of these.
  std::string model_path;       // a generator weights file
  std::string predictions_dir;  // images named as the visible ones
  Baseline baseline = Baseline::none;

  std::string visible_dir;
  std::string infrared_dir;
  // Score only the pairs whose name without extension ends in this (MSRS:
  // "D" = day, "N" = night); empty = every pair.
  std::string only_suffix;
  // The generator runs on the visible image resized by this factor and its
  // output is resized back (1 = native size: for models trained with
  // --scale native, which see objects at the same scale).
  double scale = 1.0;
  // A hot_ model's gate or value replaced by the truth (trainer/head_diagnosis.h).
  HeadOracle head_oracle = HeadOracle::none;
  std::string device = "auto";
  int threads = 0;
  std::string out_dir;  // scores.csv, mosaic.png, summary.json; empty = none
  int mosaic_height = 160;  // pixels per mosaic row
};

struct ImageScore {
  std::string name;
  double psnr = 0;
  double ssim = 0;
  double sharpness = 0;  // edge energy of the output / of the real infrared
  // Hot targets (trainer/hot_targets.h): NaN where the real infrared has none.
  double target_contrast = 0;
  double target_psnr = 0;
  double target_fraction = 0;
  double stripe_ratio = 0;            // the output's mean |gy| / mean |gx|
  double reference_stripe_ratio = 0;  // the real infrared's
  // A hot_ model's gate opening on the hot targets and away from them
  // (trainer/head_diagnosis.h); NaN for other models and where there are none.
  double gate_on_targets = std::nan("");
  double gate_off_targets = std::nan("");
  double inference_ms = -1;  // < 0: nothing was run (baselines, predictions)
};

struct Statistic {
  double mean = 0;
  double std = 0;  // sample standard deviation (n - 1), as MATLAB's std
};
// Of the values that are not NaN.
Statistic statistic(const std::vector<double> &values);

struct Evaluation {
  std::string method;  // what was scored, for people (with the head oracle, if any)
  std::string device;  // where the generator ran; empty when none ran
  double scale = 1.0;
  std::vector<ImageScore> images;
  std::vector<std::string> warnings;  // images skipped, and why

  Statistic of(double ImageScore::*field) const;  // over the images where it is not NaN

  Statistic psnr() const;
  Statistic ssim() const;
  Statistic sharpness() const;
  // Over the images with hot targets only (the others have none to score).
  Statistic target_contrast() const;
  Statistic target_psnr() const;
  Statistic target_fraction() const;  // over every image
  size_t images_with_targets() const;
  Statistic stripe_ratio() const;
  Statistic reference_stripe_ratio() const;
  Statistic gate_on_targets() const;   // NaN mean unless a hot_ model ran
  Statistic gate_off_targets() const;
  Statistic inference_ms() const;  // over the images a generator ran on
  // "PSNR 13.52 ± 1.20 dB  SSIM 0.4572 ± 0.0480  sharpness 0.61 ± 0.08  (20 pairs, ...)"
  // then "targets: contrast 0.42 ± 0.20  PSNR 15.10 dB  2.1 % of pixels (20 images)  stripes 1.35 (real 1.08)"
  // and, for a hot_ model, "head: gate open 0.240 on the targets, 0.035 away from them"
  std::string summary_line() const;
  // Day and night apart, when the names tell (MSRS: every name without
  // extension ends in D or N) and both occur: {"day", its pairs}, {"night",
  // ...}; empty otherwise.
  std::vector<std::pair<std::string, Evaluation>> day_night() const;
  // "day    PSNR ...  (20 pairs)", a line per day_night() group.
  std::vector<std::string> day_night_lines() const;
  nlohmann::json to_json() const;
  std::string to_csv() const;
};

// Called after each image is scored (for progress output).
using ScoreCallback = void (*)(const ImageScore &score, size_t done, size_t total);

// Throws std::runtime_error (DataError, WeightsError, ImageError, DeviceError)
// with a message naming the file or option at fault.
Evaluation evaluate(const EvalOptions &options, ScoreCallback on_score = nullptr);

}  // namespace gncyclegan::train
