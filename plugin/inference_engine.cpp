#include "plugin/inference_engine.h"

#include <optional>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "model/any_size.h"
#include "model/device.h"
#include "model/pixels.h"
#include "model/weights.h"

#ifdef GNCYCLEGAN_WITH_CUDA
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace gncycleganir {

#ifdef GNCYCLEGAN_WITH_CUDA
struct InferenceEngine::CudaState {
  c10::cuda::CUDAStream stream;
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
  if (settings.precision == Precision::fp16 && !device_.is_cuda())
    throw EngineError(EngineError::Cause::device, "precision fp16 runs on CUDA only, and the device is " + device_.str() +
                      " (use precision fp32 on the CPU)");
  if (device_.is_cpu()) gncyclegan::set_cpu_threads(settings.threads);

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
  try {
#ifdef GNCYCLEGAN_WITH_CUDA
    if (device_.is_cuda())
      cuda_ = std::make_unique<CudaState>(CudaState{c10::cuda::getStreamFromPool(false, device_.index())});
#endif
    generator_->to(device_);
    if (settings.precision == Precision::fp16) generator_->to(torch::kHalf);
  } catch (const c10::Error &error) {
    throw EngineError(EngineError::Cause::device, "cannot place the model on " + device_.str() + ": " + error.what_without_backtrace());
  }
}

InferenceEngine::~InferenceEngine() = default;

std::string InferenceEngine::description() const {
  return generator_->config().architecture() + " on " + gncyclegan::describe_device(device_) + ", " +
         (settings_.precision == Precision::fp16 ? "fp16" : "fp32");
}

std::shared_ptr<void> InferenceEngine::use_stream() {
#ifdef GNCYCLEGAN_WITH_CUDA
  if (cuda_) return std::make_shared<c10::cuda::CUDAStreamGuard>(cuda_->stream);
#endif
  return nullptr;
}

void InferenceEngine::synchronize() {
#ifdef GNCYCLEGAN_WITH_CUDA
  if (cuda_) cuda_->stream.synchronize();
#endif
}

void InferenceEngine::warm_up(int width, int height) {
  auto scope = use_stream();
  translate(torch::zeros({1, 3, height, width}, torch::TensorOptions().device(device_)));
  synchronize();
}

torch::Tensor InferenceEngine::translate(const torch::Tensor &rgb) {
  torch::NoGradGuard no_grad;
  const auto &config = generator_->config();
  const int64_t height = rgb.size(2), width = rgb.size(3);
  torch::Tensor input = rgb;
  if (config.in_channels == 1)  // a gray-input model: the luma of the frame
    input = gncyclegan::luma(rgb);

  const int64_t inference_width = settings_.inference_width > 0 ? settings_.inference_width : width;
  const int64_t inference_height = settings_.inference_height > 0 ? settings_.inference_height : height;
  const bool resized = inference_width != width || inference_height != height;
  if (resized)
    input = at::upsample_bilinear2d(input, {inference_height, inference_width}, /*align_corners=*/false);
  if (settings_.precision == Precision::fp16) input = input.to(torch::kHalf);

  torch::Tensor output = gncyclegan::forward_any_size(*generator_, input).to(torch::kFloat32);
  if (config.out_channels == 3)
    output = gncyclegan::luma(output);
  if (resized) output = at::upsample_bilinear2d(output, {height, width}, /*align_corners=*/false);
  return output;
}

}  // namespace gncycleganir
