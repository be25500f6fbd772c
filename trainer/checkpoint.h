// Checkpoints: everything a run needs to continue exactly where it stopped
// (weights, optimizer states, image pools, position in the schedule). Each is
// a directory RUN/checkpoints/step_NNNNNNNN/, written whole under a temporary
// name and then renamed, so a crash or a full disk never leaves a half one;
// RUN/checkpoints/latest names the newest.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "trainer/cyclegan.h"

namespace gncyclegan::train {

class CheckpointError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TrainingPosition {
  int64_t step = 0;       // generator updates done
  double seconds = 0.0;   // training time so far
};

// Writes a checkpoint and keeps only the newest `keep`; returns its directory.
std::string save_checkpoint(const std::string &run_dir, CycleGan &model, const TrainingPosition &position,
                            int keep = 2);
// The newest checkpoint of a run; throws CheckpointError when there is none.
std::string latest_checkpoint(const std::string &run_dir);
// Restores `model` (built with the run's options) from a checkpoint directory.
TrainingPosition load_checkpoint(const std::string &checkpoint_dir, CycleGan &model);

}  // namespace gncyclegan::train
