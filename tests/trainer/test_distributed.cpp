// Data-parallel training over c10d's Gloo process group, on loopback: ranks as
// threads of this process, to compare their weights directly, and as
// processes started the way torchrun starts them, one of which dies.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "model/device.h"
#include "model/weights.h"
#include "tests/support/test_support.h"
#include "tests/trainer/synthetic_data.h"
#include "trainer/cyclegan.h"
#include "trainer/dataset.h"
#include "trainer/distributed.h"

namespace gncyclegan::train {
namespace {

namespace fs = std::filesystem;

// A TCP socket listening on a free loopback port, held until destroyed.
class Listener {
 public:
  Listener() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (bind(fd_, reinterpret_cast<sockaddr *>(&address), length) != 0 || listen(fd_, 1) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr *>(&address), &length) != 0)
      throw std::runtime_error("cannot listen on a loopback port");
    port_ = ntohs(address.sin_port);
  }
  ~Listener() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

// A port that was free a moment ago, for a rendezvous.
int free_port() { return Listener().port(); }

DistributedOptions rank_of(int rank, int world, int port) {
  DistributedOptions o;
  o.world_size = world;
  o.rank = rank;
  o.master_addr = "127.0.0.1";
  o.master_port = port;
  o.timeout_seconds = 60;
  return o;
}

std::vector<torch::Tensor> state_of(CycleGan &model) {
  std::vector<torch::Tensor> state;
  for (torch::nn::Module *network : {static_cast<torch::nn::Module *>(&model.G_A()), static_cast<torch::nn::Module *>(&model.G_B()),
                                     static_cast<torch::nn::Module *>(&model.D_A()), static_cast<torch::nn::Module *>(&model.D_B())})
  {
    for (const auto &parameter : network->parameters()) state.push_back(parameter.detach().clone());
    for (const auto &buffer : network->buffers()) state.push_back(buffer.clone());
  }
  return state;
}

class DataParallelTraining : public ::testing::Test {
 protected:
  void SetUp() override {
    set_cpu_threads(1);
    test::make_synthetic_dataset(dir_.file("pairs"), 4, 72, true);
  }
  TrainOptions options() const {
    TrainOptions o;
    o.visible_dir = dir_.file("pairs/visible");
    o.infrared_dir = dir_.file("pairs/infrared");
    o.load_size = 72;
    o.crop_size = 64;
    o.generator = "resnet_2blocks_cbam";
    o.ngf = 8;
    o.ndf = 8;
    o.paired_weight = 10;
    o.paired_ssim_weight = 5;
    o.workers = 1;
    return o;
  }

  struct Rank {
    std::unique_ptr<CycleGan> model;
    std::vector<StepLosses> losses;
    std::string failure;
  };
  // `world` ranks, as threads, train `steps` steps; every rank's model and
  // losses. In float64 where asked (weights and images).
  std::vector<Rank> train_ranks(const TrainOptions &o, int world, int steps, bool float64 = false) {
    std::vector<Rank> ranks(world);
    // Built one after the other: the initialisation draws from LibTorch's one
    // global generator, so rank 0 starts as a single process would.
    {
      DefaultDtype dtype(float64);
      for (auto &rank : ranks) rank.model = std::make_unique<CycleGan>(o, c10::Device(c10::kCPU));
    }
    const int port = free_port();
    std::vector<std::thread> threads;
    for (int r = 0; r < world; ++r)
      threads.emplace_back([&, r] {
        try {
          DataParallel parallel(rank_of(r, world, port), c10::Device(c10::kCPU));
          TrainingData data(o, Shard{r, world});
          ranks[r].model->use_data_parallel(parallel);
          for (int64_t step = 0; step < steps; ++step)
            ranks[r].losses.push_back(ranks[r].model->step({in(data.batch(step), float64), {}}, step));
        } catch (const std::exception &error) {
          ranks[r].failure = error.what();
        }
      });
    for (auto &thread : threads) thread.join();
    return ranks;
  }
  // LibTorch's default dtype set to float64 while it lives, when asked.
  class DefaultDtype {
   public:
    explicit DefaultDtype(bool float64) : previous_(torch::get_default_dtype()) {
      if (float64) torch::set_default_dtype(caffe2::TypeMeta::Make<double>());
    }
    ~DefaultDtype() { torch::set_default_dtype(previous_); }

