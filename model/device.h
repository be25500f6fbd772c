// Choosing where the networks run, decided at run time: CUDA when LibTorch was
// built with it and a GPU is visible, else the CPU.
#pragma once

#include <stdexcept>
#include <string>

#include <c10/core/Device.h>

namespace gncyclegan {

class DeviceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// True when the linked LibTorch carries its CUDA backend (whether or not a GPU
// is present). False for Debian's CPU-only libtorch, and for a CUDA LibTorch
// whose libtorch_cuda.so was dropped at link time.
bool libtorch_has_cuda();
// Number of GPUs CUDA sees (0 without CUDA support).
int cuda_device_count();

// "auto" -> cuda:0 when available, else cpu; "cpu"; "cuda" (= cuda:0); "cuda:N".
// Throws DeviceError saying whether LibTorch lacks CUDA, no GPU is visible, or
// the index is out of range.
c10::Device resolve_device(const std::string &spec);

// A line for logs: "cpu (2 threads)" or "cuda:0 (NVIDIA H100, 79.1 GiB)".
std::string describe_device(const c10::Device &device);

// Intra-op threads for CPU work; 0 means every core. Debian's libtorch uses one
// thread unless told otherwise. Also keeps OpenBLAS (if that is the BLAS) to
// one thread of its own, so it does not compete with LibTorch's.
void set_cpu_threads(int threads);

}  // namespace gncyclegan
