// Which arithmetic and which runtime run the generator, and what `auto`
// means for each: decided once, when the engine starts.
#pragma once

#include <string>

#include <c10/core/Device.h>

namespace gncycleganir {

enum class Precision { automatic, fp32, fp16, bf16 };
enum class Backend { automatic, libtorch, openvino };

std::string to_string(Precision precision);  // "auto", "fp32", "fp16", "bf16"
std::string to_string(Backend backend);      // "auto", "libtorch", "openvino"

// Whether this CPU does bf16 arithmetic natively (AVX512-BF16 or AMX-BF16):
// elsewhere bf16 would be emulated, slower than fp32.
bool cpu_has_native_bf16();

// `auto`: OpenVINO on the CPU when the build has it and it builds the
// architecture, LibTorch otherwise (always on CUDA). `openvino_builds` says
// whether OpenVINO can build this generator.
Backend resolve_backend(Backend requested, const c10::Device &device, bool openvino_builds);
// `auto`: fp32 on CUDA; on the CPU bf16 where it is native (both backends
// stay within the bound the parity tests check), else fp32.
Precision resolve_precision(Precision requested, const c10::Device &device);

}  // namespace gncycleganir
