// Which half of a hot-target head (model/hot_composite_generator.h) falls
// short: the gate, a detector of the real infrared's hot targets, or the
// value, their brightness. gncyclegan-eval reports, for a hot_ model, how far
// the gate opens on the targets and away from them (its recall and its false
// alarms), and with --head-oracle scores the output with one half replaced by
// the truth:
//   gate:  the gate open exactly on the targets (dilated by the rule's PSNR
//          margin, as target PSNR is taken) and shut elsewhere;
//   value: the real infrared painted wherever the head's gate opens.
// The target contrast an oracle reaches bounds what training the other half
// alone can win.
#pragma once

#include <opencv2/core.hpp>

#include "trainer/hot_targets.h"

namespace gncyclegan::train {

enum class HeadOracle { none, gate, value };

// A hot generator's three maps at the image's size, CV_32FC1: the base's
// output and the value in gray levels (0..255, as the 8-bit output), the
// gate's opening sigmoid(logit) in 0..1.
struct HeadParts {
  cv::Mat base, gate, value;
};

struct GateOpening {
  double on_targets = 0;   // mean opening on the target pixels; NaN without targets
  double off_targets = 0;  // mean opening away from them (beyond the PSNR margin); NaN if none such
};

// `targets`: hot_target_mask() of the real infrared.
GateOpening gate_opening(const cv::Mat &gate, const cv::Mat &targets, const HotTargetRule &rule = {});

// base + gate * (value - base) with `oracle`'s half taken from the truth, as
// 8-bit (rounded and clamped as the model's own output). Throws
// std::invalid_argument for HeadOracle::none (the model's output is its own)
// or maps of another size than `infrared`.
cv::Mat composite_with_oracle(const HeadParts &parts, HeadOracle oracle, const cv::Mat &infrared,
                              const cv::Mat &targets, const HotTargetRule &rule = {});

}  // namespace gncyclegan::train
