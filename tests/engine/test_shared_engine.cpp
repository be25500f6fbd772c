// The shared engine: who shares (same settings, or the same engine id),
// batched frames equal frames run alone, batches never mix frame sizes, a
// stream that stops never holds the others past the batch timeout, and an
// error reaches the frames it belongs to without stopping the engine.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include <torch/torch.h>

#include "engine/openvino_backend.h"
#include "engine/shared_engine.h"
#include "model/device.h"
#include "model/weights.h"
#include "tests/support/test_support.h"

namespace gncycleganir {
namespace {

namespace test = gncyclegan::test;
using Clock = std::chrono::steady_clock;

// A frame in [-1, 1] drawn from `seed` (draw in one thread: the generator is global).
torch::Tensor frame(int seed, int height = 36, int width = 52) {
  torch::manual_seed(seed);
  return torch::rand({1, 3, height, width}) * 2 - 1;
}

class SharedEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(3);
    auto config = gncyclegan::GeneratorConfig::from_name("resnet_2blocks_cbam");
    config.ngf = 8;
    auto generator = gncyclegan::make_generator(config);
    generator->eval();
    settings_.model_path = dir_.file("g.safetensors");
    gncyclegan::save_generator(settings_.model_path, *generator);
    settings_.device = "cpu";
    settings_.backend = Backend::libtorch;
    settings_.precision = Precision::fp32;
    settings_.threads = 1;
  }

  test::TemporaryDirectory dir_;
  EngineSettings settings_;
};

TEST_F(SharedEngineTest, ElementsSetUpAlikeShareAndOthersDoNot) {
  const BatchSettings batch;
  auto first = SharedEngine::acquire(settings_, batch);
  auto second = SharedEngine::acquire(settings_, batch);
  EXPECT_EQ(first.get(), second.get());
  EXPECT_EQ(first->users(), 2);
  auto same_file = settings_;
  same_file.model_path = dir_.file(".") + "/g.safetensors";  // another spelling of the same file
  EXPECT_EQ(SharedEngine::acquire(same_file, batch).get(), first.get());
  auto other_settings = settings_;
  other_settings.threads = 2;
  auto third = SharedEngine::acquire(other_settings, batch);
  EXPECT_NE(third.get(), first.get());
  BatchSettings batched;
  batched.batch_size = 4;
  EXPECT_NE(SharedEngine::acquire(settings_, batched).get(), first.get()) << "the batch settings are part of the key";
  second.reset();
  EXPECT_EQ(first->users(), 1);
}

TEST_F(SharedEngineTest, AnEngineIdSharesOnlyWithTheSameIdAndTheSameSettings) {
  const BatchSettings batch;
  auto anonymous = SharedEngine::acquire(settings_, batch);
  auto named = SharedEngine::acquire(settings_, batch, "cameras");
  EXPECT_NE(named.get(), anonymous.get()) << "a named engine is not the anonymous one";
  EXPECT_EQ(SharedEngine::acquire(settings_, batch, "cameras").get(), named.get());
  EXPECT_NE(SharedEngine::acquire(settings_, batch, "private").get(), named.get());
  auto other_settings = settings_;
  other_settings.threads = 2;
  try {
    SharedEngine::acquire(other_settings, batch, "cameras");
    FAIL() << "an engine id in use with other settings must be refused";
  } catch (const EngineError &error) {
    EXPECT_NE(std::string(error.what()).find("engine-id \"cameras\" is already running"), std::string::npos)
        << error.what();
    EXPECT_NE(std::string(error.what()).find("num-threads=2"), std::string::npos) << error.what();
  }
}

TEST_F(SharedEngineTest, TheEngineIsUnloadedWithItsLastHolderAndLoadedAgainAfter) {
  std::weak_ptr<SharedEngine> gone;
  {
    auto engine = SharedEngine::acquire(settings_, {});
    gone = engine;
  }
  EXPECT_TRUE(gone.expired());
  auto again = SharedEngine::acquire(settings_, {});
  EXPECT_EQ(again->users(), 1);
  EXPECT_EQ(again->translate(frame(1), 0, 0).sizes(), (std::vector<int64_t>{1, 1, 36, 52}));
}

// Four streams at once, each its own frame: one batch of four, and each
// stream gets what the model gives its frame alone (instance norm is per
// frame, so batching changes nothing but rounding).
void expect_batched_equals_alone(const EngineSettings &settings) {
  BatchSettings batch;
  batch.batch_size = 4;
  batch.batch_timeout = std::chrono::seconds(20);  // ample: this test is about filling, not timing
  auto shared = SharedEngine::acquire(settings, batch);
  shared->warm_up(52, 36, 0, 0);
  InferenceEngine alone(settings);
  std::vector<torch::Tensor> frames, results(4);
  for (int i = 0; i < 4; ++i) frames.push_back(frame(i));
  std::vector<std::thread> streams;
  for (int i = 0; i < 4; ++i) streams.emplace_back([&, i] { results[i] = shared->translate(frames[i], 0, 0); });
  for (auto &stream : streams) stream.join();
  const auto statistics = shared->statistics();
  EXPECT_EQ(statistics.largest_batch, 4);
  EXPECT_EQ(statistics.batches, 1);
  for (int i = 0; i < 4; ++i) {
    const auto expected = alone.translate(frames[i]);
    ASSERT_EQ(results[i].sizes(), expected.sizes());
    EXPECT_LT((results[i] - expected).abs().max().item<float>(), 1e-4) << "stream " << i;
  }
}

