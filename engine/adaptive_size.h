// Real time by default on the CPU: the largest inference size whose frame time
// fits the stream's frame interval with headroom. Sizes come from a ladder of
// scales of the frame (aspect kept, multiples of the model's size multiple,
// never below a floor); the choice starts from a warm-up timing and is
// revisited as frame times are measured, with hysteresis so it does not flap.
// Pure logic: the element feeds it times, and applies what it picks.
#pragma once

#include <chrono>
#include <optional>
#include <vector>

namespace gncycleganir {

struct InferenceSize {
  int width = 0, height = 0;
  long area() const { return long(width) * height; }
  bool operator==(const InferenceSize &other) const { return width == other.width && height == other.height; }
  bool operator!=(const InferenceSize &other) const { return !(*this == other); }
};

class AdaptiveInferenceSize {
 public:
  using Duration = std::chrono::nanoseconds;
  using Clock = std::chrono::steady_clock;

  struct Settings {
    // The share of the frame interval a frame may take: the rest absorbs
    // jitter and the other elements' work.
    double headroom = 0.8;
    // Hysteresis around the budget: shrink only past (1 + band) x budget,
    // grow only when the larger size is predicted under (1 - band) x budget.
    double band = 0.1;
    // The floor: no inference size with a shorter side below this (or the
    // frame's own, when smaller).
    int min_short_side = 120;
    int multiple = 4;
    // Frames measured at a size before it is judged (by their median), and
    // the least time between two changes.
    int window = 15;
    Duration dwell = std::chrono::seconds(2);
    // How long a size found too slow is remembered (after that, growing back
    // to it may be tried again). Each time a size is found too slow again
    // without having held in between, it is remembered twice as long, up to
    // `longest_memory`: a machine that stays too slow for a size stops paying
    // for a try (a compile and a window of late frames) every `memory`.
    Duration memory = std::chrono::seconds(30);
    Duration longest_memory = std::chrono::minutes(16);
  };

  AdaptiveInferenceSize(InferenceSize frame, const Settings &settings);

  // The sizes considered, largest (the frame's own) first.
  const std::vector<InferenceSize> &ladder() const { return ladder_; }
  InferenceSize current() const { return ladder_[index_]; }
  // A size to time at warm-up beside the full one: the ladder's half-scale
  // size (or its smallest, for small frames).
  InferenceSize probe() const;

  // The first choice, from warm-up times at sizes of the ladder (two or more
  // give the fixed overhead apart from the cost per pixel; from one alone,
  // times are taken to scale with the area).
  struct Timing {
    InferenceSize size;
    Duration time;
  };
  InferenceSize start(const std::vector<Timing> &warm_up, Duration interval, Clock::time_point now = Clock::now());
  // A frame took `frame_time` at current() while frames arrive every
  // `interval`; returns the new size when the choice changes.
  std::optional<InferenceSize> observe(Duration frame_time, Duration interval, Clock::time_point now = Clock::now());

 private:
  struct Record {
    double typical_ns = 0;  // the median frame time of the latest window at this size
    int frames = 0;
    Clock::time_point measured{};
    // Times found too slow in a row: the record is kept memory x 2^(strikes - 1).
    int strikes = 0;
  };
  Duration remembered(const Record &record) const;
  double predicted_ns(size_t index, Clock::time_point now) const;
  size_t largest_fitting(double budget_ns, Clock::time_point now) const;
  void move_to(size_t index, Clock::time_point now);

  Settings settings_;
  std::vector<InferenceSize> ladder_;
  std::vector<Record> records_;
  size_t index_ = 0;
  // Frame times at the current size, the latest `window` of them: their
  // median ignores the odd slow frame (a page fault, another process).
  std::vector<double> recent_;
  Clock::time_point changed_{};
};

}  // namespace gncycleganir
