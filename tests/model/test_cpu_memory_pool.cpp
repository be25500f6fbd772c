// The CPU memory pool: freed large blocks come back for the same size, small
// ones and those over the limit go back to the system, blocks may outlive the
// pool, and once installed LibTorch's CPU tensors come from it.
#include <gtest/gtest.h>

#include <memory>

#include <torch/torch.h>

#include "model/cpu_memory_pool.h"

namespace gncyclegan {
namespace {

TEST(CpuMemoryPool, AFreedBlockComesBackForTheSameSize) {
  CpuMemoryPool pool(/*smallest=*/1024, /*keep=*/1 << 20);
  auto first = pool.allocate(4096);
  void *const address = first.get();
  first.clear();
  EXPECT_EQ(pool.free_bytes(), 4096u);
  auto other_size = pool.allocate(8192);
  EXPECT_NE(other_size.get(), address);
  auto same_size = pool.allocate(4096);
  EXPECT_EQ(same_size.get(), address);
  EXPECT_EQ(pool.free_bytes(), 0u);
}

TEST(CpuMemoryPool, SmallBlocksAndBlocksOverTheLimitGoBackToTheSystem) {
  CpuMemoryPool pool(/*smallest=*/1024, /*keep=*/6000);
  pool.allocate(100).clear();
  EXPECT_EQ(pool.free_bytes(), 0u);
  auto a = pool.allocate(4096), b = pool.allocate(4096);
  a.clear();
  b.clear();  // 8192 would pass the limit
  EXPECT_EQ(pool.free_bytes(), 4096u);
  EXPECT_EQ(pool.allocate(0).get(), nullptr);
}

TEST(CpuMemoryPool, RawAllocationsAsMkldnnMakesThem) {
  CpuMemoryPool pool(/*smallest=*/1024, /*keep=*/1 << 20);
  void *data = pool.raw_allocate(4096);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(data) % 64, 0u) << "LibTorch's alignment";
  pool.raw_deallocate(data);
  EXPECT_EQ(pool.free_bytes(), 4096u);
  EXPECT_EQ(pool.raw_allocate(4096), data);
}

TEST(CpuMemoryPool, BlocksMayOutliveThePool) {
  auto pool = std::make_unique<CpuMemoryPool>(1024, 1 << 20);
  auto block = pool->allocate(4096);
  static_cast<char *>(block.get())[4095] = 1;
  pool.reset();
  block.clear();  // freed, not returned to a pool that is gone
}

TEST(CpuMemoryPool, OnceInstalledTensorsComeFromIt) {
  use_cpu_memory_pool();
  auto first = torch::empty({1 << 20});  // 4 MiB
  const void *address = first.data_ptr();
  first.reset();
  auto second = torch::ones({1 << 20});
  EXPECT_EQ(second.data_ptr(), address);
  EXPECT_EQ(second.sum().item<double>(), double(1 << 20));
}

}  // namespace
}  // namespace gncyclegan
