#include "engine/temporal_smoother.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include <torch/nn/functional.h>

namespace gncycleganir {
namespace {

namespace F = torch::nn::functional;

constexpr double kInputTolerance = 0.08;   // e_in at which a pixel stops blending
constexpr double kOutputTolerance = 0.2;   // e_out at which a pixel stops blending
constexpr int kOutputWindow = 5;           // e_out's window side
constexpr double kSceneCutShare = 0.3;     // below this consistent share, start over
constexpr double kStepPenalty = 1e-3;      // per pixel of search step: ties go to no motion
constexpr double kFlatDamping = 1e-4;      // Lucas-Kanade: no step where the image has no gradient
constexpr int kCoarsestWidth = 48, kCoarsestHeight = 36, kMaxLevels = 5;
constexpr int kSearchRadius = 3;           // pixels at the coarsest level
constexpr int kWindow = 9;                 // matching window side
constexpr int kCameraSteps = 3;            // Gauss-Newton steps of the camera's motion
constexpr double kCameraRobustScale = 0.05;  // residual at which a pixel counts half in that fit
constexpr double kCameraFitTolerance = 0.02;  // local flow's e_in that takes part in the first fit
constexpr double kCameraPreference = 0.01;   // how much better the local flow must match to win

torch::Tensor pad_edges(const torch::Tensor &x, int64_t before, int64_t after) {
  return F::pad(x, F::PadFuncOptions({before, after, before, after}).mode(torch::kReplicate));
}

// Mean over a side x side window (odd side), edges repeated: sums of shifted
// views, rows then columns (pooling, convolution and running-sum kernels are
// several times slower on the CPU for these small images).
torch::Tensor box(const torch::Tensor &x, int64_t side) {
  const int64_t h = x.size(2), w = x.size(3), r = side / 2;
  const auto padded = pad_edges(x, r, r);
  auto rows = padded.narrow(3, 0, w).clone();
  for (int64_t i = 1; i < side; ++i) rows.add_(padded.narrow(3, i, w));
  auto sums = rows.narrow(2, 0, h).clone();
  for (int64_t i = 1; i < side; ++i) sums.add_(rows.narrow(2, i, h));
  return sums.div_(double(side * side));
}

torch::Tensor resize(const torch::Tensor &x, int64_t height, int64_t width) {
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{height, width})
                               .mode(torch::kBilinear)
                               .align_corners(false));
}

// Central differences, image(x + 1) - image(x - 1) across and down, edges repeated.
std::pair<torch::Tensor, torch::Tensor> central_differences(const torch::Tensor &image) {
  const int64_t h = image.size(2), w = image.size(3);
  const auto padded = pad_edges(image, 1, 1);
  return {(padded.narrow(3, 2, w) - padded.narrow(3, 0, w)).narrow(2, 1, h),
          (padded.narrow(2, 2, h) - padded.narrow(2, 0, h)).narrow(3, 1, w)};
}

// The gradient of the mean of two images (per pixel, across and down): symmetric
// in the two frames a motion step compares.
std::pair<torch::Tensor, torch::Tensor> mean_gradient(const torch::Tensor &a, const torch::Tensor &b) {
  const auto [dx, dy] = central_differences(a + b);
  return {dx * 0.25, dy * 0.25};
}

torch::Tensor luma_of(const torch::Tensor &rgb) {
  const auto weights = torch::tensor({0.299f, 0.587f, 0.114f}, rgb.options().dtype(torch::kFloat32)).view({1, 3, 1, 1});
  return (rgb.to(torch::kFloat32) * weights).sum(1, true);
}

// The luma the matcher works on: at most matching_width wide (area average).
torch::Tensor matching_luma(const torch::Tensor &luma, int matching_width) {
  const int64_t factor = std::max<int64_t>(1, (luma.size(3) + matching_width - 1) / matching_width);
  return factor == 1 ? luma : F::avg_pool2d(luma, F::AvgPool2dFuncOptions(factor).stride(factor));
}

// The flow of one size at another: resampled, its vectors (channels 0 and 1)
// scaled; further channels (a mask) are resampled alike, in the same call.
torch::Tensor rescale_flow(const torch::Tensor &flow, int64_t height, int64_t width) {
  std::vector<float> scales(size_t(flow.size(1)), 1.0f);
  scales[0] = float(width) / float(flow.size(3));
  scales[1] = float(height) / float(flow.size(2));
  return resize(flow, height, width) * torch::tensor(scales, flow.options()).view({1, flow.size(1), 1, 1});
}

