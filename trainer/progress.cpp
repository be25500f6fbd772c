#include "trainer/progress.h"

#include <algorithm>

#include <unistd.h>

#include <cstdio>

namespace gncyclegan::train {

Progress::Progress(int64_t first_step, int64_t total_steps, int plain_interval_seconds)
    : terminal_(::isatty(STDERR_FILENO) == 1), first_step_(first_step), total_steps_(total_steps),
      interval_(plain_interval_seconds), started_(Clock::now()), last_print_(started_) {}

std::string Progress::duration(double seconds) {
  const long total = static_cast<long>(seconds + 0.5);
  char text[32];
  if (total >= 3600) std::snprintf(text, sizeof text, "%ldh%02ldm", total / 3600, total / 60 % 60);
  else std::snprintf(text, sizeof text, "%ldm%02lds", total / 60, total % 60);
  return text;
}

void Progress::update(int64_t step, int64_t epoch, const StepLosses &l) {
  const auto now = Clock::now();
  const bool last = step == total_steps_;
  if (!terminal_ && !last && now - last_print_ < std::chrono::seconds(interval_)) return;
  if (terminal_ && !last && now - last_print_ < std::chrono::milliseconds(200)) return;
  last_print_ = now;
  const double elapsed = std::chrono::duration<double>(now - started_).count();
  const double rate = elapsed > 0 ? static_cast<double>(step - first_step_) / elapsed : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total_steps_ - step) / rate : 0.0;
  char line[320];
  const int length = std::snprintf(line, sizeof line, "epoch %lld  step %lld/%lld  %.2f it/s  ETA %s  ",
                                   static_cast<long long>(epoch + 1), static_cast<long long>(step),
                                   static_cast<long long>(total_steps_), rate, duration(eta).c_str());
  const size_t used = std::min(sizeof line - 1, static_cast<size_t>(std::max(length, 0)));
  if (l.gate > 0 || l.value > 0)  // a --train-head step
    std::snprintf(line + used, sizeof line - used, "gate %.3f value %.3f", l.gate, l.value);
  else
    std::snprintf(line + used, sizeof line - used, "D_A %.3f D_B %.3f G_A %.3f G_B %.3f cyc_A %.3f cyc_B %.3f", l.D_A,
                  l.D_B, l.G_A, l.G_B, l.cycle_A, l.cycle_B);
  if (terminal_) {
    std::fprintf(stderr, "\r\033[K%s", line);
    line_open_ = !last;
    if (last) std::fputc('\n', stderr);
  } else {
    std::fprintf(stderr, "%s\n", line);
  }
  std::fflush(stderr);
}

void Progress::interrupt() {
  if (line_open_) std::fputc('\n', stderr);
  line_open_ = false;
}

}  // namespace gncyclegan::train
