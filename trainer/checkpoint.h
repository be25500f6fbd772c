// Checkpoints: everything a run needs to continue exactly where it stopped
// (weights, optimizer states, image pools, position in the schedule). Each is
// a directory RUN/checkpoints/step_NNNNNNNN/, written whole under a temporary
// name and then renamed, so a crash or a full disk never leaves a half one;
// RUN/checkpoints/latest names the newest.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

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

// The image pools of another rank of a data-parallel run, gathered by rank 0
// (each rank keeps its own).
struct RankPools {
  std::vector<torch::Tensor> pool_A, pool_B;
};

// Writes a checkpoint and keeps only the newest `keep`; returns its directory.
// `other_ranks` are the pools of ranks 1, 2, ... of a data-parallel run.
std::string save_checkpoint(const std::string &run_dir, CycleGan &model, const TrainingPosition &position,
                            int keep = 2, const std::vector<RankPools> &other_ranks = {});
// The newest checkpoint of a run; throws CheckpointError when there is none.
std::string latest_checkpoint(const std::string &run_dir);
// Restores `model` (built with the run's options) from a checkpoint directory,
// with the pools of rank `rank` (empty ones for a rank the run did not have).
TrainingPosition load_checkpoint(const std::string &checkpoint_dir, CycleGan &model, int rank = 0);

}  // namespace gncyclegan::train
