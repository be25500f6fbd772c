#include "plugin/cuda_context.h"

#include <stdexcept>
#include <string>

#include <cuda.h>
#include <cuda_runtime_api.h>
#include <gst/cuda/gstcudabufferpool.h>
#include <gst/cuda/gstcudaloader.h>
#include <gst/cuda/gstcudamemory.h>

namespace gncycleganir {
namespace {

// A driver API function, found through the CUDA runtime LibTorch already
// loads: linking libcuda itself would stop the plugin from loading on
// machines without an NVIDIA driver.
template <typename Function>
Function driver_function(const char *name) {
  void *function = nullptr;
  cudaDriverEntryPointQueryResult found = cudaDriverEntryPointSymbolNotFound;
  const cudaError_t status = cudaGetDriverEntryPointByVersion(name, &function, 12000, cudaEnableDefault, &found);
  if (status != cudaSuccess || found != cudaDriverEntryPointSuccess || !function)
    throw std::runtime_error(std::string("the CUDA driver has no ") + name + " (" + cudaGetErrorString(status) +
                             "): is the NVIDIA driver installed?");
  return reinterpret_cast<Function>(function);
}

void check(CUresult result, const char *what) {
  if (result != CUDA_SUCCESS) throw std::runtime_error(std::string(what) + " failed (CUDA error " + std::to_string(int(result)) + ")");
}

}  // namespace

LibTorchCudaContext::LibTorchCudaContext(int index) : index_(index), device_(0), primary_(nullptr), context_(nullptr) {
  if (!gst_cuda_load_library())
    throw std::runtime_error("GStreamer's CUDA library could not load the CUDA driver (libcuda.so.1)");
  gst_cuda_memory_init_once();
  using Init = CUresult (*)(unsigned int);
  using DeviceGet = CUresult (*)(CUdevice *, int);
  using PrimaryRetain = CUresult (*)(CUcontext *, CUdevice);
  check(driver_function<Init>("cuInit")(0), "initialising the CUDA driver");
  CUdevice device = 0;
  check(driver_function<DeviceGet>("cuDeviceGet")(&device, index), "finding the CUDA device");
  CUcontext primary = nullptr;
  check(driver_function<PrimaryRetain>("cuDevicePrimaryCtxRetain")(&primary, device),
        "retaining the device's primary context");
  device_ = int(device);
  primary_ = primary;
  // Wrapped, not owned: GstCudaContext leaves the primary context alone when
  // it is finalised; the retain above is released in the destructor.
  context_ = gst_cuda_context_new_wrapped(primary, device);
  if (!context_) {
    release();
    throw std::runtime_error("GStreamer's CUDA library could not wrap LibTorch's CUDA context");
  }
}

LibTorchCudaContext::~LibTorchCudaContext() { release(); }

void LibTorchCudaContext::release() {
  if (context_) gst_object_unref(context_);
  context_ = nullptr;
  if (primary_) {
    using PrimaryRelease = CUresult (*)(CUdevice);
    try {
      driver_function<PrimaryRelease>("cuDevicePrimaryCtxRelease")(CUdevice(device_));
    } catch (const std::exception &) {
      // The retain succeeded, so the driver is there; nothing to report.
    }
    primary_ = nullptr;
  }
}

bool LibTorchCudaContext::holds(GstBuffer *buffer) const {
  const guint n = gst_buffer_n_memory(buffer);
  if (n == 0) return false;
  for (guint i = 0; i < n; ++i) {
    GstMemory *memory = gst_buffer_peek_memory(buffer, i);
    if (!gst_is_cuda_memory(memory)) return false;
    GstCudaContext *owner = GST_CUDA_MEMORY_CAST(memory)->context;
    if (!owner || gst_cuda_context_get_handle(owner) != primary_) return false;
  }
  return true;
}

bool LibTorchCudaContext::owns(GstBufferPool *pool) const {
  return pool && GST_IS_CUDA_BUFFER_POOL(pool) && GST_CUDA_BUFFER_POOL(pool)->context &&
         gst_cuda_context_get_handle(GST_CUDA_BUFFER_POOL(pool)->context) == primary_;
}

bool caps_in_cuda_memory(const GstCaps *caps) {
  if (!caps || gst_caps_is_empty(caps) || gst_caps_is_any(caps)) return false;
  GstCapsFeatures *features = gst_caps_get_features(caps, 0);
  return features && gst_caps_features_contains(features, GST_CAPS_FEATURE_MEMORY_CUDA_MEMORY);
}

}  // namespace gncycleganir
