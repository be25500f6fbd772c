// The CPU memory pool: freed large blocks come back for the same size (or
// one up to half as large, the best fitting block first), small
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

// A shared engine's batches of 1 to N frames: a block freed by a larger
// batch serves a smaller one, if it is at most twice the size asked for.
TEST(CpuMemoryPool, AFreedBlockUpToTwiceTheSizeServesASmallerRequest) {
  CpuMemoryPool pool(/*smallest=*/1024, /*keep=*/1 << 20);
  auto large = pool.allocate(10000), medium = pool.allocate(7000), small = pool.allocate(5000);
  void *const medium_address = medium.get(), *const small_address = small.get();
  large.clear();
  medium.clear();
  small.clear();
  EXPECT_EQ(pool.free_bytes(), 22000u);
  auto best_fit = pool.allocate(4096);
  EXPECT_EQ(best_fit.get(), small_address) << "the smallest block that fits";
  EXPECT_EQ(pool.free_bytes(), 17000u);
  auto next = pool.allocate(4096);
  EXPECT_EQ(next.get(), medium_address);
  static_cast<char *>(next.get())[4095] = 1;
  auto too_large = pool.allocate(4096);
  EXPECT_EQ(pool.free_bytes(), 10000u) << "10000 bytes are more than twice 4096: not used";
  next.clear();
  EXPECT_EQ(pool.free_bytes(), 17000u) << "a block returns with its own size, not the size asked for";
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
