// Distillation: a trained generator (the teacher, any architecture, frozen)
// translates each step's visible crop, and G_A (the student) is pulled towards
// its output beside the real infrared. A cheaper architecture so learns what
// the teacher draws, on every visible image, wherever the pairs are few.
#pragma once

#include <memory>
#include <string>

#include <torch/types.h>

#include "model/generator.h"

namespace gncyclegan::train {

class Teacher {
 public:
  // Loads the weights file in eval mode onto `device`, its parameters frozen.
  // Throws WeightsError for a file that is not a visible -> infrared generator
  // of `in_channels` -> `out_channels`, or whose size multiple does not divide
  // `crop_size`.
  // `row_notch` P > 0: translate() takes rows repeating every P pixels out
  // of the output (without_row_period).
  Teacher(const std::string &path, c10::Device device, int64_t in_channels, int64_t out_channels, int crop_size,
          int row_notch = 0);

  // The teacher's translation, without gradients (under the caller's autocast).
  torch::Tensor translate(const torch::Tensor &visible);
  Generator &generator() { return *generator_; }

 private:
  std::shared_ptr<Generator> generator_;
  int row_notch_ = 0;
};

// `image` (N x C x H x W) with rows repeating every `period` pixels taken
// out: down each column, k[n] = δ[n] - g[n]·(a·2cos(2πn/period) + b), g a normalised
// Gaussian of σ = period, |n| ≤ 3σ, reflected at the borders (a and b
// correct for the cut tails). It passes nothing at 1/period cycles per pixel,
// half at 0.19/period either side of it, a constant and any pattern along
// the rows exactly, changes slower than 8 periods to within 0.2 %. Two
// stride-2 transposed convolutions leave such rows at period 4.
// H must exceed 3·period.
torch::Tensor without_row_period(const torch::Tensor &image, int period);

// l1_weight x |student - teacher| + ssim_weight x (1 - SSIM(student, teacher)),
// both means over the batch: zero when the two agree. Gradients reach the
// student only (the teacher's output is a constant). With `where` (N x 1 x H
// x W, 0 or 1) both are means over its pixels alone, and 0 where it has none:
// --distill-off-targets passes 1 - the aligned infrared's dilated hot
// targets, so a teacher that draws people dim does not hold the student's
// people back.
torch::Tensor distillation_loss(const torch::Tensor &student, const torch::Tensor &teacher, double l1_weight,
                                double ssim_weight, const torch::Tensor &where = {});

}  // namespace gncyclegan::train
