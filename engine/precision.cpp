#include "engine/precision.h"

#include "engine/openvino_backend.h"

namespace gncycleganir {

std::string to_string(Precision precision) {
  switch (precision) {
    case Precision::automatic: return "auto";
    case Precision::fp32: return "fp32";
    case Precision::fp16: return "fp16";
    case Precision::bf16: return "bf16";
  }
  return "?";
}

std::string to_string(Backend backend) {
  switch (backend) {
    case Backend::automatic: return "auto";
    case Backend::libtorch: return "libtorch";
    case Backend::openvino: return "openvino";
  }
  return "?";
}

Backend resolve_backend(Backend requested, const c10::Device &device, bool openvino_builds) {
  if (requested != Backend::automatic) return requested;
  return device.is_cpu() && openvino_compiled_in() && openvino_builds ? Backend::openvino : Backend::libtorch;
}

Precision resolve_precision(Precision requested, const c10::Device &device) {
  if (requested != Precision::automatic) return requested;
  return device.is_cpu() && cpu_has_native_bf16() ? Precision::bf16 : Precision::fp32;
}

}  // namespace gncycleganir
