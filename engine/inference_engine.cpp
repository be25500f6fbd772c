#include "engine/inference_engine.h"

#include <map>
#include <optional>
#include <vector>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "engine/openvino_backend.h"
#include "model/any_size.h"
#include "model/autocast.h"
#include "model/cpu_memory_pool.h"
#include "model/device.h"
#include "model/pixels.h"
#include "model/weights.h"

#ifdef GNCYCLEGAN_WITH_CUDA
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace gncycleganir {

#ifdef GNCYCLEGAN_WITH_CUDA
struct InferenceEngine::CudaState {
  explicit CudaState(c10::cuda::CUDAStream stream) : stream(stream) {}
  c10::cuda::CUDAStream stream;
  // The generator recorded per input shape (batch size and inference size):
  // replaying one launches all its kernels at once, where a small model's
  // frame time is mostly launches.
  struct Recorded {
    std::unique_ptr<at::cuda::CUDAGraph> graph;
    torch::Tensor input, output;  // the memory the graph reads and writes
  };
  std::map<std::vector<int64_t>, Recorded> graphs;
  std::map<std::vector<int64_t>, int> runs;  // op-by-op runs of shapes without a graph
  // Each graph holds its own activations: a few shapes (a shared engine's
  // batch sizes, a couple of inference sizes), not one per passing size.
  static constexpr size_t kMostGraphs = 8;
};
#else
struct InferenceEngine::CudaState {};
#endif

namespace {

std::string channels_text(const gncyclegan::GeneratorConfig &config) {
  return std::to_string(config.in_channels) + "->" + std::to_string(config.out_channels);
}

}  // namespace

InferenceEngine::InferenceEngine(const EngineSettings &settings)
    : settings_(settings), device_(c10::kCPU) {
  try {
    device_ = gncyclegan::resolve_device(settings.device);
  } catch (const gncyclegan::DeviceError &error) {
    throw EngineError(EngineError::Cause::device, error.what());
  }
  precision_ = resolve_precision(settings.precision, device_);
  if (precision_ == Precision::fp16 && !device_.is_cuda())
    throw EngineError(EngineError::Cause::device, "precision fp16 runs on CUDA only, and the device is " + device_.str() +
                      " (use precision auto, fp32 or bf16 on the CPU)");
  if (precision_ == Precision::bf16 && !device_.is_cpu())
    throw EngineError(EngineError::Cause::device, "precision bf16 runs on the CPU only, and the device is " +
                      device_.str() + " (use precision fp16 or fp32 on CUDA)");
  if (precision_ == Precision::bf16 && !cpu_has_native_bf16())
    throw EngineError(EngineError::Cause::device,
                      "precision bf16 needs a CPU with native bf16 arithmetic (AVX512-BF16 or AMX), and this one "
                      "has none: it would be slower than fp32 (use precision auto or fp32)");
  if (settings.backend == Backend::openvino && !device_.is_cpu())
    throw EngineError(EngineError::Cause::device, "backend openvino runs on the CPU, and the device is " +
                      device_.str() + " (use device=cpu, or backend auto or libtorch)");
  if (device_.is_cpu()) {
    gncyclegan::set_cpu_threads(settings.threads);
    gncyclegan::use_cpu_memory_pool();
  }

  try {
    generator_ = gncyclegan::load_generator(settings.model_path).generator;
  } catch (const std::exception &error) {
    throw EngineError(EngineError::Cause::model, std::string("cannot load the model: ") + error.what());
  }
  const auto &config = generator_->config();
  if ((config.in_channels != 3 && config.in_channels != 1) || (config.out_channels != 1 && config.out_channels != 3))
    throw EngineError(EngineError::Cause::model, settings.model_path + " holds a " + channels_text(config) +
                      "-channel generator; gncycleganir needs a visible->infrared one (3 or 1 channels in, 1 or 3 "
                      "out)");
  generator_->eval();
  backend_ = resolve_backend(settings.backend, device_, openvino_builds(config));
  if (backend_ == Backend::openvino) {
    try {
      openvino_ = std::make_unique<OpenVinoBackend>(*generator_, precision_ == Precision::bf16, settings.threads);
    } catch (const std::runtime_error &error) {
      throw EngineError(EngineError::Cause::device, std::string("backend openvino: ") + error.what());
    }
    return;
  }
  try {
#ifdef GNCYCLEGAN_WITH_CUDA
    if (device_.is_cuda())
      cuda_ = std::make_unique<CudaState>(c10::cuda::getStreamFromPool(false, device_.index()));
#endif
    generator_->to(device_);
    if (precision_ == Precision::fp16) generator_->to(torch::kHalf);
    // A video's frame size is fixed between caps changes: cuDNN's search for
    // its fastest kernels pays off, and warm_up() takes its cost.
    if (device_.is_cuda()) at::globalContext().setBenchmarkCuDNN(true);
  } catch (const c10::Error &error) {
    throw EngineError(EngineError::Cause::device, "cannot place the model on " + device_.str() + ": " + error.what_without_backtrace());
  }
}

InferenceEngine::~InferenceEngine() = default;

std::string InferenceEngine::description() const {
  const std::string runtime = backend_ == Backend::openvino ? "openvino " + openvino_version() : "libtorch";
  return generator_->config().architecture() + " on " + gncyclegan::describe_device(device_) + ", " + runtime +
         ", " + to_string(precision_);
}

void InferenceEngine::set_inference_size(int width, int height) {
  settings_.inference_width = width;
  settings_.inference_height = height;
}

std::shared_ptr<void> InferenceEngine::use_stream() const {
#ifdef GNCYCLEGAN_WITH_CUDA
  if (cuda_) return std::make_shared<c10::cuda::CUDAStreamGuard>(cuda_->stream);
#endif
  return nullptr;
}

void InferenceEngine::synchronize() const {
#ifdef GNCYCLEGAN_WITH_CUDA
  if (cuda_) cuda_->stream.synchronize();
#endif
}

std::chrono::nanoseconds InferenceEngine::warm_up(int width, int height) {
  return warm_up(width, height, settings_.inference_width, settings_.inference_height);
}

std::chrono::nanoseconds InferenceEngine::warm_up(int width, int height, int inference_width, int inference_height,
                                                  int batch) {
  auto scope = use_stream();
  const auto frame = torch::zeros({batch, 3, height, width}, torch::TensorOptions().device(device_));
  auto timed_run = [&] {
    const auto started = std::chrono::steady_clock::now();
    translate(frame, inference_width, inference_height);
    synchronize();
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - started);
  };
  auto last = timed_run();
  // OpenVINO compiled the graph for this size in the first run.
  if (openvino_) return timed_run();
  if (!device_.is_cuda()) return last;
  // The first CUDA run chose cuDNN's kernels and grew the allocator's pools;
  // the graph records the kernels chosen.
  if (settings_.cuda_graph) record_cuda_graph(generator_input(frame, inference_width, inference_height));
  return timed_run();
}