// 1 where p + flow(p) falls inside the image.
torch::Tensor inside(const torch::Tensor &flow) {
  const int64_t h = flow.size(2), w = flow.size(3);
  const auto options = flow.options();
  const auto x = torch::arange(w, options).view({1, 1, 1, w}) + flow.narrow(1, 0, 1);
  const auto y = torch::arange(h, options).view({1, 1, h, 1}) + flow.narrow(1, 1, 1);
  return (x.ge(0) & x.le(double(w - 1)) & y.ge(0) & y.le(double(h - 1))).to(torch::kFloat32);
}

// The coarsest level's whole-pixel search: every step within the radius,
// scored by the window's mean absolute difference; the best one per pixel.
torch::Tensor search(const torch::Tensor &current, const torch::Tensor &previous) {
  const int64_t h = current.size(2), w = current.size(3), r = kSearchRadius, side = 2 * r + 1;
  const auto padded = pad_edges(previous, r, r);
  std::vector<torch::Tensor> candidates;
  std::vector<float> penalties;
  for (int64_t dy = -r; dy <= r; ++dy)
    for (int64_t dx = -r; dx <= r; ++dx) {
      candidates.push_back(padded.narrow(2, r + dy, h).narrow(3, r + dx, w));
      penalties.push_back(float(kStepPenalty * double(std::abs(dx) + std::abs(dy))));
    }
  const auto penalty = torch::tensor(penalties, current.options()).view({1, side * side, 1, 1});
  const auto best = (box((torch::cat(candidates, 1) - current).abs(), kWindow) + penalty).argmin(1, true);
  const auto step = torch::cat({best.remainder(side), best.div(side, "floor")}, 1).to(current.scalar_type()) - double(r);
  return box(step, 3);
}

// One Lucas-Kanade step: the sub-pixel move that best explains, over each
// window, the difference between the current image and the previous one
// moved by `flow` (damped where the window is flat; at most a pixel).
torch::Tensor lucas_kanade_step(const torch::Tensor &current, const torch::Tensor &previous, const torch::Tensor &flow) {
  const auto moved = warp_by_flow(previous, flow);
  const auto [gx, gy] = mean_gradient(moved, current);
  const auto difference = moved - current;
  const auto sums = box(torch::cat({gx * gx, gx * gy, gy * gy, gx * difference, gy * difference}, 1), kWindow);
  const auto a = sums.narrow(1, 0, 1) + kFlatDamping, b = sums.narrow(1, 1, 1), c = sums.narrow(1, 2, 1) + kFlatDamping;
  const auto ex = sums.narrow(1, 3, 1), ey = sums.narrow(1, 4, 1);
  const auto determinant = a * c - b * b;
  const auto step_x = (b * ey - c * ex) / determinant, step_y = (b * ex - a * ey) / determinant;
  return flow + torch::cat({step_x, step_y}, 1).clamp(-1, 1);
}

// Pixel coordinates relative to the image's centre, in half-widths: 1 x 1 x H x W
// each, so the camera's normal equations are well conditioned.
std::pair<torch::Tensor, torch::Tensor> centred_coordinates(const torch::Tensor &like) {
  const int64_t h = like.size(2), w = like.size(3);
  const double half = std::max<double>(1.0, double(w - 1) / 2);
  const auto options = like.options().dtype(torch::kFloat32);
  return {((torch::arange(w, options) - double(w - 1) / 2) / half).view({1, 1, 1, w}).expand({1, 1, h, w}),
          ((torch::arange(h, options) - double(h - 1) / 2) / half).view({1, 1, h, 1}).expand({1, 1, h, w})};
}

// The flow of an affine camera motion: u = p0 + p1 x + p2 y, v = p3 + p4 x + p5 y.
torch::Tensor affine_flow(const torch::Tensor &parameters, const torch::Tensor &x, const torch::Tensor &y) {
  const auto p = parameters.to(x.device(), torch::kFloat32);
  return torch::cat({p[0] + p[1] * x + p[2] * y, p[3] + p[4] * x + p[5] * y}, 1);
}