   private:
    caffe2::TypeMeta previous_;
  };
  static Batch in(Batch batch, bool float64) {
    if (float64) batch = {batch.visible.to(torch::kFloat64), batch.infrared.to(torch::kFloat64), torch::Tensor()};
    return batch;
  }
  test::TemporaryDirectory dir_;
};

TEST(DistributedOptions, HalfSetEnvironmentsAreRefusedWithTheMissingPiece) {
  auto message = [](DistributedOptions o) {
    try {
      validate(o);
    } catch (const std::invalid_argument &error) {
      return std::string(error.what());
    }
    return std::string("(accepted)");
  };
  DistributedOptions o;
  o.world_size = 2;
  EXPECT_NE(message(o).find("MASTER_ADDR is not set"), std::string::npos) << message(o);
  o.master_addr = "127.0.0.1";
  EXPECT_NE(message(o).find("MASTER_PORT is not set"), std::string::npos) << message(o);
  o.master_port = 29500;
  EXPECT_EQ(message(o), "(accepted)");
  o.rank = 2;
  EXPECT_NE(message(o).find("RANK 2 is outside the world: WORLD_SIZE is 2"), std::string::npos) << message(o);
  EXPECT_EQ(message(DistributedOptions{}), "(accepted)") << "one process needs no rendezvous";
}

TEST(DistributedOptions, ACpuRunUsesGlooAndRefusesNccl) {
  DistributedOptions o = rank_of(0, 2, 1);
  EXPECT_EQ(rank_device("auto", o).is_cuda(), cuda_device_count() > 0);
  o.backend = "nccl";
  try {
    DataParallel parallel(o, c10::Device(c10::kCPU));
    ADD_FAILURE() << "NCCL on the CPU was accepted";
  } catch (const std::invalid_argument &error) {
    EXPECT_NE(std::string(error.what()).find("needs CUDA devices"), std::string::npos) << error.what();
  }
}

TEST_F(DataParallelTraining, EachRankTrainsOnItsOwnShareOfTheStepsImages) {
  TrainOptions two = options();
  two.batch_size = 2;
  const TrainingData whole(two);
  TrainOptions one = options();
  const TrainingData rank0(one, Shard{0, 2}), rank1(one, Shard{1, 2});
  EXPECT_EQ(rank0.steps_per_epoch(), whole.steps_per_epoch()) << "4 pairs, 2 images per step";
  for (int64_t step = 0; step < 4; ++step) {
    const auto all = whole.choices(step);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(rank0.choices(step), std::vector<ImageChoice>{all[0]}) << step;
    EXPECT_EQ(rank1.choices(step), std::vector<ImageChoice>{all[1]}) << step;
    EXPECT_FALSE(all[0] == all[1]) << "disjoint images within a step";
    // The same crops and flips as in the one batch of both.
    const Batch batch = whole.batch(step), first = rank0.batch(step), second = rank1.batch(step);
    EXPECT_TRUE(torch::equal(first.visible[0], batch.visible[0])) << step;
    EXPECT_TRUE(torch::equal(second.visible[0], batch.visible[1])) << step;
    EXPECT_TRUE(torch::equal(second.infrared[0], batch.infrared[1])) << step;
  }
}

TEST_F(DataParallelTraining, TwoRanksHoldBitIdenticalWeightsAfterTraining) {
  auto ranks = train_ranks(options(), 2, 3);  // image pools on: each rank has its own
  for (const auto &rank : ranks) ASSERT_TRUE(rank.failure.empty()) << rank.failure;
  const auto a = state_of(*ranks[0].model), b = state_of(*ranks[1].model);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_TRUE(torch::equal(a[i], b[i])) << "parameter " << i;
  EXPECT_NE(ranks[0].losses[0].paired, ranks[1].losses[0].paired) << "the ranks trained on different images";
}

// Two ranks of one image each take the step one process takes on both images:
// every loss is a mean over the batch's images, and the ranks average their
// gradients. (Without CBAM: its BatchNorm normalises over a rank's own
// images, as DistributedDataParallel without SyncBatchNorm does, so there a
// rank's batch of 1 is normalised as the paper's batch of 1.) In float32 the two differ by rounding (a batch of 2 against two
// of 1, the all-reduce's order of addition), and Adam, which divides each
// update by the gradient's own size, turns rounding noise in near-zero
// gradients into steps of ±lr. In float64 the losses agree to 1e-9, and the
// weights to 1e-6: Adam's step lr·g/(|g| + ε) turns a gradient difference δ
// into at most lr·δ/ε = 2e4·δ, and float64 gradients differ by ~1e-13, while a
// missing or wrong average would move weights by about lr = 2e-4 a step.
TEST_F(DataParallelTraining, TwoRanksOfOneImageEqualOneRankOfTwo) {
  constexpr int kSteps = 3;
  TrainOptions o = options();
  o.generator = "resnet_2blocks";
  o.pool_size = 0;  // a pool hands each rank other images than the single process's
  auto ranks = train_ranks(o, 2, kSteps, /*float64=*/true);
  for (const auto &rank : ranks) ASSERT_TRUE(rank.failure.empty()) << rank.failure;

  TrainOptions both = o;
  both.batch_size = 2;
  const TrainingData data(both);
  std::unique_ptr<CycleGan> single;
  {
    DefaultDtype dtype(true);
    single = std::make_unique<CycleGan>(both, c10::Device(c10::kCPU));
  }
  std::vector<StepLosses> single_losses;
  for (int64_t step = 0; step < kSteps; ++step) single_losses.push_back(single->step({in(data.batch(step), true), {}}, step));

  for (int64_t step = 0; step < kSteps; ++step) {
    const auto &a = ranks[0].losses[step], &b = ranks[1].losses[step], &whole = single_losses[step];
    EXPECT_NEAR((a.paired + b.paired) / 2, whole.paired, 1e-9 * whole.paired) << "step " << step;
    EXPECT_NEAR((a.G_A + b.G_A) / 2, whole.G_A, 1e-9 * whole.G_A) << "step " << step;
    EXPECT_NEAR((a.D_A + b.D_A) / 2, whole.D_A, 1e-9 * whole.D_A) << "step " << step;
  }
  const auto parallel = state_of(*ranks[0].model), alone = state_of(*single);
  ASSERT_EQ(parallel.size(), alone.size());
  for (size_t i = 0; i < parallel.size(); ++i)
    EXPECT_LT((parallel[i] - alone[i]).abs().max().item<double>(), 1e-6) << "parameter " << i;
}

// gncyclegan-train as torchrun starts it: one process per rank, told its place
// by WORLD_SIZE, RANK, MASTER_ADDR and MASTER_PORT.
class DistributedCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const char *binary = std::getenv("GNCYCLEGAN_TRAIN");
    ASSERT_TRUE(binary) << "GNCYCLEGAN_TRAIN must name the gncyclegan-train binary (meson test sets it)";
    binary_ = binary;
    test::make_synthetic_dataset(dir_.file("data"), 8, 72, true);
  }
  std::string arguments(const std::string &out) const {
    return "--visible '" + dir_.file("data/visible") + "' --infrared '" + dir_.file("data/infrared") +
           "' --paired-weight 10 --load-size 72 --crop-size 64 --ngf 4 --ndf 4 --generator resnet_1blocks_cbam "
           "--workers 1 --threads 1 --save-every 1 --out '" + out + "'";
  }
  std::string rank_command(int rank, int port, const std::string &more) const {
    return "env WORLD_SIZE=2 RANK=" + std::to_string(rank) + " LOCAL_RANK=" + std::to_string(rank) +
           " MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port) + " '" + binary_ + "' " + more;
  }
  int logged_steps(const std::string &out) const {
    std::ifstream log(out + "/losses.csv");
    std::string line;
    int lines = 0;
    while (std::getline(log, line)) ++lines;
    return lines - 1;
  }
  std::string binary_;
  test::TemporaryDirectory dir_;
};

