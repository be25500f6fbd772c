// Progress for people: on a terminal one live line (epoch, step/total, it/s,
// ETA, current losses); otherwise (CI, a log file) a plain line every few
// seconds.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "trainer/cyclegan.h"

namespace gncyclegan::train {

class Progress {
 public:
  Progress(int64_t first_step, int64_t total_steps, int plain_interval_seconds);
  // After each step: `step` steps done.
  void update(int64_t step, int64_t epoch, const StepLosses &losses);
  // Ends the live line before other output.
  void interrupt();

  static std::string duration(double seconds);

 private:
  using Clock = std::chrono::steady_clock;
  bool terminal_;
  int64_t first_step_, total_steps_;
  int interval_;
  Clock::time_point started_, last_print_;
  bool line_open_ = false;
};

}  // namespace gncyclegan::train
