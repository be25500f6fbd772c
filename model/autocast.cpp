#include "model/autocast.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

namespace gncyclegan {
namespace {

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
void set_autocast(c10::DeviceType device, bool enabled, c10::ScalarType dtype) {
  at::autocast::set_autocast_enabled(device, enabled);
  if (enabled) at::autocast::set_autocast_dtype(device, dtype);
}
#else
void set_autocast(c10::DeviceType device, bool enabled, c10::ScalarType dtype) {
  if (device == c10::DeviceType::CPU) {
    at::autocast::set_cpu_enabled(enabled);
    if (enabled) at::autocast::set_autocast_cpu_dtype(dtype);
  } else {
    at::autocast::set_enabled(enabled);
    if (enabled) at::autocast::set_autocast_gpu_dtype(dtype);
  }
}
#endif

}  // namespace

bool cpu_has_native_bf16() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512bf16") || __builtin_cpu_supports("amx-bf16");
#else
  return false;
#endif
}

AutocastScope::AutocastScope(c10::DeviceType device, c10::ScalarType dtype)
    : device_(device), active_(dtype != c10::ScalarType::Float) {
  if (active_) set_autocast(device_, true, dtype);
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  set_autocast(device_, false, c10::ScalarType::Float);
  at::autocast::clear_cache();
}

}  // namespace gncyclegan
