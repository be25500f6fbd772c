// Training end to end on synthetic data: the losses fall (GN on and off), a
// resumed run equals an uninterrupted one bit for bit, and the exported
// generator loads with the model library.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <numeric>
#include <tuple>

#include <nlohmann/json.hpp>

#include <torch/torch.h>

#include "model/autocast.h"
#include "model/device.h"
#include "model/weights.h"
#include "tests/support/test_support.h"
#include "tests/trainer/synthetic_data.h"
#include "trainer/checkpoint.h"
#include "trainer/cyclegan.h"
#include "trainer/dataset.h"
#include "trainer/feature_matching_loss.h"
#include "trainer/hot_target_loss.h"
#include "trainer/gradient_loss.h"
#include "trainer/training_run.h"

namespace gncyclegan::train {
namespace {

namespace fs = std::filesystem;

class Training : public ::testing::Test {
 protected:
  void SetUp() override {
    set_cpu_threads(2);
    test::make_synthetic_dataset(dir_.file("data"), 8, 72);
  }
  TrainOptions small_options() const {
    TrainOptions o;
    o.visible_dir = dir_.file("data/visible");
    o.infrared_dir = dir_.file("data/infrared");
    o.load_size = 72;
    o.crop_size = 64;
    o.ngf = 8;
    o.ndf = 8;
    o.threads = 2;
    o.workers = 1;
    o.log_every = 3600;
    return o;
  }
  // small_options() on four aligned pairs, for the paired losses.
  TrainOptions paired_options(const std::string &generator) const {
    test::make_synthetic_dataset(dir_.file("pairs"), 4, 72, true);
    TrainOptions o = small_options();
    o.visible_dir = dir_.file("pairs/visible");
    o.infrared_dir = dir_.file("pairs/infrared");
    o.generator = generator;
    return o;
  }
  test::TemporaryDirectory dir_;
};

double mean(const std::vector<double> &values, size_t first, size_t count) {
  return std::accumulate(values.begin() + first, values.begin() + first + count, 0.0) / count;
}

class LossesFall : public Training, public ::testing::WithParamInterface<bool> {};

TEST_P(LossesFall, CycleLossesFallAndEveryLossStaysFinite) {
  TrainOptions o = small_options();
  o.gradient_normalization = GetParam();
  o.generator = "resnet_6blocks_cbam";
  o.load_size = 36;  // 32-pixel crops: the 6-block generator's trunk still sees 8x8
  o.crop_size = 32;
  TrainingData data(o);
  CycleGan model(o, c10::Device(c10::kCPU));
  std::vector<double> cycle;
  constexpr int kSteps = 240;
  for (int64_t step = 0; step < kSteps; ++step) {
    StepLosses l = model.step({data.batch(step), {}}, step);
    for (double value : {l.D_A, l.D_B, l.G_A, l.G_B, l.cycle_A, l.cycle_B, l.idt_A, l.idt_B})
      ASSERT_TRUE(std::isfinite(value)) << "step " << step;
    cycle.push_back(l.cycle_A + l.cycle_B);
  }
  const double start = mean(cycle, 0, 20), end = mean(cycle, kSteps - 40, 40);
  EXPECT_LT(end, 0.6 * start) << "cycle loss " << start << " -> " << end;
}

INSTANTIATE_TEST_SUITE_P(GradientNormalization, LossesFall, ::testing::Bool(),
                         [](const auto &info) { return info.param ? "GnOn" : "GnOff"; });

std::vector<std::string> loss_rows_without_time(const std::string &path) {
  std::ifstream in(path);
  std::vector<std::string> rows;
  for (std::string line; std::getline(in, line);) rows.push_back(line.substr(0, line.rfind(',')));
  return rows;
}

TEST_F(Training, ResumingEqualsTrainingUninterruptedBitForBit) {
  TrainOptions o = small_options();
  o.generator = "resnet_2blocks_cbam";
  o.pool_size = 3;      // the pool fills and starts swapping within the run
  o.d_steps = 2;
  o.save_every = 1000;  // checkpoints only where the runs stop
  o.samples = 1;

  TrainOptions whole = o;
  whole.out_dir = dir_.file("whole");
  whole.max_steps = 12;
  ASSERT_EQ(run_training(whole), kDone);

  TrainOptions first = o;
  first.out_dir = dir_.file("halves");
  first.max_steps = 6;
  ASSERT_EQ(run_training(first), kDone);
  TrainOptions second = first;
  second.resume_dir = first.out_dir;
  second.max_steps = 12;
  ASSERT_EQ(run_training(second), kDone);

  for (const char *network : {"G_A", "G_B", "D_A", "D_B"}) {
    auto a = read_weights(latest_checkpoint(whole.out_dir) + "/" + network + ".safetensors").tensors;
    auto b = read_weights(latest_checkpoint(second.out_dir) + "/" + network + ".safetensors").tensors;
    ASSERT_EQ(a.size(), b.size());
    for (const auto &[name, tensor] : a) EXPECT_TRUE(torch::equal(tensor, b.at(name))) << network << " " << name;
  }
  EXPECT_EQ(loss_rows_without_time(whole.out_dir + "/losses.csv"), loss_rows_without_time(second.out_dir + "/losses.csv"));
}

// One step's "paired" loss column against `expected_loss` of what its
// generator update sees (training mode: batch statistics), from the same
// weights.
void expect_paired_column(const TrainOptions &o,
                          const std::function<torch::Tensor(CycleGan &, const Batch &)> &expected_loss) {
  TrainingData data(o);
  ASSERT_TRUE(data.paired());
  CycleGan model(o, c10::Device(c10::kCPU));
  const Batch batch = data.batch(0);
  double expected = 0;
  {
    torch::NoGradGuard no_grad;
    expected = expected_loss(model, batch).item<double>();
  }
  const StepLosses losses = model.step({batch, {}}, 0);
  EXPECT_GT(expected, 0);
  EXPECT_NEAR(losses.paired, expected, 1e-6 * expected);
}

TEST_F(Training, TheEdgeLossIsCountedInThePairedColumn) {
  TrainOptions o = paired_options("resnet_1blocks_cbam");
  o.paired_gradient_weight = 5;
  expect_paired_column(o, [](CycleGan &model, const Batch &batch) {
    return 5 * gradient_l1(model.G_A().forward(batch.visible), batch.infrared);
  });
}

TEST_F(Training, TheFeatureMatchingLossIsCountedInThePairedColumn) {
  TrainOptions o = paired_options("resnet_1blocks_cbam");
  o.paired_feature_matching_weight = 3;
  expect_paired_column(o, [](CycleGan &model, const Batch &batch) {
    // The infrared discriminator D_A, on G_A's output and its aligned image.
    return 3 * feature_matching_l1(model.D_A(), model.G_A().forward(batch.visible), batch.infrared);
  });
}

TEST_F(Training, TheHotTargetLossesAreCountedInThePairedColumn) {
  TrainOptions o = paired_options("resnet_1blocks_cbam");
  o.paired_target_weight = 4;
  o.paired_target_contrast_weight = 2;
  expect_paired_column(o, [](CycleGan &model, const Batch &batch) {
    // The synthetic scenes' red and yellow shapes are 140+ levels above their ground.
    const HotTargetMasks masks = hot_target_masks(batch.infrared);
    EXPECT_GT(masks.core.sum().item<double>(), 0) << "the first batch has a hot target";
    const auto fake = model.G_A().forward(batch.visible);
    return 4 * target_l1(fake, batch.infrared, masks) + 2 * target_contrast_l1(fake, batch.infrared, masks);
  });
}

// validate(o) refuses o with a message containing `reason`.
void expect_refused(const TrainOptions &o, const std::string &reason) {
  try {
    validate(o);
    ADD_FAILURE() << "accepted; expected a refusal naming: " << reason;
  } catch (const std::invalid_argument &error) {
    EXPECT_NE(std::string(error.what()).find(reason), std::string::npos) << error.what();
  }
}

TEST_F(Training, TargetCropsNeedAlignedPairs) {
  TrainOptions o = small_options();
  o.out_dir = dir_.file("run");
  o.target_crops = 4;
  expect_refused(o, "this run is unpaired");
  o.paired_target_weight = 1;
  EXPECT_NO_THROW(validate(o));
}

TEST_F(Training, TheEdgeEnergyLossShapesNeedItsWeight) {
  TrainOptions o = small_options();
  o.out_dir = dir_.file("run");
  o.paired_edge_energy_per_direction = true;
  expect_refused(o, "give --paired-edge-energy-weight");
  o.paired_edge_energy_weight = 5;
  EXPECT_NO_THROW(validate(o));
}

TEST_F(Training, TheExportedGeneratorLoadsAndTranslates) {
  TrainOptions o = small_options();
  o.generator = "resnet_2blocks_cbam";
  o.out_dir = dir_.file("run");
  o.export_path = dir_.file("exported.safetensors");
  o.max_steps = 3;
  ASSERT_EQ(run_training(o), kDone);
  for (const char *file : {"config.json", "losses.csv", "loss_curves.png", "samples/epoch_001.png",
                           "generator.safetensors", "checkpoints/latest"})
    EXPECT_TRUE(fs::exists(fs::path(o.out_dir) / file)) << file;

  auto loaded = load_generator(o.export_path);
  EXPECT_EQ(loaded.generator->config().architecture(), "resnet_2blocks_cbam");
  EXPECT_EQ(loaded.metadata.at("steps"), "3");
  EXPECT_EQ(loaded.metadata.at("gradient_normalization"), "on");
  EXPECT_EQ(loaded.metadata.at("training_visible_images"), "8");
  EXPECT_EQ(loaded.metadata.at("paired_gradient_weight"), "0");
  EXPECT_EQ(loaded.metadata.at("paired_feature_matching_weight"), "0");
  EXPECT_EQ(loaded.metadata.at("precision"), "fp32");
  torch::NoGradGuard no_grad;
  auto output = loaded.generator->forward(torch::rand({1, 3, 48, 80}) * 2 - 1);
  EXPECT_EQ(output.sizes(), (std::vector<int64_t>{1, 1, 48, 80}));
  EXPECT_LE(output.abs().max().item<float>(), 1.0f);
}

// bf16 autocast: from the same weights, the first step's losses are fp32's
// within bf16's rounding (8 significant bits: a few parts in a thousand per
// operation), every loss term and GN's double backward included, and a short
// run stays finite and is recorded as bf16.
TEST_F(Training, Bf16StepsFollowFp32WithinRoundingAndAreRecorded) {
  if (!cpu_has_native_bf16()) GTEST_SKIP() << "this CPU has no native bf16 arithmetic (AVX512-BF16 or AMX)";
  TrainOptions o = paired_options("resnet_2blocks_cbam");
  o.paired_weight = 10;
  o.paired_ssim_weight = 5;
  o.paired_gradient_weight = 5;
  o.paired_edge_energy_weight = 5;
  o.paired_edge_energy_window = 16;
  o.paired_feature_matching_weight = 5;
  o.temporal_weight = 5;
  TrainingData data(o);
  TrainOptions reduced = o;
  reduced.precision = "bf16";
  const StepLosses full = CycleGan(o, c10::Device(c10::kCPU)).step({data.batch(0), {}}, 0);
  CycleGan model(reduced, c10::Device(c10::kCPU));
  const StepLosses bf16 = model.step({data.batch(0), {}}, 0);
  for (auto [name, a, b] : {std::tuple{"G_A", full.G_A, bf16.G_A}, {"D_A", full.D_A, bf16.D_A},
                            {"cycle_A", full.cycle_A, bf16.cycle_A}, {"paired", full.paired, bf16.paired},
                            {"temporal", full.temporal, bf16.temporal}}) {
    EXPECT_GT(a, 0) << name;
    EXPECT_NEAR(b, a, 0.03 * a) << name;
  }
  for (int64_t step = 1; step < 20; ++step) {
    const StepLosses l = model.step({data.batch(step), {}}, step);
    for (double value : {l.D_A, l.D_B, l.G_A, l.G_B, l.cycle_A, l.cycle_B, l.paired, l.temporal})
      ASSERT_TRUE(std::isfinite(value)) << "step " << step;
  }

  reduced.out_dir = dir_.file("run");
  reduced.max_steps = 2;
  reduced.samples = 1;
  ASSERT_EQ(run_training(reduced), kDone);
  std::ifstream config(reduced.out_dir + "/config.json");
  EXPECT_EQ(nlohmann::json::parse(config)["options"]["precision"], "bf16");
  EXPECT_EQ(load_generator(reduced.out_dir + "/generator.safetensors").metadata.at("precision"), "bf16");
}

// Why a CPU run in `precision` is refused ("(accepted)" when it is not).
std::string cpu_refusal(TrainOptions o, const std::string &precision) {
  o.precision = precision;
  try {
    CycleGan(o, c10::Device(c10::kCPU));
  } catch (const std::invalid_argument &error) {
    return error.what();
  }
  return "(accepted)";
}

TEST_F(Training, Fp16OnTheCpuIsRefused) {
  const std::string message = cpu_refusal(small_options(), "fp16");
  EXPECT_NE(message.find("needs a CUDA GPU"), std::string::npos) << message;
}

// fp16 autocast with loss scaling on a GPU: the first step's losses are fp32's
// within fp16's rounding (11 significant bits), GN's double backward
// included, and a short run stays finite with a positive scale.
TEST_F(Training, Fp16StepsOnAGpuFollowFp32) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no GPU visible: fp16 training not run";
  TrainOptions o = paired_options("resnet_2blocks_cbam");
  o.paired_weight = 10;
  o.paired_ssim_weight = 5;
  TrainingData data(o);
  TrainOptions reduced = o;
  reduced.precision = "fp16";
  const c10::Device gpu(c10::kCUDA, 0);
  const StepLosses full = CycleGan(o, gpu).step({data.batch(0), {}}, 0);
  CycleGan model(reduced, gpu);
  const StepLosses half = model.step({data.batch(0), {}}, 0);
  for (auto [name, a, b] : {std::tuple{"G_A", full.G_A, half.G_A}, {"D_A", full.D_A, half.D_A},
                            {"cycle_A", full.cycle_A, half.cycle_A}, {"paired", full.paired, half.paired}})
    EXPECT_NEAR(b, a, 0.03 * a) << name;
  for (int64_t step = 1; step < 20; ++step) {
    const StepLosses l = model.step({data.batch(step), {}}, step);
    for (double value : {l.D_A, l.D_B, l.G_A, l.G_B, l.cycle_A, l.cycle_B, l.paired})
      ASSERT_TRUE(std::isfinite(value)) << "step " << step;
  }
  EXPECT_GT(model.scaler().state().scale, 1.0);
}

TEST_F(Training, Bf16OnACpuWithoutItIsRefused) {
  if (cpu_has_native_bf16()) GTEST_SKIP() << "this CPU has native bf16: nothing to refuse";
  const std::string message = cpu_refusal(small_options(), "bf16");
  EXPECT_NE(message.find("native bf16"), std::string::npos) << message;
}

}  // namespace
}  // namespace gncyclegan::train