TEST_F(DistributedCli, AHalfSetEnvironmentIsOneClearError) {
  test::CommandResult result = test::run_command(
      "WORLD_SIZE=2 RANK=0 '" + binary_ + "' " + arguments(dir_.file("r")), dir_.file("output.txt"));
  EXPECT_EQ(result.status, 1) << result.output;
  EXPECT_NE(result.output.find("WORLD_SIZE is 2 but MASTER_ADDR is not set"), std::string::npos) << result.output;

  result = test::run_command("WORLD_SIZE=2 RANK=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29500 '" + binary_ + "' " +
                                 arguments(dir_.file("r")),
                             dir_.file("output.txt"));
  EXPECT_EQ(result.status, 1) << result.output;
  EXPECT_NE(result.output.find("RANK 2 is outside the world"), std::string::npos) << result.output;

  Listener taken;
  result = test::run_command(rank_command(0, taken.port(), arguments(dir_.file("r")) + " --dist-timeout 10"),
                             dir_.file("output.txt"));
  EXPECT_EQ(result.status, 1) << result.output;
  EXPECT_NE(result.output.find("is the port in use?"), std::string::npos) << result.output;
}

TEST_F(DistributedCli, TwoProcessesTrainAndRankZeroWritesTheRun) {
  const std::string out = dir_.file("run");
  const int port = free_port();
  test::BackgroundCommand rank1(rank_command(1, port, arguments(out) + " --max-steps 6"), dir_.file("rank1.txt"));
  test::CommandResult rank0 =
      test::run_command(rank_command(0, port, arguments(out) + " --max-steps 6"), dir_.file("rank0.txt"));
  EXPECT_EQ(rank0.status, 0) << rank0.output;
  EXPECT_EQ(rank1.wait(60), 0) << rank1.output();
  EXPECT_NE(rank0.output.find("data parallel: 2 ranks (gloo), 2 images per step"), std::string::npos) << rank0.output;
  const auto config = nlohmann::json::parse(std::ifstream(out + "/config.json"));
  EXPECT_EQ(config["distributed"]["world_size"], 2);
  EXPECT_EQ(config["data"]["steps_per_epoch"], 4) << "8 pairs, 2 per step";
  EXPECT_EQ(logged_steps(out), 6);
  const auto generator = load_generator(out + "/generator.safetensors");
  EXPECT_EQ(generator.metadata.at("world_size"), "2");
  EXPECT_EQ(generator.metadata.at("steps"), "6");
}

