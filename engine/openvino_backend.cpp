#include "engine/openvino_backend.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <openvino/core/version.hpp>
#include <openvino/runtime/core.hpp>
#include <openvino/runtime/properties.hpp>

#include "engine/openvino_graph.h"

namespace gncycleganir {
namespace {

// Compiled models kept: the size in use and the one before it, so the adaptive
// inference size moving between two neighbours (a probe up and back) compiles
// nothing. Each compiled model holds its intermediate buffers (about 30 MB at
// 320x240) and threads of its own, so over days of probing a larger cache
// only fills with sizes no longer used. A spatial size left dynamic instead
// (one model for all sizes) cost 10-20 % a frame.
constexpr size_t kCachedSizes = 2;

// Frees memory the C library holds after a compiled model is released: its
// buffers, tens of MB, would otherwise stay resident in the heap and make a
// process that runs for days look as if it grew with every size it tried.
void return_freed_memory_to_the_system() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

// glibc maps a block of at least its mmap threshold on its own (unmapped when
// freed) and raises the threshold to the size of each such block freed, up to
// 32 MiB. Once a compiled model is released, the next ones' buffers (up to
// tens of MB) then come from the heap, where a live block above them keeps
// their pages resident after they are freed: a 100,000-frame soak kept
// 10-15 MB at some of the adaptive size's probes. Pinned at glibc's initial
// 128 KiB, a compiled model's buffers are mapped and unmapped whole, and
// resident memory comes back after each probe (benchmarks/soak.py). LibTorch's
// tensors of that size come from the CPU memory pool (model/cpu_memory_pool.h),
// so frames pay no page faults for it. A threshold the user set is kept.
constexpr int kMmapThreshold = 128 << 10;

void pin_the_mmap_threshold() {
#ifdef __GLIBC__
  static const bool pinned = [] {
    const char *tunables = std::getenv("GLIBC_TUNABLES");
    if (std::getenv("MALLOC_MMAP_THRESHOLD_") || (tunables && std::strstr(tunables, "mmap_threshold"))) return false;
    return mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 1;
  }();
  (void)pinned;
#endif
}

// One Core per process: it loads the device plugins once.
ov::Core &core() {
  static ov::Core instance;
  return instance;
}

}  // namespace

bool openvino_compiled_in() { return true; }

bool openvino_cpu_has_bf16() {
  try {
    const auto capabilities = core().get_property("CPU", ov::device::capabilities);
    return std::find(capabilities.begin(), capabilities.end(), ov::device::capability::BF16) != capabilities.end();
  } catch (const std::exception &) {
    return false;
  }
}

std::string openvino_version() {
  const ov::Version version = ov::get_openvino_version();
  std::string text = version.buildNumber ? version.buildNumber : "";
  return text.substr(0, text.find('-'));
}

struct OpenVinoBackend::Compiled {
  int64_t height = 0, width = 0;
  bool any_batch = false;  // else one frame at a time
  ov::CompiledModel model;
  ov::InferRequest request;
  std::chrono::steady_clock::time_point used;
};

OpenVinoBackend::OpenVinoBackend(gncyclegan::Generator &generator, bool bf16, int threads,
                                 std::chrono::milliseconds release_after)
    : generator_(generator), bf16_(bf16), threads_(threads), release_after_(release_after) {
  std::string why;
  if (!openvino_builds(generator.config(), &why)) throw std::runtime_error(why);
  pin_the_mmap_threshold();
  try {
    core();
  } catch (const std::exception &error) {
    throw std::runtime_error(std::string("OpenVINO cannot start: ") + error.what());
  }
}

OpenVinoBackend::~OpenVinoBackend() = default;

size_t OpenVinoBackend::compiled_sizes() const { return compiled_.size(); }

// Sizes are dropped when over kCachedSizes (the least recently used) or
// unused for release_after_, except the one about to run (the front).
void OpenVinoBackend::release_unused(std::chrono::steady_clock::time_point now) {
  const size_t before = compiled_.size();
  if (compiled_.size() > kCachedSizes) compiled_.resize(kCachedSizes);
  compiled_.erase(std::remove_if(compiled_.begin() + 1, compiled_.end(),
                                 [&](const auto &entry) { return now - entry->used > release_after_; }),
                  compiled_.end());
  if (compiled_.size() < before) return_freed_memory_to_the_system();
}

// One compiled model per inference size. Single frames run in one compiled
// for a batch of one, the fastest (a dynamic batch dimension costs about 2 %
// a frame). Once a batch of several frames comes at a size (a shared engine
// with batch-size above 1), one compiled for any batch size replaces it and
// serves every batch there: each batch size compiled apart would keep its own
// intermediate buffers, several MB a frame of batch.
OpenVinoBackend::Compiled &OpenVinoBackend::compiled_for(int64_t batch, int64_t height, int64_t width) {
  const auto now = std::chrono::steady_clock::now();
  auto found = std::find_if(compiled_.begin(), compiled_.end(),
                            [&](const auto &entry) { return entry->height == height && entry->width == width; });
  if (found != compiled_.end()) {
    std::rotate(compiled_.begin(), found, found + 1);
    if (batch == 1 || compiled_.front()->any_batch) {
      compiled_.front()->used = now;
      release_unused(now);
      return *compiled_.front();
    }
    compiled_.erase(compiled_.begin());  // a batch at a size compiled for single frames
  }
  auto entry = std::make_unique<Compiled>();
  entry->height = height;
  entry->width = width;
  entry->any_batch = batch > 1;
  ov::AnyMap config{ov::hint::performance_mode(ov::hint::PerformanceMode::LATENCY),
                    ov::hint::inference_precision(bf16_ ? ov::element::bf16 : ov::element::f32)};
  if (threads_ > 0) config.emplace(ov::inference_num_threads(threads_));
  try {
    entry->model = core().compile_model(build_openvino_graph(generator_, entry->any_batch ? kAnyBatch : 1, height, width),
                                        "CPU", config);
    entry->request = entry->model.create_infer_request();
  } catch (const ov::Exception &error) {
    const std::string what = entry->any_batch ? "batches" : "single frames";
    throw std::runtime_error("OpenVINO cannot compile the generator for " + what + " of " + std::to_string(width) + "x" +
                             std::to_string(height) + ": " + error.what());
  }
  entry->used = now;
  compiled_.insert(compiled_.begin(), std::move(entry));
  release_unused(now);
  return *compiled_.front();
}

torch::Tensor OpenVinoBackend::forward(const torch::Tensor &input) {
  const auto &config = generator_.config();
  const int64_t batch = input.size(0), height = input.size(2), width = input.size(3);
  Compiled &compiled = compiled_for(batch, height, width);
  // Both tensors are LibTorch's memory, lent to OpenVINO: no copies.
  const torch::Tensor source = input.to(torch::kFloat32).contiguous();
  torch::Tensor result = torch::empty({batch, config.out_channels, height, width}, source.options());
  auto shape = [&](int64_t channels) { return ov::Shape{size_t(batch), size_t(channels), size_t(height), size_t(width)}; };
  compiled.request.set_input_tensor(ov::Tensor(ov::element::f32, shape(config.in_channels), source.data_ptr<float>()));
  compiled.request.set_output_tensor(ov::Tensor(ov::element::f32, shape(config.out_channels), result.data_ptr<float>()));
  compiled.request.infer();
  return result;
}

}  // namespace gncycleganir
