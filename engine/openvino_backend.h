// Running a generator with OpenVINO on the CPU: its graph is built from the
// loaded generator's tensors (engine/openvino_graph.h), compiled for each
// inference size the first time that size comes (for one frame, or for batches
// of any size once a batch comes), and run in fp32 or, on CPUs with
// native bf16 arithmetic, bf16. Present only when the build found OpenVINO
// (meson -Dopenvino); this header needs none of its headers.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

#include "model/generator.h"

namespace gncycleganir {

// Whether the OpenVINO backend can build this architecture (the ResNets, the
// unshuffle generators and hot-target heads over either, any variant; not the
// U-Nets); if not, `why` says so.
inline bool openvino_builds(const gncyclegan::GeneratorConfig &config, std::string *why = nullptr) {
  if (config.family != gncyclegan::GeneratorFamily::unet) return true;
  if (why) *why = "the OpenVINO backend builds ResNet, unshuffle and hot generators only, and this is " + config.architecture();
  return false;
}

// Whether this build has the OpenVINO backend.
bool openvino_compiled_in();
// Whether OpenVINO's CPU plugin reports native bf16 arithmetic on this CPU
// (false without the backend).
bool openvino_cpu_has_bf16();
// "2026.4.1" (empty without the backend).
std::string openvino_version();

class OpenVinoBackend {
 public:
  // A size's compiled model unused for `release_after` is released, so a
  // stream that settled at one inference size holds one model, whatever
  // sizes it tried on the way.
  static constexpr std::chrono::milliseconds kReleaseAfter{60'000};

  // Throws std::runtime_error naming the cause (no backend in this build, an
  // architecture it cannot build, OpenVINO failing to load its CPU plugin).
  OpenVinoBackend(gncyclegan::Generator &generator, bool bf16, int threads,
                  std::chrono::milliseconds release_after = kReleaseAfter);
  ~OpenVinoBackend();

  // N x C x H x W float32 on the CPU, H and W multiples of the generator's
  // size multiple -> N x C' x H x W float32 (a new tensor).
  torch::Tensor forward(const torch::Tensor &input);
  bool bf16() const { return bf16_; }
  // Inference sizes compiled and held now.
  size_t compiled_sizes() const;

 private:
  struct Compiled;
  Compiled &compiled_for(int64_t batch, int64_t height, int64_t width);
  void release_unused(std::chrono::steady_clock::time_point now);
  gncyclegan::Generator &generator_;
  bool bf16_;
  int threads_;
  std::chrono::milliseconds release_after_;
  // Most recently used first; a few sizes, since adaptive inference sizes
  // move between neighbours, a shared engine serves a few streams' sizes,
  // and compiling one takes a fraction of a second.
  std::vector<std::unique_ptr<Compiled>> compiled_;
};

}  // namespace gncycleganir
