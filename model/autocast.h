// Reduced-precision arithmetic for a stretch of code: LibTorch's autocast on
// one device type (convolutions and matrix products in bf16 or fp16,
// reductions and normalisations in fp32, by autocast's lists), in either
// spelling of its API (LibTorch 2.4 renamed it), and whether the CPU does
// bf16 natively.
#pragma once

#include <c10/core/DeviceType.h>
#include <c10/core/ScalarType.h>

namespace gncyclegan {

// Whether this CPU does bf16 arithmetic natively (AVX512-BF16 or AMX-BF16):
// elsewhere bf16 would be emulated, slower than fp32.
bool cpu_has_native_bf16();

// Autocast to `dtype` on `device` (CPU or CUDA) while it lives; on leaving,
// autocast is off again and its cache of cast weights cleared. A dtype of
// Float does nothing (full precision).
class AutocastScope {
 public:
  AutocastScope(c10::DeviceType device, c10::ScalarType dtype);
  ~AutocastScope();
  AutocastScope(const AutocastScope &) = delete;
  AutocastScope &operator=(const AutocastScope &) = delete;

 private:
  c10::DeviceType device_;
  bool active_;
};

// Autocast off, on the CPU and CUDA, while it lives, and back as it was after:
// for computations that reduced precision breaks (a variance as E[x²] − E[x]²
// cancels catastrophically in bf16). Inputs keep their type: cast them.
class FullPrecisionScope {
 public:
  FullPrecisionScope();
  ~FullPrecisionScope();
  FullPrecisionScope(const FullPrecisionScope &) = delete;
  FullPrecisionScope &operator=(const FullPrecisionScope &) = delete;

 private:
  bool cpu_, cuda_;  // what was on before
};

}  // namespace gncyclegan
