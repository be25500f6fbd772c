// The generator as the element runs it: loaded once, placed on its device,
// run by LibTorch or (on the CPU) OpenVINO, in fp32 or reduced precision, on
// its own CUDA stream, warmed up before the first buffer, and run on frames of
// any size (optionally resized to an inference size and back). Knows nothing
// of GStreamer.
#pragma once

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

#include <c10/core/Device.h>
#include <torch/types.h>

#include "engine/precision.h"
#include "model/generator.h"

namespace gncycleganir {

// A problem a user can fix (the model file, the device, the precision); the
// message names it.
class EngineError : public std::runtime_error {
 public:
  enum class Cause { model, device };
  EngineError(Cause cause, const std::string &message) : std::runtime_error(message), cause_(cause) {}
  Cause cause() const { return cause_; }

 private:
  Cause cause_;
};

class OpenVinoBackend;

struct EngineSettings {
  std::string model_path;
  std::string device = "auto";
  Backend backend = Backend::automatic;
  Precision precision = Precision::automatic;
  int threads = 0;           // CPU intra-op threads, 0 = every core
  int inference_width = 0;   // 0 = the frame's
  int inference_height = 0;  // 0 = the frame's
  bool cuda_graph = true;    // on CUDA, replay the generator as a CUDA graph (see warm_up)
};

class InferenceEngine {
 public:
  // Loads the model and moves it to its device; throws EngineError.
  explicit InferenceEngine(const EngineSettings &settings);
  ~InferenceEngine();

  const c10::Device &device() const { return device_; }
  // What `auto` resolved to.
  Backend backend() const { return backend_; }
  Precision precision() const { return precision_; }
  const gncyclegan::GeneratorConfig &config() const { return generator_->config(); }
  // "resnet_6blocks_cbam on cpu (2 threads), openvino 2026.4.1, bf16"
  std::string description() const;

  // The size frames are resized to for the generator (0 = the frame's own)
  // where translate and warm_up are not given one.
  void set_inference_size(int width, int height);

  // Runs the network on `batch` frames of this size, so the first real frame
  // pays no allocation or kernel-selection cost; on CUDA also records the
  // generator at this shape as a CUDA graph, which later frames of that shape
  // replay. (Other shapes, such as a shared engine's partial batches, are
  // recorded on their second frame; eight shapes at most.) Returns the time of its last, warm run: a first estimate of the
  // time per call.
  std::chrono::nanoseconds warm_up(int width, int height);
  std::chrono::nanoseconds warm_up(int width, int height, int inference_width, int inference_height, int batch = 1);

  // N x 3 x H x W in [-1, 1] (float, on device()) -> N x 1 x H x W in [-1, 1],
  // float32 on device(); any H, W; the generator runs at the inference size
  // (0 = the frame's own). With OutputSize::inference the result stays at the
  // inference size, for a caller that resizes as it writes the frame.
  enum class OutputSize { frame, inference };
  torch::Tensor translate(const torch::Tensor &rgb);
  torch::Tensor translate(const torch::Tensor &rgb, int inference_width, int inference_height,
                          OutputSize size = OutputSize::frame);

  // Whether a CUDA graph of the generator is recorded (see warm_up), and if
  // recording the last one failed, why (frames then run the generator op by op).
  bool replays_cuda_graph() const;
  const std::string &cuda_graph_error() const { return cuda_graph_error_; }

  // Makes this thread's CUDA work go to the engine's stream while the
  // returned handle lives (nothing on the CPU).
  std::shared_ptr<void> use_stream() const;
  // Waits for the engine's stream (nothing on the CPU).
  void synchronize() const;

 private:
  EngineSettings settings_;
  c10::Device device_;
  Backend backend_ = Backend::libtorch;
  Precision precision_ = Precision::fp32;
  std::shared_ptr<gncyclegan::Generator> generator_;
  std::unique_ptr<OpenVinoBackend> openvino_;
  // The generator's input for a frame: luma for gray-input models, resized to
  // the inference size, in the engine's precision.
  torch::Tensor generator_input(const torch::Tensor &rgb, int inference_width, int inference_height) const;
  // The generator's forward, through the CUDA graph recorded for the input's shape, if any.
  torch::Tensor generate(const torch::Tensor &input);
  void record_cuda_graph(const torch::Tensor &example);
  std::string cuda_graph_error_;
  struct CudaState;
  std::unique_ptr<CudaState> cuda_;
};

}  // namespace gncycleganir
