// The generator as the element runs it: loaded once, placed on its device,
// optionally in fp16, on its own CUDA stream, warmed up before the first
// buffer, and run on frames of any size (optionally resized to an inference
// size and back). Knows nothing of GStreamer.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include <c10/core/Device.h>
#include <torch/types.h>

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

enum class Precision { fp32, fp16 };

struct EngineSettings {
  std::string model_path;
  std::string device = "auto";
  Precision precision = Precision::fp32;
  int threads = 0;           // CPU intra-op threads, 0 = every core
  int inference_width = 0;   // 0 = the frame's
  int inference_height = 0;  // 0 = the frame's
};

class InferenceEngine {
 public:
  // Loads the model and moves it to its device; throws EngineError.
  explicit InferenceEngine(const EngineSettings &settings);
  ~InferenceEngine();

  const c10::Device &device() const { return device_; }
  std::string description() const;  // "resnet_6blocks_cbam on cpu (2 threads), fp32"

  // Runs the network once on a frame of this size, so the first real frame
  // pays no allocation or kernel-selection cost.
  void warm_up(int width, int height);

  // 1 x 3 x H x W in [-1, 1] (float, on device()) -> 1 x 1 x H x W in [-1, 1],
  // float32 on device(); any H, W.
  torch::Tensor translate(const torch::Tensor &rgb);

  // Makes this thread's CUDA work go to the engine's stream while the
  // returned handle lives (nothing on the CPU).
  std::shared_ptr<void> use_stream();
  // Waits for the engine's stream (nothing on the CPU).
  void synchronize();

 private:
  EngineSettings settings_;
  c10::Device device_;
  std::shared_ptr<gncyclegan::Generator> generator_;
  struct CudaState;
  std::unique_ptr<CudaState> cuda_;
};

}  // namespace gncycleganir