// Solves the weighted least squares problem min sum w (rows · p - target)²
// (rows: k x N, weights: N, target: N, or N x m for m problems on the same
// rows at once), a little damped: small systems, solved on the CPU in double
// precision wherever the images are.
torch::Tensor weighted_least_squares(const torch::Tensor &rows, const torch::Tensor &weights, const torch::Tensor &target) {
  const auto weighted = rows * weights;
  const auto normal = torch::matmul(weighted, rows.t()).to(torch::kCPU, torch::kFloat64);
  const auto right = torch::matmul(weighted, target).to(torch::kCPU, torch::kFloat64);
  const auto damping = 1e-6 * normal.diagonal().sum().item<double>() + 1e-12;
  return torch::linalg_solve(normal + damping * torch::eye(rows.size(0), normal.options()), right);
}

// The camera's motion over the whole frame, as an affine flow: fitted first
// to the local flow where it matches, then refined by Gauss-Newton steps on
// the images themselves, residuals weighted down robustly (moving things,
// occlusions). It averages over the whole frame, so it is far more precise
// than any window's local estimate.
// local_error: the local flow's 3x3 mean |current - moved previous|.
torch::Tensor camera_flow(const torch::Tensor &current, const torch::Tensor &previous, const torch::Tensor &local,
                          const torch::Tensor &local_error) {
  const auto [x, y] = centred_coordinates(current);
  const auto basis = torch::cat({torch::ones_like(x), x, y}, 1).view({3, -1});
  // Where the local flow matches and the image has detail: flat areas tell
  // nothing of the motion and their flow is damped towards none.
  const auto [dx, dy] = central_differences(current);
  const auto detail = box(dx * dx + dy * dy, 3);
  const auto fit_weights = detail * (local_error < kCameraFitTolerance).to(torch::kFloat32) * inside(local);
  // Both components on the same rows in one solve: 3 x 2, columns u and v.
  const auto fit = weighted_least_squares(basis, fit_weights.flatten(), local.reshape({2, -1}).t());
  auto parameters = fit.t().flatten();
  for (int step = 0; step < kCameraSteps; ++step) {
    const auto flow = affine_flow(parameters, x, y);
    const auto moved = warp_by_flow(previous, flow);
    const auto [gx, gy] = mean_gradient(moved, current);
    const auto residual = moved - current;
    const auto weights = inside(flow) / (1 + (residual / kCameraRobustScale).pow(2));
    const auto rows = torch::cat({gx, gx * x, gx * y, gy, gy * x, gy * y}, 1).view({6, -1});
    parameters = parameters - weighted_least_squares(rows, weights.flatten(), residual.flatten());
  }
  return affine_flow(parameters, x, y);
}

// The local flow where it matches clearly better than the camera's motion
// (things that move on their own), the camera's elsewhere; the choice
// averaged over 5x5, so the two meet without a seam.
torch::Tensor with_camera_motion(const torch::Tensor &current, const torch::Tensor &previous, const torch::Tensor &local) {
  const auto local_error = box((current - warp_by_flow(previous, local)).abs(), 3);
  const auto camera = camera_flow(current, previous, local, local_error);
  const auto camera_error = box((current - warp_by_flow(previous, camera)).abs(), 3);
  const auto use_camera = box((camera_error <= local_error + kCameraPreference).to(torch::kFloat32), 5);
  return local + use_camera * (camera - local);
}

torch::Tensor flow_at_matching_size(const torch::Tensor &current, const torch::Tensor &previous) {
  std::vector<torch::Tensor> currents{current}, previouses{previous};
  while (int(currents.size()) < kMaxLevels && currents.back().size(3) >= 2 * kCoarsestWidth &&
         currents.back().size(2) >= 2 * kCoarsestHeight) {
    currents.push_back(F::avg_pool2d(currents.back(), F::AvgPool2dFuncOptions(2)));
    previouses.push_back(F::avg_pool2d(previouses.back(), F::AvgPool2dFuncOptions(2)));
  }
  torch::Tensor flow = search(currents.back(), previouses.back());
  for (int level = int(currents.size()) - 1; level >= 0; --level) {
    const auto &here = currents[size_t(level)];
    if (flow.size(2) != here.size(2) || flow.size(3) != here.size(3)) flow = rescale_flow(flow, here.size(2), here.size(3));
    // Two steps where they are cheap, one at the finest level.
    for (int step = 0; step < (level == 0 ? 1 : 2); ++step)
      flow = lucas_kanade_step(here, previouses[size_t(level)], flow);
  }
  return with_camera_motion(current, previous, flow);
}

// 1 for no difference, 0 from the tolerance on (see the header).
torch::Tensor agreement(const torch::Tensor &difference, double tolerance) {
  return (1 - (difference / tolerance).pow(2)).clamp_min(0);
}

