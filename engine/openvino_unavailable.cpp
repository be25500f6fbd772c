// The OpenVINO backend's entry points in a build without OpenVINO: asking for
// it is an error that says how to get it.
#include <stdexcept>

#include "engine/openvino_backend.h"

namespace gncycleganir {

bool openvino_compiled_in() { return false; }
bool openvino_cpu_has_bf16() { return false; }
std::string openvino_version() { return {}; }

struct OpenVinoBackend::Compiled {};

OpenVinoBackend::OpenVinoBackend(gncyclegan::Generator &generator, bool bf16, int threads,
                                 std::chrono::milliseconds release_after)
    : generator_(generator), bf16_(bf16), threads_(threads), release_after_(release_after) {
  throw std::runtime_error(
      "this build of gncycleganir has no OpenVINO backend: install OpenVINO (scripts/openvino-env.sh) and "
      "rebuild (meson setup --reconfigure BUILD -Dopenvino=enabled -Dopenvino_dir=DIR), or use backend=libtorch");
}

OpenVinoBackend::~OpenVinoBackend() = default;

torch::Tensor OpenVinoBackend::forward(const torch::Tensor &) { return {}; }
size_t OpenVinoBackend::compiled_sizes() const { return 0; }

}  // namespace gncycleganir