bool InferenceEngine::replays_cuda_graph() const {
#ifdef GNCYCLEGAN_WITH_CUDA
  return cuda_ && !cuda_->graphs.empty();
#else
  return false;
#endif
}

void InferenceEngine::record_cuda_graph(const torch::Tensor &example) {
#ifdef GNCYCLEGAN_WITH_CUDA
  torch::NoGradGuard no_grad;
  const auto shape = example.sizes().vec();
  if (cuda_->graphs.count(shape) == 0 && cuda_->graphs.size() >= CudaState::kMostGraphs) return;
  cuda_->graphs.erase(shape);
  cuda_graph_error_.clear();
  auto graph = std::make_unique<at::cuda::CUDAGraph>();
  auto input = example.clone();
  torch::Tensor output;
  try {
    // Thread-local capture: CUDA work of other threads (other elements) goes on meanwhile.
    graph->capture_begin({0, 0}, cudaStreamCaptureModeThreadLocal);
    try {
      output = gncyclegan::forward_any_size(*generator_, input);
    } catch (...) {
      try {
        graph->capture_end();
      } catch (const c10::Error &) {  // the capture is already broken; the first error says why
      }
      throw;
    }
    graph->capture_end();
  } catch (const c10::Error &error) {  // not fatal: frames run the generator op by op
    cuda_graph_error_ = error.what_without_backtrace();
    return;
  }
  cuda_->graphs[shape] = {std::move(graph), input, output};
#else
  (void)example;
#endif
}

torch::Tensor InferenceEngine::generate(const torch::Tensor &input) {
#ifdef GNCYCLEGAN_WITH_CUDA
  if (cuda_ && settings_.cuda_graph) {
    const auto shape = input.sizes().vec();
    const auto recorded = cuda_->graphs.find(shape);
    if (recorded != cuda_->graphs.end() && input.dtype() == recorded->second.input.dtype()) {
      recorded->second.input.copy_(input);
      recorded->second.graph->replay();
      return recorded->second.output.clone();  // the next replay overwrites it
    }
    // A new shape (a partial batch, another inference size) is recorded
    // lazily, after its first op-by-op run has chosen cuDNN's kernels.
    auto output = gncyclegan::forward_any_size(*generator_, input);
    if (++cuda_->runs[shape] == 2) record_cuda_graph(input);
    return output;
  }
#endif
  if (openvino_)
    return gncyclegan::forward_any_size(generator_->config(), input,
                                        [&](const torch::Tensor &x) { return openvino_->forward(x); });
  if (precision_ == Precision::bf16) {
    // Convolutions in bf16, reductions and normalisations in fp32 (autocast's lists).
    gncyclegan::AutocastScope bf16(c10::DeviceType::CPU, torch::kBFloat16);
    return gncyclegan::forward_any_size(*generator_, input).to(torch::kFloat32);
  }
  return gncyclegan::forward_any_size(*generator_, input);
}

torch::Tensor InferenceEngine::generator_input(const torch::Tensor &rgb, int inference_width_or_0,
                                               int inference_height_or_0) const {
  torch::Tensor input = rgb;
  if (generator_->config().in_channels == 1)  // a gray-input model: the luma of the frame
    input = gncyclegan::luma(rgb);
  const int64_t width = rgb.size(3), height = rgb.size(2);
  const int64_t inference_width = inference_width_or_0 > 0 ? inference_width_or_0 : width;
  const int64_t inference_height = inference_height_or_0 > 0 ? inference_height_or_0 : height;
  if (inference_width != width || inference_height != height)
    input = at::upsample_bilinear2d(input, {inference_height, inference_width}, /*align_corners=*/false);
  if (precision_ == Precision::fp16) input = input.to(torch::kHalf);
  return input;
}

torch::Tensor InferenceEngine::translate(const torch::Tensor &rgb) {
  return translate(rgb, settings_.inference_width, settings_.inference_height);
}

torch::Tensor InferenceEngine::translate(const torch::Tensor &rgb, int inference_width, int inference_height,
                                         OutputSize size) {
  torch::NoGradGuard no_grad;
  torch::Tensor output = generate(generator_input(rgb, inference_width, inference_height)).to(torch::kFloat32);
  if (generator_->config().out_channels == 3) output = gncyclegan::luma(output);
  if (size == OutputSize::frame && (output.size(2) != rgb.size(2) || output.size(3) != rgb.size(3)))
    output = at::upsample_bilinear2d(output, {rgb.size(2), rgb.size(3)}, /*align_corners=*/false);
  return output;
}

}  // namespace gncycleganir