TEST_F(DistributedCli, ARankThatDiesStopsTheOtherWithItsNameAndTheRunResumes) {
  const std::string out = dir_.file("run");
  const int port = free_port();
  test::BackgroundCommand rank0(rank_command(0, port, arguments(out) + " --max-steps 100000"), dir_.file("rank0.txt"));
  test::BackgroundCommand rank1(rank_command(1, port, arguments(out) + " --max-steps 100000"), dir_.file("rank1.txt"));
  // Past the first checkpoint (4 steps an epoch), however loaded the machine.
  for (int i = 0; i < 1200 && logged_steps(out) < 6 && rank0.running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_GE(logged_steps(out), 6) << rank0.output();
  ASSERT_TRUE(fs::exists(out + "/checkpoints/latest"));

  rank1.signal(SIGKILL);
  const auto killed = std::chrono::steady_clock::now();
  EXPECT_EQ(rank0.wait(60), 1) << rank0.output();
  EXPECT_LT(std::chrono::steady_clock::now() - killed, std::chrono::seconds(60));
  const std::string output = rank0.output();
  EXPECT_NE(output.find("rank 0 lost rank 1"), std::string::npos) << output;
  EXPECT_NE(output.find("which has exited"), std::string::npos) << output;
  EXPECT_NE(output.find("continue with --resume"), std::string::npos) << output;

  std::ifstream latest(out + "/checkpoints/latest");
  std::string name;
  latest >> name;
  const int reached = std::stoi(name.substr(5));
  const std::string more = "--resume '" + out + "' --max-steps " + std::to_string(reached + 2);
  const int next_port = free_port();
  test::BackgroundCommand resumed1(rank_command(1, next_port, more), dir_.file("resumed1.txt"));
  test::CommandResult resumed0 = test::run_command(rank_command(0, next_port, more), dir_.file("resumed0.txt"));
  EXPECT_EQ(resumed0.status, 0) << resumed0.output;
  EXPECT_EQ(resumed1.wait(60), 0) << resumed1.output();
  EXPECT_NE(resumed0.output.find("resuming"), std::string::npos) << resumed0.output;
  EXPECT_EQ(load_generator(out + "/generator.safetensors").metadata.at("steps"), std::to_string(reached + 2));
}

TEST_F(DistributedCli, ARankThatHangsFailsTheOtherAfterTheTimeout) {
  const std::string out = dir_.file("run");
  const int port = free_port();
  const std::string more = arguments(out) + " --max-steps 100000 --dist-timeout 5";
  test::BackgroundCommand rank0(rank_command(0, port, more), dir_.file("rank0.txt"));
  test::BackgroundCommand rank1(rank_command(1, port, more), dir_.file("rank1.txt"));
  for (int i = 0; i < 1200 && logged_steps(out) < 2 && rank0.running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_GE(logged_steps(out), 2) << rank0.output();
  rank1.signal(SIGSTOP);
  EXPECT_EQ(rank0.wait(60), 1) << rank0.output();
  EXPECT_NE(rank0.output().find("no answer within --dist-timeout 5 s"), std::string::npos) << rank0.output();
  rank1.signal(SIGCONT);
}

// Debian's torchrun (python3-torch 1.13) starting the trainer itself; on
// Python 3.11 it needs non-zero --redirects and --tee to start at all.
TEST_F(DistributedCli, TorchrunStartsTheRanks) {
  if (!fs::exists("/usr/bin/torchrun")) GTEST_SKIP() << "no /usr/bin/torchrun (python3-torch): torchrun launch not run";
  const std::string out = dir_.file("run");
  test::CommandResult result = test::run_command(
      "cd '" + dir_.file("") + "' && /usr/bin/torchrun --standalone --nproc_per_node 2 --redirects 2 --tee 2 --no_python '" +
          binary_ + "' " + arguments(out) + " --max-steps 4",
      dir_.file("output.txt"));
  EXPECT_EQ(result.status, 0) << result.output;
  const auto config = nlohmann::json::parse(std::ifstream(out + "/config.json"));
  EXPECT_EQ(config["distributed"]["world_size"], 2) << result.output;
  EXPECT_EQ(load_generator(out + "/generator.safetensors").metadata.at("steps"), "4");
}

}  // namespace
}  // namespace gncyclegan::train