void check_luma(const torch::Tensor &image, const char *name) {
  if (image.dim() != 4 || image.size(0) != 1 || image.size(1) != 1)
    throw std::invalid_argument(std::string(name) + " must be 1 x 1 x H x W");
}

}  // namespace

torch::Tensor warp_by_flow(const torch::Tensor &image, const torch::Tensor &flow) {
  const int64_t h = image.size(2), w = image.size(3);
  const auto options = flow.options();
  const auto x = (torch::arange(w, options).view({1, 1, w}) + flow.select(1, 0)) * (2.0 / double(std::max<int64_t>(w - 1, 1))) - 1;
  const auto y = (torch::arange(h, options).view({1, h, 1}) + flow.select(1, 1)) * (2.0 / double(std::max<int64_t>(h - 1, 1))) - 1;
  const auto grid = torch::stack({x, y}, 3).expand({image.size(0), h, w, 2});
  return F::grid_sample(image, grid,
                        F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kBorder).align_corners(true));
}

torch::Tensor estimate_flow(const torch::Tensor &current, const torch::Tensor &previous, int matching_width) {
  check_luma(current, "current");
  check_luma(previous, "previous");
  if (current.sizes() != previous.sizes()) throw std::invalid_argument("current and previous differ in size");
  if (matching_width < 2 * kCoarsestWidth) throw std::invalid_argument("matching_width must be at least 96");
  torch::NoGradGuard no_grad;
  const auto flow = flow_at_matching_size(matching_luma(current.to(torch::kFloat32), matching_width),
                                          matching_luma(previous.to(torch::kFloat32), matching_width));
  return flow.size(3) == current.size(3) ? flow : rescale_flow(flow, current.size(2), current.size(3));
}

TemporalSmoother::TemporalSmoother(double strength) : strength_(0) { set_strength(strength); }

void TemporalSmoother::set_strength(double strength) {
  if (!(strength >= 0 && strength < 1)) throw std::invalid_argument("temporal smoothing strength must be in [0, 1)");
  strength_ = strength;
}

void TemporalSmoother::reset() {
  previous_luma_ = torch::Tensor();
  previous_output_ = torch::Tensor();
}

double TemporalSmoother::blended_share() const {
  return restarted() ? 0.0 : last_weight_.gt(0.05 * strength_).to(torch::kFloat32).mean().item<double>();
}

torch::Tensor TemporalSmoother::apply(const torch::Tensor &rgb, const torch::Tensor &infrared) {
  last_weight_ = torch::Tensor();
  if (strength_ <= 0) {
    reset();
    return infrared;
  }
  torch::NoGradGuard no_grad;
  const auto luma = matching_luma(luma_of(rgb), kFlowMatchingWidth);
  const bool continues = previous_output_.defined() && previous_output_.sizes() == infrared.sizes() &&
                         previous_output_.device() == infrared.device() && previous_luma_.sizes() == luma.sizes();
  auto start_over = [&] {
    previous_luma_ = luma;
    previous_output_ = infrared.to(torch::kFloat32);
    return infrared;
  };
  if (!continues) return start_over();

  const auto flow = flow_at_matching_size(luma, previous_luma_);
  const auto input_agrees =
      agreement(box((luma - warp_by_flow(previous_luma_, flow)).abs(), 3), kInputTolerance) * inside(flow);
  if (input_agrees.gt(0.5).to(torch::kFloat32).mean().item<double>() < kSceneCutShare) return start_over();

  const int64_t h = infrared.size(2), w = infrared.size(3);
  const auto output = infrared.to(torch::kFloat32);
  // The flow and the input's agreement at the output's size, in one resampling.
  auto at_size = torch::cat({flow, input_agrees}, 1);
  if (at_size.size(3) != w || at_size.size(2) != h) at_size = rescale_flow(at_size, h, w);
  const auto previous = warp_by_flow(previous_output_, at_size.narrow(1, 0, 2));
  // The output's change averaged with its sign: shimmer cancels out, a change
  // for real (something warm moving) does not.
  const auto output_agrees = agreement(box(output - previous, kOutputWindow).abs(), kOutputTolerance);
  last_weight_ = strength_ * output_agrees * at_size.narrow(1, 2, 1);
  const auto smoothed = output + last_weight_ * (previous - output);
  previous_luma_ = luma;
  previous_output_ = smoothed;
  return smoothed.to(infrared.scalar_type());
}

}  // namespace gncycleganir
