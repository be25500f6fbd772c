// Makes the batches of the coming steps on worker threads, so the training
// step never waits for JPEG decoding and augmentation.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "trainer/dataset.h"

namespace gncyclegan::train {

// The batches of one step: the generator update's, then the extra
// discriminator updates' (d_steps - 1 of them).
struct StepData {
  Batch main;
  std::vector<Batch> extra;
};

class Prefetcher {
 public:
  // Steps first_step, first_step + 1, ... up to (not including) end_step.
  Prefetcher(const TrainingData &data, int64_t first_step, int64_t end_step, int d_steps, int workers,
             int depth = 4);
  ~Prefetcher();
  Prefetcher(const Prefetcher &) = delete;
  Prefetcher &operator=(const Prefetcher &) = delete;

  // The next step's data, in order; rethrows a worker's DataError.
  StepData next();

 private:
  void work();

  const TrainingData &data_;
  const int d_steps_;
  const int depth_;
  const int64_t end_step_;
  std::mutex mutex_;
  std::condition_variable changed_;
  int64_t next_to_make_;
  int64_t next_to_take_;
  std::map<int64_t, StepData> ready_;
  std::exception_ptr failure_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace gncyclegan::train
