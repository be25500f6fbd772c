// The temporal smoother: its motion estimation against motions we set (analytic
// patterns sampled at the moved positions, so the truth does not come from
// the code under test), and its blending against the noise statistics of a
// first-order recursive filter, a moving object and a scene cut.
#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include "engine/temporal_smoother.h"

namespace {

using gncycleganir::estimate_flow;
using gncycleganir::TemporalSmoother;
using gncycleganir::warp_by_flow;

constexpr int64_t kHeight = 240, kWidth = 320;

// A pattern of sinusoids (wavelengths `shortest` to `shortest` + 44 pixels),
// mostly in [-1, 1], sampled at x(p), y(p): 1 x 1 x H x W.
torch::Tensor pattern(const torch::Tensor &x, const torch::Tensor &y, int seed = 0, double shortest = 9) {
  auto value = torch::zeros_like(x);
  for (int k = 0; k < 12; ++k) {
    const double angle = 2.399963 * (k + 7 * seed), wavelength = shortest + 4 * k, phase = 1.7 * k + seed;
    const double fx = std::cos(angle) * 2 * M_PI / wavelength, fy = std::sin(angle) * 2 * M_PI / wavelength;
    value = value + torch::sin(x * fx + y * fy + phase) / 12;
  }
  return (value * 2).view({1, 1, x.size(0), x.size(1)});
}

struct Grid {
  torch::Tensor x, y;
  Grid(int64_t h = kHeight, int64_t w = kWidth) {
    auto g = torch::meshgrid({torch::arange(h, torch::kFloat64), torch::arange(w, torch::kFloat64)}, "ij");
    y = g[0];
    x = g[1];
  }
};

torch::Tensor to_float(const torch::Tensor &t) { return t.to(torch::kFloat32); }

// Mean and worst (98th percentile) error of the flow against the truth, away
// from the borders.
std::pair<double, double> flow_error(const torch::Tensor &flow, const torch::Tensor &truth_x, const torch::Tensor &truth_y) {
  const int64_t m = 20;
  auto error = torch::sqrt((flow.select(1, 0)[0] - truth_x.to(torch::kFloat32)).pow(2) +
                           (flow.select(1, 1)[0] - truth_y.to(torch::kFloat32)).pow(2));
  error = error.slice(0, m, error.size(0) - m).slice(1, m, error.size(1) - m).flatten();
  const auto sorted = std::get<0>(error.sort());
  return {error.mean().item<double>(), sorted[int64_t(0.98 * double(sorted.size(0) - 1))].item<double>()};
}

// previous = pattern(p), current = pattern(p + d): the flow is d everywhere.
void expect_shift_found(double dx, double dy, double mean_bound, double worst_bound) {
  Grid g;
  const auto previous = to_float(pattern(g.x, g.y)), current = to_float(pattern(g.x + dx, g.y + dy));
  const auto flow = estimate_flow(current, previous);
  ASSERT_EQ(flow.sizes(), (std::vector<int64_t>{1, 2, kHeight, kWidth}));
  const auto [mean, worst] = flow_error(flow, torch::full_like(g.x, dx), torch::full_like(g.y, dy));
  EXPECT_LT(mean, mean_bound) << "shift (" << dx << ", " << dy << ")";
  EXPECT_LT(worst, worst_bound) << "shift (" << dx << ", " << dy << ")";
}

// Within 0.15 to 0.25 of a pixel on average; no motion at all would be 1.7 to
// 12 pixels off, whole pixels only 0.35.
TEST(FlowEstimation, FindsWholePixelShifts) { expect_shift_found(3, -2, 0.15, 0.6); }
TEST(FlowEstimation, FindsSubPixelShifts) { expect_shift_found(1.5, 0.75, 0.15, 0.6); }
// Beyond the finest level's reach: found at the coarse levels first.
TEST(FlowEstimation, FindsLargeShiftsCoarseToFine) { expect_shift_found(10, -7, 0.25, 0.8); }

TEST(FlowEstimation, FollowsAZoom) {
  // current(p) = previous(c + (p - c) / 1.02): flow = (p - c) (1/1.02 - 1),
  // up to 3.1 pixels at the corners.
  Grid g;
  const double cx = (kWidth - 1) / 2.0, cy = (kHeight - 1) / 2.0, s = 1 / 1.02;
  const auto previous = to_float(pattern(g.x, g.y));
  const auto current = to_float(pattern(cx + (g.x - cx) * s, cy + (g.y - cy) * s));
  const auto [mean, worst] = flow_error(estimate_flow(current, previous), (g.x - cx) * (s - 1), (g.y - cy) * (s - 1));
  EXPECT_LT(mean, 0.2);
  EXPECT_LT(worst, 0.6);
}

// A moving camera: the whole frame moves alike, and the motion fitted to the
// whole frame is far more precise than any window's (the bounds above).
TEST(FlowEstimation, FollowsACameraPanToAFewHundredthsOfAPixel) {
  Grid g;
  const auto previous = to_float(pattern(g.x, g.y)), current = to_float(pattern(g.x + 1.3, g.y - 0.6));
  const auto [mean, worst] = flow_error(estimate_flow(current, previous), torch::full_like(g.x, 1.3), torch::full_like(g.y, -0.6));
  EXPECT_LT(mean, 0.02);
  EXPECT_LT(worst, 0.03);
}

TEST(FlowEstimation, FollowsACameraZoomAndTurnToAFewHundredthsOfAPixel) {
  // current(p) = previous(c + R (p - c) / 1.02), R a turn of 0.3 degrees.
  Grid g;
  const double cx = (kWidth - 1) / 2.0, cy = (kHeight - 1) / 2.0, s = 1 / 1.02, a = 0.3 * M_PI / 180;
  const double c = s * std::cos(a), n = s * std::sin(a);
  const auto sx = cx + (g.x - cx) * c - (g.y - cy) * n, sy = cy + (g.x - cx) * n + (g.y - cy) * c;
  const auto [mean, worst] =
      flow_error(estimate_flow(to_float(pattern(sx, sy)), to_float(pattern(g.x, g.y))), sx - g.x, sy - g.y);
  EXPECT_LT(mean, 0.02);
  EXPECT_LT(worst, 0.03);
}

// Something that moves on its own through a panning scene keeps its own
// motion: the camera's is taken only where it matches as well.
TEST(FlowEstimation, KeepsTheMotionOfWhatMovesAgainstTheCamera) {
  Grid g;
  const auto object = [](const torch::Tensor &x) { return x.ge(120) & x.lt(200); };
  const auto in_rows = g.y.ge(80) & g.y.lt(160);
  // The background pans by (2, 0); an 80 x 80 patch of another pattern, in the
  // same place in both frames, moves by (-3, 1) inside it.
  const auto previous = to_float(torch::where(object(g.x) & in_rows, pattern(g.x, g.y, 4), pattern(g.x, g.y)));
  const auto current = to_float(torch::where(object(g.x) & in_rows, pattern(g.x - 3, g.y + 1, 4), pattern(g.x + 2, g.y)));
  const auto flow = estimate_flow(current, previous);
  const auto inner = [](const torch::Tensor &f, int c) { return f[0][c].slice(0, 90, 150).slice(1, 130, 190); };
  EXPECT_LT((inner(flow, 0) + 3).abs().mean().item<double>(), 0.25);
  EXPECT_LT((inner(flow, 1) - 1).abs().mean().item<double>(), 0.25);
  const auto background = flow[0][0].slice(0, 20, 60).slice(1, 20, 300);
  EXPECT_LT((background - 2).abs().mean().item<double>(), 0.02);
}

TEST(FlowEstimation, WorksAtFrameSizesAboveItsMatchingWidth) {
  // 640 x 480 is matched at 320 x 240 and the flow scaled back: 2 pixels.
  Grid g(480, 640);
  const auto flow = estimate_flow(to_float(pattern(g.x + 2, g.y)), to_float(pattern(g.x, g.y)));
  ASSERT_EQ(flow.sizes(), (std::vector<int64_t>{1, 2, 480, 640}));
  const auto [mean, worst] = flow_error(flow, torch::full_like(g.x, 2.0), torch::zeros_like(g.y));
  EXPECT_LT(mean, 0.2);
  EXPECT_LT(worst, 0.6);
}

TEST(FlowEstimation, RejectsWhatItCannotMatch) {
  const auto a = torch::zeros({1, 1, 100, 120}), b = torch::zeros({1, 1, 100, 121});
  EXPECT_THROW(estimate_flow(a, b), std::invalid_argument);
  EXPECT_THROW(estimate_flow(torch::zeros({1, 3, 100, 120}), torch::zeros({1, 3, 100, 120})), std::invalid_argument);
}

TEST(WarpByFlow, SamplesAtTheMovedPositions) {
  // Bilinear sampling is exact on a linear ramp: ramp(x + 2.5) = ramp(x) + 2.5.
  Grid g(20, 30);
  const auto ramp = to_float(g.x).view({1, 1, 20, 30});
  auto flow = torch::zeros({1, 2, 20, 30});
  flow.select(1, 0).fill_(2.5);
  const auto moved = warp_by_flow(ramp, flow);
  EXPECT_NEAR((moved - ramp).slice(3, 0, 27).mean().item<double>(), 2.5, 1e-4);
  EXPECT_NEAR(moved[0][0][5][29].item<double>(), 29.0, 1e-4) << "edges repeat";
}

// The visible frame the smoother sees: the luma pattern in all three channels.
torch::Tensor rgb_of(const torch::Tensor &luma) { return luma.expand({1, 3, luma.size(2), luma.size(3)}).contiguous(); }

double mean_abs(const torch::Tensor &t) { return t.abs().mean().item<double>(); }

TEST(TemporalSmoother, OffReturnsTheGeneratorsOutput) {
  TemporalSmoother smoother(0);
  Grid g;
  const auto visible = rgb_of(to_float(pattern(g.x, g.y)));
  const auto output = torch::rand({1, 1, kHeight, kWidth});
  for (int t = 0; t < 3; ++t) EXPECT_TRUE(smoother.apply(visible, output).equal(output));
}

TEST(TemporalSmoother, RejectsStrengthsOutsideItsRange) {
  EXPECT_THROW(TemporalSmoother(1.0), std::invalid_argument);
  EXPECT_THROW(TemporalSmoother(-0.1), std::invalid_argument);
  TemporalSmoother smoother(0.5);
  EXPECT_THROW(smoother.set_strength(std::nan("")), std::invalid_argument);
}

// Frame-to-frame noise on a still scene: `content` plus uniform noise of the
// given range, frame after frame, smoothed at strength 0.6; sums over the
// frames from the 10th on.
struct StillScene {
  double raw_flicker = 0, smoothed_flicker = 0, raw_error = 0, smoothed_error = 0;
  double least_blended_share = 1;
  bool restarted_only_first = true;
};

StillScene smooth_noise_on_a_still_scene(double content_scale, double noise_range, int frames, int seed) {
  torch::manual_seed(seed);
  Grid g;
  const auto visible = rgb_of(to_float(pattern(g.x, g.y)));
  const auto content = to_float(pattern(g.x, g.y, 3)) * content_scale;
  TemporalSmoother smoother(0.6);
  torch::Tensor previous_raw, previous_smoothed;
  StillScene run;
  for (int t = 0; t < frames; ++t) {
    const auto raw = content + (torch::rand_like(content) - 0.5) * noise_range;
    const auto smoothed = smoother.apply(visible, raw);
    run.restarted_only_first = run.restarted_only_first && smoother.restarted() == (t == 0);
    if (t >= 10) {
      run.raw_flicker += mean_abs(raw - previous_raw);
      run.smoothed_flicker += mean_abs(smoothed - previous_smoothed);
      run.raw_error += mean_abs(raw - content);
      run.smoothed_error += mean_abs(smoothed - content);
      run.least_blended_share = std::min(run.least_blended_share, smoother.blended_share());
    }
    previous_raw = raw;
    previous_smoothed = smoothed;
  }
  return run;
}

// A first-order recursive filter of weight s leaves sqrt((1 - s)^2 / (1 + s))
// of the noise's frame-to-frame difference (0.32 at s = 0.6, more where the
// output check lowers the weight).
TEST(TemporalSmoother, AveragesOutNoiseOnAStillScene) {
  const auto run = smooth_noise_on_a_still_scene(0.5, 0.04, 40, 1);
  EXPECT_TRUE(run.restarted_only_first);
  EXPECT_GT(run.least_blended_share, 0.95);
  EXPECT_LT(run.smoothed_flicker / run.raw_flicker, 0.45);
  EXPECT_LT(run.smoothed_error, run.raw_error) << "averaging brings the output closer to the noise-free one";
}

// Shimmer as strong as a generator's (uniform noise of ±0.25, 30 gray levels,
// more than the output tolerance pixel by pixel) is still averaged out: the
// output check averages the change with its sign, and noise cancels there.
TEST(TemporalSmoother, AveragesOutShimmerStrongerThanTheOutputTolerance) {
  const auto run = smooth_noise_on_a_still_scene(0.3, 0.5, 30, 4);
  EXPECT_LT(run.smoothed_flicker / run.raw_flicker, 0.4);
}

// A camera panning 2 pixels a frame: the previous output is moved along, so
// the noise still averages out and the content (as soft as a generator's
// output: wavelengths from 20 pixels) does not smear.
TEST(TemporalSmoother, FollowsAPanWithoutSmearing) {
  torch::manual_seed(2);
  Grid g;
  TemporalSmoother smoother(0.6);
  double raw_error = 0, smoothed_error = 0;
  for (int t = 0; t < 20; ++t) {
    const auto visible = rgb_of(to_float(pattern(g.x + 2 * t, g.y)));
    const auto content = to_float(pattern(g.x + 2 * t, g.y, 5, 20)) * 0.5;
    const auto raw = content + (torch::rand_like(content) - 0.5) * 0.04;
    const auto smoothed = smoother.apply(visible, raw);
    if (t >= 5) {
      // Away from the left edge, where the previous frame has no picture.
      auto inner = [](const torch::Tensor &x) { return x.slice(2, 8, kHeight - 8).slice(3, 8, kWidth - 16); };
      raw_error += mean_abs(inner(raw - content));
      smoothed_error += mean_abs(inner(smoothed - content));
    }
  }
  EXPECT_LT(smoothed_error, 0.8 * raw_error);
}

// A hot object moving across a dark, still visible scene (a person at night):
// the input cannot see it, the output check must, so it leaves no trail; also
// a faint one, 0.25 (30 gray levels) above the background. It jumps 50
// pixels a frame, past its 40-pixel width.
TEST(TemporalSmoother, LeavesNoTrailBehindAMovingObject) {
  for (const double object : {0.8, -0.35}) {
    SCOPED_TRACE(object);
    TemporalSmoother smoother(0.9);
    const auto visible = torch::full({1, 3, kHeight, kWidth}, -0.9);
    for (int t = 0; t < 6; ++t) {
      auto raw = torch::full({1, 1, kHeight, kWidth}, -0.6);
      raw.slice(2, 100, 140).slice(3, 20 + 50 * t, 60 + 50 * t).fill_(object);
      const auto smoothed = smoother.apply(visible, raw);
      if (t > 0) {
        // Where the object was a frame ago, and where it is now (2 pixels in
        // from its edges, which the 5x5 check blurs).
        const auto was = (smoothed - raw).slice(2, 102, 138).slice(3, 22 + 50 * (t - 1), 58 + 50 * (t - 1));
        const auto is = (smoothed - raw).slice(2, 102, 138).slice(3, 22 + 50 * t, 58 + 50 * t);
        EXPECT_LT(was.abs().max().item<double>(), 1e-6) << "frame " << t;
        EXPECT_LT(is.abs().max().item<double>(), 1e-6) << "frame " << t;
      }
    }
  }
}

TEST(TemporalSmoother, StartsOverOnASceneCutANewSizeAndAReset) {
  Grid g;
  TemporalSmoother smoother(0.6);
  const auto scene_a = rgb_of(to_float(pattern(g.x, g.y, 1))), scene_b = rgb_of(to_float(pattern(g.x, g.y, 2)));
  const auto output_a = torch::full({1, 1, kHeight, kWidth}, 0.2), output_b = torch::full({1, 1, kHeight, kWidth}, 0.25);
  for (int t = 0; t < 3; ++t) smoother.apply(scene_a, output_a);
  EXPECT_FALSE(smoother.restarted());
  EXPECT_TRUE(smoother.apply(scene_b, output_b).equal(output_b)) << "a cut: the new scene as the generator drew it";
  EXPECT_TRUE(smoother.restarted());
  smoother.apply(scene_b, output_b);
  EXPECT_FALSE(smoother.restarted());
  smoother.reset();
  EXPECT_TRUE(smoother.apply(scene_b, output_a).equal(output_a));
  EXPECT_TRUE(smoother.restarted());
  Grid small(120, 160);
  const auto output_small = torch::zeros({1, 1, 120, 160});
  EXPECT_TRUE(smoother.apply(rgb_of(to_float(pattern(small.x, small.y))), output_small).equal(output_small));
  EXPECT_TRUE(smoother.restarted());
}

TEST(TemporalSmoother, GivesTheSameOnCudaAsOnTheCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no GPU visible (the CPU path is checked above)";
  torch::manual_seed(3);
  Grid g;
  TemporalSmoother cpu(0.6), cuda(0.6);
  for (int t = 0; t < 5; ++t) {
    const auto visible = rgb_of(to_float(pattern(g.x + 1.5 * t, g.y)));
    const auto raw = to_float(pattern(g.x + 1.5 * t, g.y, 4)) * 0.5 + (torch::rand({1, 1, kHeight, kWidth}) - 0.5) * 0.04;
    const auto on_cpu = cpu.apply(visible, raw);
    const auto on_cuda = cuda.apply(visible.cuda(), raw.cuda()).cpu();
    EXPECT_LT(mean_abs(on_cuda - on_cpu), 2e-3) << "frame " << t;
  }
}

}  // namespace
