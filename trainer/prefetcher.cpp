#include "trainer/prefetcher.h"

namespace gncyclegan::train {

Prefetcher::Prefetcher(const TrainingData &data, int64_t first_step, int64_t end_step, int d_steps, int workers,
                       int depth)
    : data_(data), d_steps_(d_steps), depth_(depth), end_step_(end_step), next_to_make_(first_step),
      next_to_take_(first_step) {
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { work(); });
}

Prefetcher::~Prefetcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto &worker : workers_) worker.join();
}

void Prefetcher::work() {
  while (true) {
    int64_t step;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || failure_ || next_to_make_ < next_to_take_ + depth_; });
      if (stopping_ || failure_ || next_to_make_ >= end_step_) return;
      step = next_to_make_++;
    }
    try {
      StepData made;
      made.main = data_.batch(step);
      for (int k = 1; k < d_steps_; ++k) made.extra.push_back(data_.extra_batch(step, k));
      std::lock_guard<std::mutex> lock(mutex_);
      ready_.emplace(step, std::move(made));
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      failure_ = std::current_exception();
    }
    changed_.notify_all();
  }
}

StepData Prefetcher::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return failure_ || ready_.count(next_to_take_); });
  if (!ready_.count(next_to_take_)) std::rethrow_exception(failure_);
  StepData result = std::move(ready_.at(next_to_take_));
  ready_.erase(next_to_take_++);
  lock.unlock();
  changed_.notify_all();
  return result;
}

}  // namespace gncyclegan::train
