#include "model/cpu_memory_pool.h"

#include <map>
#include <new>
#include <mutex>

#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>

namespace gncyclegan {

// Shared with the blocks it hands out, so that a block freed after its pool
// (a tensor outliving the allocator at exit) is still returned safely.
struct CpuMemoryPool::State {
  size_t smallest, keep;
  mutable std::mutex mutex;
  std::multimap<size_t, void *> free;  // blocks (headers) by data size
  size_t free_bytes = 0;
  size_t users = 1;  // the pool and every block out

  // Drops one user; true when none is left.
  bool release_user() {
    std::lock_guard<std::mutex> lock(mutex);
    return --users == 0;
  }
};

namespace {

// Every block starts with this header, so that the deleter, which LibTorch
// calls with the data pointer alone (raw_deleter: mkldnn frees that way),
// finds the block's size and pool. 64 bytes keep the data 64-byte aligned.
struct alignas(64) Header {
  CpuMemoryPool::State *state;  // null for a block that is not pooled
  size_t bytes;                 // the block's size (at least what was asked for)
};

Header *header_of(void *data) { return static_cast<Header *>(data) - 1; }

void return_block(void *data) {
  if (!data) return;
  Header *header = header_of(data);
  CpuMemoryPool::State *state = header->state;
  if (!state) {
    c10::free_cpu(header);
    return;
  }
  bool kept = false;
  {
    std::lock_guard<std::mutex> lock(state->mutex);
    if (state->free_bytes + header->bytes <= state->keep) {
      state->free.emplace(header->bytes, header);
      state->free_bytes += header->bytes;
      kept = true;
    }
  }
  if (!kept) c10::free_cpu(header);
  if (state->release_user()) delete state;
}

}  // namespace

CpuMemoryPool::CpuMemoryPool(size_t smallest, size_t keep) : state_(new State{smallest, keep}) {}

CpuMemoryPool::~CpuMemoryPool() {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    for (auto &[bytes, header] : state_->free) c10::free_cpu(header);
    state_->free.clear();
    state_->free_bytes = 0;
    state_->keep = 0;  // blocks still out are freed when they come back
  }
  if (state_->release_user()) delete state_;
}

size_t CpuMemoryPool::free_bytes() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->free_bytes;
}

c10::DeleterFnPtr CpuMemoryPool::raw_deleter() const { return &return_block; }

c10::DataPtr CpuMemoryPool::allocate(size_t bytes)
#if TORCH_VERSION_MAJOR < 2
    const
#endif
{
  const c10::Device cpu(c10::kCPU);
  if (bytes == 0) return {nullptr, nullptr, &return_block, cpu};
  void *block = nullptr;
  size_t capacity = bytes;
  State *owner = nullptr;
  if (bytes >= state_->smallest) {
    owner = state_;
    std::lock_guard<std::mutex> lock(state_->mutex);
    // The smallest free block that fits, if it is at most twice the size:
    // batches of 1 to N frames then reuse each other's blocks instead of
    // each batch size keeping blocks of its own.
    auto found = state_->free.lower_bound(bytes);
    if (found != state_->free.end() && found->first / 2 <= bytes) {
      capacity = found->first;
      block = found->second;
      state_->free.erase(found);
      state_->free_bytes -= capacity;
    }
    ++state_->users;
  }
  if (!block) {
    try {
      block = c10::alloc_cpu(sizeof(Header) + bytes);
    } catch (...) {
      if (owner && owner->release_user()) delete owner;
      throw;
    }
  }
  auto *header = new (block) Header{owner, capacity};
  void *data = header + 1;
  return {data, data, &return_block, cpu};
}

void use_cpu_memory_pool() {
  static CpuMemoryPool *const pool = [] {
    auto *created = new CpuMemoryPool();  // never deleted: tensors may outlive any scope
    c10::SetCPUAllocator(created, /*priority=*/1);
    return created;
  }();
  (void)pool;
}

}  // namespace gncyclegan
