// Paired losses on hot targets (trainer/hot_targets.h): the people, engines
// and lamps that real infrared shows much warmer than their surroundings.
// They cover a few per cent of a frame, so whole-image losses barely ask for
// them; these ask for them alone. The targets come from the real infrared
// image of each training pair by the rule gncyclegan-eval scores with: no
// labels.
#pragma once

#include <torch/types.h>

#include "trainer/hot_targets.h"

namespace gncyclegan::train {

// The rule's masks for an N x 1 x H x W batch of infrared images in [-1, 1]
// (rounded to 8 bits first, as an image file holds them), as float tensors of
// its shape, device and dtype: 1 on the pixels, 0 elsewhere. Not
// differentiable (they are constants of the real image).
struct HotTargetMasks {
  torch::Tensor targets;  // the hot targets dilated by rule.psnr_margin: what target PSNR scores
  torch::Tensor core;     // the hot targets themselves
  torch::Tensor ring;     // their surroundings
};
HotTargetMasks hot_target_masks(const torch::Tensor &infrared, const HotTargetRule &rule = {});

// Per image with targets, mean |fake - real| (on 0..1) over its dilated
// targets; averaged over those images; 0 for a batch without targets.
// Gradients reach `fake` only.
torch::Tensor target_l1(const torch::Tensor &fake, const torch::Tensor &real, const HotTargetMasks &masks);

// Per image with targets and a ring, |C(fake) - C(real)| with C = mean over
// the targets - mean over their ring (on 0..1): the numerator and denominator
// of gncyclegan-eval's target contrast ratio, made equal. Averaged over those
// images; 0 for a batch without. Gradients reach `fake` only.
torch::Tensor target_contrast_l1(const torch::Tensor &fake, const torch::Tensor &real, const HotTargetMasks &masks);

}  // namespace gncyclegan::train
