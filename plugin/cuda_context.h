// LibTorch's CUDA context as a GstCudaContext (GStreamer's CUDA library,
// gst-plugins-bad 1.22), so that the CUDAMemory buffers the element exchanges
// with its neighbours (nvh264dec, cudaconvert, nvh264enc, ...) live in the
// context LibTorch computes in and are used in place: no round trip through
// host memory. LibTorch runs on each device's primary context, so that is the
// context this wraps and offers to the pipeline. Built only with CUDA and
// gstreamer-cuda-1.0 (GNCYCLEGANIR_WITH_CUDA_MEMORY).
#pragma once

#include <gst/cuda/gstcudacontext.h>
#include <gst/gst.h>

namespace gncycleganir {

class LibTorchCudaContext {
 public:
  // Retains device `index`'s primary context and wraps it. Throws
  // std::runtime_error naming the cause (no CUDA driver, GStreamer's CUDA
  // library unusable, no such device).
  explicit LibTorchCudaContext(int index);
  ~LibTorchCudaContext();
  LibTorchCudaContext(const LibTorchCudaContext &) = delete;
  LibTorchCudaContext &operator=(const LibTorchCudaContext &) = delete;

  GstCudaContext *get() const { return context_; }
  int device_index() const { return index_; }
  // Whether every memory of `buffer` is CUDA memory of this context: memory
  // LibTorch can read and write where it is.
  bool holds(GstBuffer *buffer) const;
  // Whether `pool` is a CUDA buffer pool of this context.
  bool owns(GstBufferPool *pool) const;

 private:
  void release();

  int index_;
  int device_;      // the driver's CUdevice
  void *primary_;   // CUcontext
  GstCudaContext *context_;
};

// Whether `caps` (its first structure) asks for CUDA memory.
bool caps_in_cuda_memory(const GstCaps *caps);

}  // namespace gncycleganir
