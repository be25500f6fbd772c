// The real-time inference size: a synthetic model whose frame time is
// overhead + cost x pixels, driven through budgets that shrink and grow.
#include <gtest/gtest.h>

#include <random>

#include "engine/adaptive_size.h"

namespace gncycleganir {
namespace {

using namespace std::chrono_literals;
using Clock = AdaptiveInferenceSize::Clock;
using Duration = AdaptiveInferenceSize::Duration;

TEST(AdaptiveSizeLadder, KeepsTheAspectAndTheMultipleDownToTheFloor) {
  AdaptiveInferenceSize sizes({640, 480}, {});
  const std::vector<InferenceSize> expected{{640, 480}, {560, 420}, {480, 360}, {400, 300},
                                            {320, 240}, {240, 180}, {160, 120}};
  ASSERT_EQ(sizes.ladder().size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(sizes.ladder()[i].width, expected[i].width) << i;
    EXPECT_EQ(sizes.ladder()[i].height, expected[i].height) << i;
  }
}

TEST(AdaptiveSizeLadder, StopsAtTheFloorBetweenSteps) {
  AdaptiveInferenceSize::Settings settings;
  settings.min_short_side = 200;
  AdaptiveInferenceSize sizes({1280, 720}, settings);
  // 720 x 0.25 = 180 is under the floor: the last size has a 200-pixel side (356 x 200).
  EXPECT_EQ(sizes.ladder().back().height, 200);
  EXPECT_EQ(sizes.ladder().back().width, 356);
  for (const auto &size : sizes.ladder()) {
    EXPECT_EQ(size.width % 4, 0);
    EXPECT_EQ(size.height % 4, 0);
  }
}

TEST(AdaptiveSizeLadder, AFrameUnderTheFloorIsTheOnlySize) {
  AdaptiveInferenceSize sizes({96, 64}, {});
  ASSERT_EQ(sizes.ladder().size(), 1u);
  EXPECT_EQ(sizes.ladder()[0], (InferenceSize{96, 64}));
}

// A model taking 5 ms + 100 ns per pixel: 35.7 ms at 640 x 480, 12.7 ms at 320 x 240.
struct SyntheticModel {
  double overhead_ms = 5, ns_per_pixel = 100, noise = 0.05;
  std::mt19937 random{7};
  Duration time(InferenceSize size) {
    std::uniform_real_distribution<double> jitter(1 - noise, 1 + noise);
    return Duration(int64_t((overhead_ms * 1e6 + ns_per_pixel * double(size.area())) * jitter(random)));
  }
};

struct Run {
  InferenceSize last;
  int changes = 0;
};

// Frames every `interval`, on a simulated clock, for `frames` frames.
Run stream(AdaptiveInferenceSize &sizes, SyntheticModel &model, Duration interval, int frames, Clock::time_point &now) {
  Run run{sizes.current(), 0};
  for (int i = 0; i < frames; ++i) {
    now += interval;
    if (auto changed = sizes.observe(model.time(sizes.current()), interval, now)) {
      run.changes++;
      run.last = *changed;
    }
  }
  run.last = sizes.current();
  return run;
}

TEST(AdaptiveSize, StartsAtTheLargestSizeThatFitsTheBudget) {
  SyntheticModel model;
  model.noise = 0;
  AdaptiveInferenceSize sizes({640, 480}, {});
  // 30 frames/s: budget 0.8 x 33.3 = 26.7 ms. Predicted from the full size alone
  // (in proportion to the area): 480 x 360 takes 20.1 ms, 560 x 420 27.3 ms.
  const auto chosen = sizes.start({{{640, 480}, model.time({640, 480})}}, 33'333'333ns, Clock::time_point{});
  EXPECT_EQ(chosen, (InferenceSize{480, 360}));
  // Without a deadline (interval unknown): the full size.
  AdaptiveInferenceSize other({640, 480}, {});
  EXPECT_EQ(other.start({{{640, 480}, model.time({640, 480})}}, 0ns), (InferenceSize{640, 480}));
}

// A model whose time is mostly a fixed cost: 15 ms + 10 ns per pixel (18.1 ms at
// 640 x 480, 15.8 ms at 320 x 240). At 50 frames/s (budget 16 ms), times in
// proportion to the area would pick 560 x 420 (13.8 ms predicted, 17.4 ms in
// truth); with the fixed cost known from the second timing, 400 x 300 (16.2 ms)
// is too slow and 320 x 240 fits. At 25 frames/s (budget 32 ms): the full size.
TEST(AdaptiveSize, TwoWarmUpTimingsSeparateTheFixedCost) {
  SyntheticModel model;
  model.noise = 0;
  model.overhead_ms = 15;
  model.ns_per_pixel = 10;
  AdaptiveInferenceSize sizes({640, 480}, {});
  EXPECT_EQ(sizes.probe(), (InferenceSize{320, 240}));
  const std::vector<AdaptiveInferenceSize::Timing> timings{{{640, 480}, model.time({640, 480})},
                                                          {{320, 240}, model.time({320, 240})}};
  EXPECT_EQ(sizes.start(timings, 20ms, Clock::time_point{}), (InferenceSize{320, 240}));
  EXPECT_EQ(sizes.start({timings.front()}, 20ms, Clock::time_point{}), (InferenceSize{560, 420}));
  EXPECT_EQ(sizes.start(timings, 40ms, Clock::time_point{}), (InferenceSize{640, 480}));
}

TEST(AdaptiveSize, ShrinksWhenTheBudgetShrinksAndGrowsBackWithoutFlapping) {
  SyntheticModel model;
  AdaptiveInferenceSize sizes({640, 480}, {});
  Clock::time_point now{};
  const Duration fast = 50ms;  // 20 frames/s: budget 40 ms, the full size (35.7 ms) fits
  EXPECT_EQ(sizes.start({{{640, 480}, model.time({640, 480})}}, fast, now), (InferenceSize{640, 480}));
  auto run = stream(sizes, model, fast, 300, now);
  EXPECT_EQ(run.last, (InferenceSize{640, 480}));
  EXPECT_EQ(run.changes, 0);

  // 60 frames/s: budget 13.3 ms; only 320 x 240 (12.7 ms) and below fit.
  run = stream(sizes, model, 16'666'667ns, 600, now);
  EXPECT_LE(sizes.current().area(), 320L * 240);
  EXPECT_GE(sizes.current().area(), 240L * 180) << "shrank further than the budget needs";
  EXPECT_LE(run.changes, 3) << "took too many steps, or flapped";

  // Back to 20 frames/s: the full size again, once the slow sizes' times are forgotten.
  run = stream(sizes, model, fast, 40 * 20, now);  // 40 s
  EXPECT_EQ(run.last, (InferenceSize{640, 480}));
  EXPECT_LE(run.changes, 4);
}

TEST(AdaptiveSize, ASteadyStreamNearTheBudgetDoesNotFlap) {
  SyntheticModel model;
  model.noise = 0.08;
  AdaptiveInferenceSize sizes({640, 480}, {});
  Clock::time_point now{};
  // 30 frames/s, budget 26.7 ms: 480 x 360 (22.3 ms) fits, 560 x 420 (28.5 ms) does not.
  sizes.start({{{640, 480}, model.time({640, 480})}}, 33'333'333ns, now);
  int changes = 0;
  for (int minute = 0; minute < 5; ++minute) changes += stream(sizes, model, 33'333'333ns, 30 * 60, now).changes;
  EXPECT_EQ(sizes.current(), (InferenceSize{480, 360}));
  // Growing to 560 x 420 may be retried once its measurement is forgotten (every
  // 30 s at most), each try lasting one window; nothing faster than that.
  EXPECT_LE(changes, 2 * (5 * 60 / 30));
}

TEST(AdaptiveSize, ANoisyMachineSettlesAtTheFloorRatherThanFailing) {
  SyntheticModel model;
  model.overhead_ms = 40;  // slower than the budget at any size
  AdaptiveInferenceSize sizes({640, 480}, {});
  Clock::time_point now{};
  sizes.start({{{640, 480}, model.time({640, 480})}}, 33'333'333ns, now);
  stream(sizes, model, 33'333'333ns, 600, now);
  EXPECT_EQ(sizes.current(), sizes.ladder().back());
}

// A slow frame now and then (a page fault, another process) is not a slow size.
TEST(AdaptiveSize, TheOddSlowFrameDoesNotShrinkTheSize) {
  SyntheticModel model;
  AdaptiveInferenceSize sizes({640, 480}, {});
  Clock::time_point now{};
  const Duration interval = 50ms;  // budget 40 ms: the full size (35.7 ms) fits
  sizes.start({{{640, 480}, model.time({640, 480})}}, interval, now);
  int changes = 0;
  for (int i = 0; i < 600; ++i) {
    now += interval;
    const Duration time = i % 10 == 0 ? 200ms : model.time(sizes.current());
    if (sizes.observe(time, interval, now)) changes++;
  }
  EXPECT_EQ(changes, 0);
  EXPECT_EQ(sizes.current(), (InferenceSize{640, 480}));
}

}  // namespace
}  // namespace gncycleganir
