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
// Sizes above `spill_area` take `spill_factor` times longer (their buffers
// no longer fit the caches), which no fit through smaller sizes foresees.
struct SyntheticModel {
  double overhead_ms = 5, ns_per_pixel = 100, noise = 0.05;
  long spill_area = 0;
  double spill_factor = 1;
  std::mt19937 random{7};
  Duration time(InferenceSize size) {
    std::uniform_real_distribution<double> jitter(1 - noise, 1 + noise);
    const double spill = spill_area > 0 && size.area() > spill_area ? spill_factor : 1;
    return Duration(int64_t((overhead_ms * 1e6 + ns_per_pixel * double(size.area())) * spill * jitter(random)));
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
  // Growing to 560 x 420 may be retried once its measurement is forgotten
  // (after 30 s, then 60, 120: 3 tries in 5 minutes), each lasting one window.
  EXPECT_LE(changes, 2 * 4);
}

// 5 ms + 65 ns per pixel, 1.5 times that above 480 x 360: at 30 frames/s
// (budget 26.7 ms) 480 x 360 takes 16.2 ms and 560 x 420 looks as if it fit
// (22.1 ms, in proportion to the area) but takes 30.4 ms. Over an hour it is
// tried again after 30 s, then 60, 120, 240, 480 and 960 s (remembered twice
// as long each time it fails), then every 16 minutes: 9 tries an hour instead
// of one every 30 s (about 110).
TEST(AdaptiveSize, ASizeFoundTooSlowAgainAndAgainIsTriedLessAndLessOften) {
  SyntheticModel model;
  model.noise = 0.01;
  model.ns_per_pixel = 65;
  model.spill_area = 480L * 360;
  model.spill_factor = 1.5;
  AdaptiveInferenceSize sizes({640, 480}, {});
  Clock::time_point now{};
  const Duration interval = 33'333'333ns;
  sizes.start({{{640, 480}, model.time({640, 480})}}, interval, now);
  std::vector<double> tries;  // seconds at which 560 x 420 was tried
  for (int i = 0; i < 30 * 3600; ++i) {
    now += interval;
    if (auto changed = sizes.observe(model.time(sizes.current()), interval, now))
      if (*changed == (InferenceSize{560, 420})) tries.push_back(std::chrono::duration<double>(now.time_since_epoch()).count());
  }
  EXPECT_EQ(sizes.current(), (InferenceSize{480, 360}));
  ASSERT_GE(tries.size(), 7u);
  EXPECT_LE(tries.size(), 10u);
  // The gaps between tries: each about twice the one before (the first after
  // 30 s, plus the try's own window and the dwell), until 16 minutes.
  const double expected_memory[] = {30, 60, 120, 240, 480, 960};
  for (size_t i = 1; i < tries.size() && i <= 6; ++i) {
    EXPECT_GE(tries[i] - tries[i - 1], expected_memory[i - 1]) << "try " << i;
    EXPECT_LE(tries[i] - tries[i - 1], expected_memory[i - 1] + 10) << "try " << i;
  }
}

// A size that held for a while and then fails (the machine got busier) is
// remembered for the first 30 s again, not for its old, doubled time.
TEST(AdaptiveSize, ASizeThatHeldStartsItsBackOffAgain) {
  SyntheticModel model;
  model.noise = 0;
  AdaptiveInferenceSize sizes({640, 480}, {});
  Clock::time_point now{};
  const Duration fast = 50ms, slow = 25ms;  // budget 40 ms (the full size fits), 20 ms (it does not)
  sizes.start({{{640, 480}, model.time({640, 480})}}, fast, now);
  for (int round = 0; round < 3; ++round) {
    stream(sizes, model, fast, 20 * 60, now);  // a minute at 20 frames/s
    ASSERT_EQ(sizes.current(), (InferenceSize{640, 480})) << round;
    stream(sizes, model, slow, 40 * 5, now);  // 5 s at 40 frames/s: it shrinks
    ASSERT_NE(sizes.current(), (InferenceSize{640, 480})) << round;
    const auto back = stream(sizes, model, fast, 20 * 40, now);  // back within 40 s each time
    EXPECT_EQ(back.last, (InferenceSize{640, 480})) << round;
  }
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
