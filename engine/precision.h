// Which arithmetic and which runtime run the generator, and what `auto`
// means for each: decided once, when the engine starts.
#pragma once

#include <string>

#include <c10/core/Device.h>

#include "model/autocast.h"

namespace gncycleganir {

using gncyclegan::cpu_has_native_bf16;

enum class Precision { automatic, fp32, fp16, bf16 };
enum class Backend { automatic, libtorch, openvino };

std::string to_string(Precision precision);  // "auto", "fp32", "fp16", "bf16"
std::string to_string(Backend backend);      // "auto", "libtorch", "openvino"

// `auto`: OpenVINO on the CPU when the build has it and it builds the
// architecture, LibTorch otherwise (always on CUDA). `openvino_builds` says
// whether OpenVINO can build this generator.
Backend resolve_backend(Backend requested, const c10::Device &device, bool openvino_builds);
// `auto`: fp32 on CUDA; on the CPU bf16 where it is native (both backends
// stay within the bound the parity tests check), else fp32.
Precision resolve_precision(Precision requested, const c10::Device &device);

}  // namespace gncycleganir
