// Temporal smoothing of translated video: blends the previous output, moved
// along the motion of the visible input, into the current output wherever the
// scene holds together, so the generator's frame-to-frame shimmer averages
// out while moving things and scene cuts stay as the generator draws them.
//
// The motion comes from the visible frames' luma, coarse to fine: a
// whole-pixel block search at the coarsest level of a pyramid, then
// Lucas-Kanade steps at every level, in LibTorch operations (runs wherever the
// frames are: CPU or CUDA); then the camera's motion, an affine flow fitted to
// the whole frame (Gauss-Newton on the images, robustly weighted), replaces
// the local flow wherever it matches about as well: a window's estimate is
// off by a tenth of a pixel or more, the whole frame's by a few hundredths,
// and on sharp output that difference is visible shimmer. A pixel is blended
// with weight
// strength × m_in × m_out:
//   m_in  = 1 − (e_in / 0.08)², e_in = 3×3 mean |luma_t − warp(luma_t−1)| (the
//           input agrees with the motion: not occluded, not moving on its own);
//   m_out = 1 − (e_out / 0.2)², e_out = |5×5 mean (out_t − warp(smoothed_t−1))|
//           (the output did not change for real: averaged with its sign,
//           shimmer cancels out), both clamped at 0, in the
//           [-1, 1] units of the tensors (0.08 ≈ 10 gray levels); squared, so
//           the small differences of noise and resampling still blend fully.
// Where under 30 % of the frame is consistent (a scene cut, a camera that
// jumped) the smoother starts over from the current output. Knows nothing of
// GStreamer.
#pragma once

#include <torch/types.h>

namespace gncycleganir {

// Where each pixel of `current` was in `previous` (1 x 1 x H x W luma, any
// range): 1 x 2 x H x W, (x, y) displacements in pixels, previous(p + flow(p))
// ≈ current(p). The matcher works at widths up to `matching_width` and scales
// the flow back up.
constexpr int kFlowMatchingWidth = 320;
torch::Tensor estimate_flow(const torch::Tensor &current, const torch::Tensor &previous,
                            int matching_width = kFlowMatchingWidth);

// `image` (N x C x H x W) sampled at p + flow(p), bilinear, edges repeated.
torch::Tensor warp_by_flow(const torch::Tensor &image, const torch::Tensor &flow);

class TemporalSmoother {
 public:
  // strength: the largest weight the previous output gets, in [0, 1); 0 = off.
  explicit TemporalSmoother(double strength = 0);
  void set_strength(double strength);
  double strength() const { return strength_; }

  // Forgets the previous frame: the next output is the generator's own (after
  // a seek, a flush, a discontinuity, new caps).
  void reset();

  // rgb: 1 x 3 x H x W in [-1, 1], the frame the generator translated;
  // infrared: its 1 x 1 x H x W output in [-1, 1], on the same device.
  // Returns the smoothed output (the input itself when off or restarting).
  torch::Tensor apply(const torch::Tensor &rgb, const torch::Tensor &infrared);

  // About the last apply(): whether it started over (first frame, new size,
  // scene cut, off), and the share of pixels that took part of the previous
  // output (computed when asked: not on the per-frame path).
  bool restarted() const { return !last_weight_.defined(); }
  double blended_share() const;

 private:
  double strength_;
  torch::Tensor previous_luma_;    // at the matching size
  torch::Tensor previous_output_;  // smoothed, full size
  torch::Tensor last_weight_;      // the last blend's weights; undefined when it started over
};

}  // namespace gncycleganir
