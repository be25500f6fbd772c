// A pool for LibTorch's CPU tensor memory. Video inference allocates the same
// sizes every frame; glibc serves blocks over 32 MB (the full model's
// activations at 640x480) with fresh mmap()ed pages every time and unmaps them
// on free, so each frame pays hundreds of thousands of page faults. The pool
// keeps freed large blocks and hands them out again for the same size, or for
// a size up to half as large.
#pragma once

#include <cstddef>

#include <c10/core/Allocator.h>
#include <torch/version.h>

namespace gncyclegan {

class CpuMemoryPool final : public c10::Allocator {
 public:
  // Blocks of at least `smallest` bytes are pooled (smaller ones go straight
  // to malloc, which serves them well). The default, glibc's initial mmap
  // threshold, also pools a frame's tensors, which many streaming threads
  // allocate and free: in glibc's per-thread arenas each thread would keep
  // megabytes of its own (measured: 2-3 MB a stream). At most `keep` bytes
  // of free blocks are kept, the rest returned to the system.
  explicit CpuMemoryPool(size_t smallest = size_t(128) << 10, size_t keep = size_t(2) << 30);
  ~CpuMemoryPool() override;
  CpuMemoryPool(const CpuMemoryPool &) = delete;
  CpuMemoryPool &operator=(const CpuMemoryPool &) = delete;

#if TORCH_VERSION_MAJOR >= 2
  c10::DataPtr allocate(size_t bytes) override;
  void copy_data(void *dest, const void *src, size_t count) const override { default_copy_data(dest, src, count); }
#else
  c10::DataPtr allocate(size_t bytes) const override;
#endif

  c10::DeleterFnPtr raw_deleter() const override;  // LibTorch's raw_allocate users (mkldnn) need one

  size_t free_bytes() const;  // held for reuse

  struct State;  // shared with the blocks out, which may outlive the pool

 private:
  State *state_;
};

// Makes every CPU tensor of this process come from one CpuMemoryPool; later
// calls do nothing. For processes that run the same network over and over
// (the element's CPU inference).
void use_cpu_memory_pool();

}  // namespace gncyclegan
