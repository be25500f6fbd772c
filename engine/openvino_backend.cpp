#include "engine/openvino_backend.h"

#include <algorithm>
#include <stdexcept>

#include <openvino/core/version.hpp>
#include <openvino/runtime/core.hpp>
#include <openvino/runtime/properties.hpp>

#include "engine/openvino_graph.h"

namespace gncycleganir {
namespace {

constexpr size_t kCachedShapes = 8;

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
  int64_t batch = 0, height = 0, width = 0;
  ov::CompiledModel model;
  ov::InferRequest request;
};

OpenVinoBackend::OpenVinoBackend(gncyclegan::Generator &generator, bool bf16, int threads)
    : generator_(generator), bf16_(bf16), threads_(threads) {
  std::string why;
  if (!openvino_builds(generator.config(), &why)) throw std::runtime_error(why);
  try {
    core();
  } catch (const std::exception &error) {
    throw std::runtime_error(std::string("OpenVINO cannot start: ") + error.what());
  }
}

OpenVinoBackend::~OpenVinoBackend() = default;

OpenVinoBackend::Compiled &OpenVinoBackend::compiled_for(int64_t batch, int64_t height, int64_t width) {
  auto found = std::find_if(compiled_.begin(), compiled_.end(), [&](const auto &entry) {
    return entry->batch == batch && entry->height == height && entry->width == width;
  });
  if (found != compiled_.end()) {
    std::rotate(compiled_.begin(), found, found + 1);
    return *compiled_.front();
  }
  auto entry = std::make_unique<Compiled>();
  entry->batch = batch;
  entry->height = height;
  entry->width = width;
  ov::AnyMap config{ov::hint::performance_mode(ov::hint::PerformanceMode::LATENCY),
                    ov::hint::inference_precision(bf16_ ? ov::element::bf16 : ov::element::f32)};
  if (threads_ > 0) config.emplace(ov::inference_num_threads(threads_));
  try {
    entry->model = core().compile_model(build_openvino_graph(generator_, batch, height, width), "CPU", config);
    entry->request = entry->model.create_infer_request();
  } catch (const ov::Exception &error) {
    throw std::runtime_error("OpenVINO cannot compile the generator for " + std::to_string(batch) + " x " +
                             std::to_string(width) + "x" + std::to_string(height) + ": " + error.what());
  }
  compiled_.insert(compiled_.begin(), std::move(entry));
  if (compiled_.size() > kCachedShapes) compiled_.pop_back();
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
