#include "engine/shared_engine.h"

#include <filesystem>
#include <map>
#include <sstream>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

namespace gncycleganir {

struct SharedEngine::Request {
  torch::Tensor rgb;  // empty for a warm-up
  int width = 0, height = 0, inference_width = 0, inference_height = 0;
  InferenceEngine::OutputSize output_size = InferenceEngine::OutputSize::frame;
  std::chrono::steady_clock::time_point arrived = std::chrono::steady_clock::now();
  std::promise<torch::Tensor> result;
  std::promise<std::chrono::nanoseconds> warm_run;

  bool batches_with(const Request &other) const {
    return rgb.defined() && other.rgb.defined() && width == other.width && height == other.height &&
           inference_width == other.inference_width && inference_height == other.inference_height &&
           output_size == other.output_size;
  }
};

namespace {

std::string settings_key(const EngineSettings &settings, const BatchSettings &batch) {
  std::ostringstream key;
  // One file however it is named (relative, through a link, by a bundled model's name).
  std::error_code error;
  const auto model = std::filesystem::weakly_canonical(settings.model_path, error);
  key << "model=" << (error ? settings.model_path : model.string()) << " device=" << settings.device << " backend=" << to_string(settings.backend)
      << " precision=" << to_string(settings.precision) << " num-threads=" << settings.threads
      << " cuda-graph=" << settings.cuda_graph << " batch-size=" << batch.batch_size
      << " batch-timeout=" << batch.batch_timeout.count() << "us";
  return key.str();
}

struct Registry {
  std::mutex mutex;
  std::map<std::string, std::weak_ptr<SharedEngine>> engines;  // by engine id, or by settings without one
};

Registry &registry() {
  static Registry *instance = new Registry;  // outlives every element, whatever the order of static destructors
  return *instance;
}

}  // namespace

std::shared_ptr<SharedEngine> SharedEngine::acquire(const EngineSettings &settings, const BatchSettings &batch,
                                                    const std::string &engine_id) {
  const std::string settings_text = settings_key(settings, batch);
  const std::string key = engine_id.empty() ? settings_text : "engine-id=" + engine_id;
  Registry &shared = registry();
  // Held while loading, so two elements starting at once load the model once.
  std::lock_guard<std::mutex> lock(shared.mutex);
  if (auto existing = shared.engines[key].lock()) {
    if (existing->settings_ != settings_text)
      throw EngineError(EngineError::Cause::model,
                        "engine-id \"" + engine_id + "\" is already running with " + existing->settings_ +
                            ", and this element asks for " + settings_text +
                            ": elements that share an engine need the same settings (or give this one another "
                            "engine-id)");
    return existing;
  }
  std::shared_ptr<SharedEngine> created(new SharedEngine(settings, batch));
  created->key_ = key;
  created->settings_ = settings_text;
  shared.engines[key] = created;
  return created;
}

SharedEngine::SharedEngine(const EngineSettings &settings, const BatchSettings &batch)
    : engine_(std::make_unique<InferenceEngine>(settings)), batch_(batch) {
  if (batch_.batch_size < 1) batch_.batch_size = 1;
  worker_ = std::thread([this] { run_worker(); });
}

SharedEngine::~SharedEngine() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
  Registry &shared = registry();
  std::lock_guard<std::mutex> lock(shared.mutex);
  auto found = shared.engines.find(key_);
  if (found != shared.engines.end() && found->second.expired()) shared.engines.erase(found);
}

long SharedEngine::users() const {
  Registry &shared = registry();
  std::lock_guard<std::mutex> lock(shared.mutex);
  auto found = shared.engines.find(key_);
  return found == shared.engines.end() ? 0 : found->second.use_count();
}

SharedEngine::Statistics SharedEngine::statistics() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return statistics_;
}

std::shared_ptr<SharedEngine::Request> SharedEngine::submit(std::shared_ptr<Request> request) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(request);
  }
  wake_.notify_all();
  return request;
}

torch::Tensor SharedEngine::translate(const torch::Tensor &rgb, int inference_width, int inference_height,
                                      InferenceEngine::OutputSize size) {
  auto request = std::make_shared<Request>();
  request->rgb = rgb;
  request->width = int(rgb.size(3));
  request->height = int(rgb.size(2));
  request->inference_width = inference_width;
  request->inference_height = inference_height;
  request->output_size = size;
  auto future = request->result.get_future();
  submit(std::move(request));
  return future.get();
}

std::chrono::nanoseconds SharedEngine::warm_up(int width, int height, int inference_width, int inference_height) {
  auto request = std::make_shared<Request>();
  request->width = width;
  request->height = height;
  request->inference_width = inference_width;
  request->inference_height = inference_height;
  auto future = request->warm_run.get_future();
  submit(std::move(request));
  return future.get();
}

void SharedEngine::run_worker() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left to answer
    std::deque<std::shared_ptr<Request>> batch{queue_.front()};
    queue_.pop_front();
    const auto deadline = batch.front()->arrived + batch_.batch_timeout;
    // Take the waiting requests that fit; wait for more until the deadline.
    auto gather = [&] {
      for (auto it = queue_.begin(); it != queue_.end() && int(batch.size()) < batch_.batch_size;) {
        if ((*it)->batches_with(*batch.front())) {
          batch.push_back(*it);
          it = queue_.erase(it);
        } else {
          ++it;
        }
      }
      return int(batch.size()) >= batch_.batch_size;
    };
    if (batch.front()->rgb.defined() && batch_.batch_size > 1) {
      while (!gather() && !stopping_) {
        if (wake_.wait_until(lock, deadline) == std::cv_status::timeout) {
          gather();
          break;
        }
      }
    }
    lock.unlock();
    run_batch(batch);
    lock.lock();
  }
}

void SharedEngine::run_batch(std::deque<std::shared_ptr<Request>> &batch) {
  Request &leader = *batch.front();
  try {
    auto scope = engine_->use_stream();
    if (!leader.rgb.defined()) {
      const auto single = engine_->warm_up(leader.width, leader.height, leader.inference_width, leader.inference_height);
      if (batch_.batch_size > 1)
        engine_->warm_up(leader.width, leader.height, leader.inference_width, leader.inference_height, batch_.batch_size);
      leader.warm_run.set_value(single);
      return;
    }
    std::vector<torch::Tensor> inputs;
    for (const auto &request : batch) inputs.push_back(request->rgb);
    const torch::Tensor output = engine_->translate(inputs.size() == 1 ? inputs.front() : at::cat(inputs),
                                                    leader.inference_width, leader.inference_height,
                                                    leader.output_size);
    {  // counted before anyone is answered, so an answered frame is always counted
      std::lock_guard<std::mutex> lock(mutex_);
      statistics_.frames += long(batch.size());
      statistics_.batches++;
      statistics_.largest_batch = std::max(statistics_.largest_batch, int(batch.size()));
    }
    for (size_t i = 0; i < batch.size(); ++i) batch[i]->result.set_value(output.narrow(0, int64_t(i), 1));
  } catch (...) {
    // Every frame of the batch learns why (the element turns it into its error).
    const auto error = std::current_exception();
    for (const auto &request : batch) {
      if (request->rgb.defined())
        request->result.set_exception(error);
      else
        request->warm_run.set_exception(error);
    }
  }
}

}  // namespace gncycleganir
