// One engine for many streams in a process: the elements that ask for the same
// engine share one loaded model, and with a batch size above 1 their frames
// run through it together.
//
// An engine is named by its key: an explicit engine id, or, without one, all
// of its settings (model file, device, backend, precision, threads, CUDA graph,
// batch size and timeout), so elements set up alike share by default. A worker
// thread owns the InferenceEngine and runs requests in arrival order; the
// oldest waiting request leads the next batch, which takes the waiting
// requests of the same frame and inference size, up to the batch size, and
// waits for more at most `batch_timeout` after the leader arrived. Nothing
// waits for a particular stream, so a stream that stalls, ends or leaves
// delays no other past the timeout. Frames of different sizes never share a
// batch. The engine lives while an element holds it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "engine/inference_engine.h"

namespace gncycleganir {

struct BatchSettings {
  int batch_size = 1;  // frames run together at most
  std::chrono::microseconds batch_timeout{10000};  // the longest a frame waits for a batch to fill
};

class SharedEngine {
 public:
  // The engine for these settings: the one elements with the same key hold
  // now, or a new one. Throws EngineError when the model cannot be loaded, and
  // when `engine_id` names an engine that runs with other settings.
  static std::shared_ptr<SharedEngine> acquire(const EngineSettings &settings, const BatchSettings &batch,
                                               const std::string &engine_id = "");
  ~SharedEngine();
  SharedEngine(const SharedEngine &) = delete;
  SharedEngine &operator=(const SharedEngine &) = delete;

  // What does not change after loading: device, backend, precision, config,
  // description. Run frames with translate and warm_up, never through this.
  const InferenceEngine &engine() const { return *engine_; }
  const BatchSettings &batch() const { return batch_; }
  // How many holders (elements) share it now.
  long users() const;

  // Thread-safe; blocks until this frame's result is ready. 1 x 3 x H x W ->
  // 1 x 1 x H x W (or the inference size), as InferenceEngine::translate;
  // errors are rethrown here.
  torch::Tensor translate(const torch::Tensor &rgb, int inference_width, int inference_height,
                          InferenceEngine::OutputSize size = InferenceEngine::OutputSize::frame);
  // InferenceEngine::warm_up at batch 1 and, with a batch size above 1, at
  // the full batch too; returns the batch-1 time.
  std::chrono::nanoseconds warm_up(int width, int height, int inference_width, int inference_height);

  struct Statistics {
    long frames = 0, batches = 0;
    int largest_batch = 0;
  };
  Statistics statistics() const;

 private:
  SharedEngine(const EngineSettings &settings, const BatchSettings &batch);
  struct Request;
  void run_worker();
  void run_batch(std::deque<std::shared_ptr<Request>> &batch);
  std::shared_ptr<Request> submit(std::shared_ptr<Request> request);

  std::unique_ptr<InferenceEngine> engine_;
  BatchSettings batch_;
  std::string key_;       // in the registry: the engine id, or the settings without one
  std::string settings_;  // every setting, as text: what elements naming its id must match
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Request>> queue_;
  bool stopping_ = false;
  Statistics statistics_;
  std::thread worker_;
};

}  // namespace gncycleganir