TEST_F(SharedEngineTest, BatchedFramesEqualFramesRunAloneWithLibTorch) { expect_batched_equals_alone(settings_); }

TEST_F(SharedEngineTest, BatchedFramesEqualFramesRunAloneWithOpenVino) {
  if (!openvino_compiled_in()) GTEST_SKIP() << "this build has no OpenVINO backend";
  settings_.backend = Backend::openvino;
  expect_batched_equals_alone(settings_);
}

// On CUDA a graph per input shape: the warm-ups record the single frame's and
// the full batch's, a partial batch (three of four) is recorded on its second
// run; every frame gives the op-by-op result.
TEST_F(SharedEngineTest, OnAGpuEachBatchSizeReplaysItsOwnCudaGraph) {
  if (gncyclegan::cuda_device_count() == 0) GTEST_SKIP() << "no GPU visible: CUDA graphs not run";
  settings_.device = "cuda";
  auto plain = settings_;
  plain.cuda_graph = false;
  InferenceEngine graphs(settings_), reference(plain);
  auto scope = graphs.use_stream();
  graphs.warm_up(52, 36, 0, 0, 1);
  graphs.warm_up(52, 36, 0, 0, 4);
  for (int batch : {1, 4, 3, 3, 3}) {
    std::vector<torch::Tensor> frames;
    for (int i = 0; i < batch; ++i) frames.push_back(frame(10 * batch + i).to(torch::kCUDA));
    const auto input = torch::cat(frames);
    const auto expected = reference.translate(input, 0, 0), got = graphs.translate(input, 0, 0);
    EXPECT_LT((got - expected).abs().max().item<float>(), 1e-4) << "batch of " << batch;
  }
  EXPECT_TRUE(graphs.replays_cuda_graph()) << graphs.cuda_graph_error();
}

// Three of four streams have stopped: the one left is not held for them
// longer than the batch timeout (it waits that long for company, then runs).
TEST_F(SharedEngineTest, AStreamLeftAloneWaitsNoLongerThanTheBatchTimeout) {
  BatchSettings batch;
  batch.batch_size = 4;
  batch.batch_timeout = std::chrono::milliseconds(300);
  auto shared = SharedEngine::acquire(settings_, batch);
  shared->warm_up(52, 36, 0, 0);
  for (int i = 0; i < 3; ++i) {
    const auto started = Clock::now();
    const auto result = shared->translate(frame(i), 0, 0);
    const auto waited = Clock::now() - started;
    EXPECT_EQ(result.size(0), 1);
    EXPECT_GE(waited, batch.batch_timeout) << "it waited for the batch to fill";
    // Not forever: the timeout, one small forward, and a loaded machine's slack.
    EXPECT_LT(waited, batch.batch_timeout + std::chrono::seconds(10));
  }
  EXPECT_EQ(shared->statistics().largest_batch, 1);
  EXPECT_EQ(shared->statistics().batches, 3);
}

TEST_F(SharedEngineTest, FramesOfDifferentSizesNeverShareABatch) {
  BatchSettings batch;
  batch.batch_size = 2;
  batch.batch_timeout = std::chrono::milliseconds(200);
  auto shared = SharedEngine::acquire(settings_, batch);
  const auto small_frame = frame(1, 36, 52), large_frame = frame(2, 48, 64);
  torch::Tensor small, large, resized;
  std::thread a([&] { small = shared->translate(small_frame, 0, 0); });
  std::thread b([&] { large = shared->translate(large_frame, 0, 0); });
  std::thread c([&] { resized = shared->translate(small_frame, 24, 16); });  // another inference size
  a.join();
  b.join();
  c.join();
  EXPECT_EQ(small.sizes(), (std::vector<int64_t>{1, 1, 36, 52}));
  EXPECT_EQ(large.sizes(), (std::vector<int64_t>{1, 1, 48, 64}));
  EXPECT_EQ(resized.sizes(), (std::vector<int64_t>{1, 1, 36, 52}));
  EXPECT_EQ(shared->statistics().largest_batch, 1);
}

TEST_F(SharedEngineTest, AnErrorReachesItsFrameAndTheEngineRunsOn) {
  auto shared = SharedEngine::acquire(settings_, {});
  EXPECT_ANY_THROW(shared->translate(torch::zeros({1, 2, 36, 52}), 0, 0)) << "two channels are no RGB frame";
  EXPECT_EQ(shared->translate(frame(1), 0, 0).size(1), 1);
}

}  // namespace
}  // namespace gncycleganir
