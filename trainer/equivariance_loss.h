// A generator that follows the camera: for a small random camera motion W
// (sub-pixel shift, slight zoom and roll), G(W(x)) should equal W(G(x)). The
// stride-2 layers of the ResNet generator make it shift-variant, which video
// shows as shimmering texture; this loss needs no video to teach it otherwise.
#pragma once

#include <cstdint>

#include <torch/types.h>

namespace gncyclegan::train {

// A similarity about the image centre, in pixels and radians: output pixel p
// samples the input at centre + scale · R(angle) · (p - centre) + shift.
struct CameraMotion {
  double shift_x = 0, shift_y = 0, scale = 1, angle = 0;
};

// Uniform in shift ±2 px on each axis, scale 1 ± 0.02, angle ±1°: the motion
// between consecutive frames of a handheld or panning camera.
CameraMotion random_camera_motion(uint64_t state);

// Warps N x C x H x W images by `motion`, bilinearly, borders replicated;
// `valid` (optional) receives an N x 1 x H x W mask (1 / 0) of the pixels
// sampled from inside the image.
torch::Tensor warp(const torch::Tensor &images, const CameraMotion &motion, torch::Tensor *valid = nullptr);

// The mean over valid pixels and channels of |G(W(x)) - W(G(x))|, given
// output = G(x) and translated_warped = G(W(x)).
torch::Tensor equivariance_l1(const torch::Tensor &output, const torch::Tensor &translated_warped,
                              const CameraMotion &motion);

}  // namespace gncyclegan::train
