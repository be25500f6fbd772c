// Hot targets: the people, animals, engines and lit windows that stand out
// warm against their surroundings in a real infrared image, found without
// labels, and how well a translated image reproduces them. PSNR and SSIM
// barely see them (a few per cent of the pixels); a surveillance user looks at
// them first. The training loss (trainer/hot_target_loss.h) finds them by the
// same rule.
#pragma once

#include <opencv2/core.hpp>

namespace gncyclegan::train {

// The rule, on an 8-bit infrared image at its native size:
//  1. background = the median of a window x window neighbourhood (borders
//     replicated): wide enough that a person fills well under half of it, so
//     the median is the ground around them, not the person;
//  2. candidates = pixels warmer than their background by more than
//     `threshold` gray levels;
//  3. opened by a 3x3 cross (single-pixel sensor noise and one-pixel edges
//     drop out);
//  4. kept: 8-connected components of at least `min_area` pixels.
// Around the targets: the ring of pixels within ring_gap + ring_width of a
// target but farther than ring_gap (the blurred border belongs to neither),
// and not itself target. PSNR on the targets is taken over the targets dilated
// by `psnr_margin`, so an output that draws a target a pixel off pays for it.
struct HotTargetRule {
  int window = 151;
  int threshold = 30;
  int min_area = 40;
  int ring_gap = 2;
  int ring_width = 8;
  int psnr_margin = 2;
};

// 255 on hot-target pixels, 0 elsewhere, for an 8-bit single-channel image.
cv::Mat hot_target_mask(const cv::Mat &infrared, const HotTargetRule &rule = {});

// The ring around `mask`'s targets (255 in the ring), as the rule defines it.
cv::Mat ring_around(const cv::Mat &mask, const HotTargetRule &rule = {});

// `mask` dilated by `radius` pixels (a disc): what target PSNR is taken over.
cv::Mat dilated(const cv::Mat &mask, int radius);

// Mean of `image` over the nonzero pixels of `where`; NaN where there are none.
double mean_over(const cv::Mat &image, const cv::Mat &where);

struct HotTargetScore {
  // (mean output on the targets - mean output on the ring) / (the same on the
  // real infrared): 1 = the targets stand out as much as in reality, 0 =
  // invisible, negative = colder than their surroundings. NaN when the image
  // has no target (or no ring: targets covering the whole image).
  double contrast = 0;
  double psnr = 0;      // dB over the dilated targets; NaN without targets, +inf if equal there
  double fraction = 0;  // share of the image's pixels that are target
};

// Scores `output` against `infrared` (both 8-bit single-channel, one size) on
// infrared's hot targets. Throws std::invalid_argument on mismatched images.
HotTargetScore score_hot_targets(const cv::Mat &output, const cv::Mat &infrared, const HotTargetRule &rule = {});
// The same with infrared's targets already found (hot_target_mask(infrared, rule)).
HotTargetScore score_hot_targets(const cv::Mat &output, const cv::Mat &infrared, const cv::Mat &targets,
                                 const HotTargetRule &rule = {});

}  // namespace gncyclegan::train
