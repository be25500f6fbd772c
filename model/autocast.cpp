#include "model/autocast.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace gncyclegan {
namespace {

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool autocast_enabled(c10::DeviceType device) { return at::autocast::is_autocast_enabled(device); }
void set_autocast_enabled(c10::DeviceType device, bool enabled) { at::autocast::set_autocast_enabled(device, enabled); }
void set_autocast_dtype(c10::DeviceType device, c10::ScalarType dtype) { at::autocast::set_autocast_dtype(device, dtype); }
#else
bool autocast_enabled(c10::DeviceType device) {
  return device == c10::DeviceType::CPU ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
}
void set_autocast_enabled(c10::DeviceType device, bool enabled) {
  if (device == c10::DeviceType::CPU)
    at::autocast::set_cpu_enabled(enabled);
  else
    at::autocast::set_enabled(enabled);
}
void set_autocast_dtype(c10::DeviceType device, c10::ScalarType dtype) {
  if (device == c10::DeviceType::CPU)
    at::autocast::set_autocast_cpu_dtype(dtype);
  else
    at::autocast::set_autocast_gpu_dtype(dtype);
}
#endif

void set_autocast(c10::DeviceType device, bool enabled, c10::ScalarType dtype) {
  set_autocast_enabled(device, enabled);
  if (enabled) set_autocast_dtype(device, dtype);
}

}  // namespace

// Read from CPUID rather than __builtin_cpu_supports: clang 14 knows neither
// "avx512bf16" nor "amx-bf16" as feature strings.
bool cpu_has_native_bf16() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  const bool amx_bf16 = edx & (1u << 22);
  const unsigned max_subleaf = eax;
  bool avx512_bf16 = false;
  if (max_subleaf >= 1 && __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) avx512_bf16 = eax & (1u << 5);
  // avx512f also tells that the kernel saves the AVX-512 registers.
  __builtin_cpu_init();
  return (avx512_bf16 && __builtin_cpu_supports("avx512f")) || amx_bf16;
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

FullPrecisionScope::FullPrecisionScope()
    : cpu_(autocast_enabled(c10::DeviceType::CPU)), cuda_(autocast_enabled(c10::DeviceType::CUDA)) {
  if (cpu_) set_autocast_enabled(c10::DeviceType::CPU, false);
  if (cuda_) set_autocast_enabled(c10::DeviceType::CUDA, false);
}

FullPrecisionScope::~FullPrecisionScope() {
  if (cpu_) set_autocast_enabled(c10::DeviceType::CPU, true);
  if (cuda_) set_autocast_enabled(c10::DeviceType::CUDA, true);
}

}  // namespace gncyclegan
