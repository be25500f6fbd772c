#include "model/device.h"

#include <dlfcn.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <thread>

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/cuda.h>

#ifdef GNCYCLEGAN_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

namespace gncyclegan {

bool libtorch_has_cuda() { return at::detail::getCUDAHooks().hasCUDART(); }

int cuda_device_count() { return libtorch_has_cuda() ? static_cast<int>(torch::cuda::device_count()) : 0; }

c10::Device resolve_device(const std::string &spec) {
  if (spec == "cpu") return c10::Device(c10::kCPU);
  if (spec == "auto") return cuda_device_count() > 0 ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);

  int index = 0;
  if (spec.rfind("cuda:", 0) == 0) {
    const char *first = spec.data() + 5, *last = spec.data() + spec.size();
    auto [end, error] = std::from_chars(first, last, index);
    if (first == last || error != std::errc() || end != last || index < 0)
      throw DeviceError("device \"" + spec + "\" is not valid: use auto, cpu, cuda or cuda:N");
  } else if (spec != "cuda") {
    throw DeviceError("device \"" + spec + "\" is not valid: use auto, cpu, cuda or cuda:N");
  }
  if (!libtorch_has_cuda())
    throw DeviceError("device \"" + spec +
                      "\" asked for CUDA, but this build's LibTorch has no CUDA support "
                      "(rebuild with -Dlibtorch=<a CUDA LibTorch>, or use device cpu)");
  const int count = cuda_device_count();
  if (count == 0)
    throw DeviceError("device \"" + spec +
                      "\" asked for CUDA, but no GPU is visible (check the driver with "
                      "nvidia-smi and CUDA_VISIBLE_DEVICES, or use device cpu)");
  if (index >= count)
    throw DeviceError("device \"" + spec + "\" does not exist: " + std::to_string(count) +
                      " GPU(s) visible, cuda:0..cuda:" + std::to_string(count - 1));
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
}

std::string describe_device(const c10::Device &device) {
  if (device.is_cpu()) return "cpu (" + std::to_string(at::get_num_threads()) + " threads)";
#ifdef GNCYCLEGAN_WITH_CUDA
  if (device.is_cuda()) {
    const cudaDeviceProp *properties = at::cuda::getDeviceProperties(device.index() < 0 ? 0 : device.index());
    char memory[32];
    std::snprintf(memory, sizeof memory, "%.1f GiB", properties->totalGlobalMem / 1073741824.0);
    return device.str() + " (" + properties->name + ", " + memory + ")";
  }
#endif
  return device.str();
}

void set_cpu_threads(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
  // LibTorch runs its own OpenMP threads around BLAS calls; OpenBLAS's pthread
  // pool, spinning beside them, slowed every op (a compact training step's
  // transposed convolutions went from 14 to 53 ms). Keep BLAS single-threaded
  // when the BLAS behind libblas.so.3 is OpenBLAS.
  using SetThreads = void (*)(int);
  if (auto set_blas_threads = reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
    set_blas_threads(1);
}

}  // namespace gncyclegan
