// A whole training run: data, model, schedule, logging, checkpoints, export.
#pragma once

#include "trainer/distributed.h"
#include "trainer/options.h"

namespace gncyclegan::train {

// Exit status of a run, as the process reports it.
enum ExitCode : int { kDone = 0, kFailed = 1, kUsage = 2, kInterrupted = 130 };

// Trains (or, with options.resume_dir set, continues) a run in options.out_dir,
// as one rank of a data-parallel run when `distributed` says so.
// SIGINT/SIGTERM finish the current step, write a checkpoint and return
// kInterrupted. Errors throw, with messages for people; a lost peer rank
// throws ProcessGroupError.
int run_training(const TrainOptions &options, const DistributedOptions &distributed = {});

}  // namespace gncyclegan::train
