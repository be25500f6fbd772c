// RUN/losses.csv: one row per generator step (step, epoch, lr, every loss,
// seconds of training so far), appended as training goes and trimmed back to
// the checkpoint's step when a run resumes.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "trainer/cyclegan.h"

namespace gncyclegan::train {

struct LossRow {
  int64_t step = 0;
  int64_t epoch = 0;
  double lr = 0;
  StepLosses losses;
  double seconds = 0;
};

class LossLog {
 public:
  // Opens RUN/losses.csv; keeps the rows of steps <= keep_through (all earlier
  // rows when resuming at that step; none for a new run: keep_through = 0).
  LossLog(const std::string &path, int64_t keep_through);
  void append(const LossRow &row);
  const std::vector<LossRow> &rows() const { return rows_; }

 private:
  std::string path_;
  std::ofstream out_;
  std::vector<LossRow> rows_;
};

}  // namespace gncyclegan::train
