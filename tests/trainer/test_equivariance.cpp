// The equivariance loss for video without shimmer: the camera motions it
// draws, the warp, and the loss of generators that do and do not follow the
// camera, checked against hand-computed values.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <torch/torch.h>

#include "model/weights.h"
#include "tests/support/test_support.h"
#include "tests/trainer/synthetic_data.h"
#include "trainer/cyclegan.h"
#include "trainer/dataset.h"
#include "trainer/equivariance_loss.h"
#include "trainer/loss_log.h"
#include "trainer/training_run.h"

namespace gncyclegan::train {
namespace {

// Pixel (y, x) = x + 10 y: any shift shows in every pixel.
torch::Tensor ramp(int64_t h, int64_t w) {
  auto x = torch::arange(w, torch::kFloat64).view({1, 1, 1, w});
  auto y = torch::arange(h, torch::kFloat64).view({1, 1, h, 1});
  return (x + 10 * y).expand({1, 1, h, w}).contiguous();
}

TEST(CameraMotion, DrawsAreWithinTheStatedRangesAndRepeatable) {
  double largest_shift = 0;
  for (uint64_t state = 0; state < 2000; ++state) {
    const CameraMotion m = random_camera_motion(state);
    EXPECT_LE(std::abs(m.shift_x), 2.0);
    EXPECT_LE(std::abs(m.shift_y), 2.0);
    EXPECT_LE(std::abs(m.scale - 1), 0.02);
    EXPECT_LE(std::abs(m.angle), M_PI / 180);
    largest_shift = std::max(largest_shift, std::abs(m.shift_x));
  }
  EXPECT_GT(largest_shift, 1.9) << "the draws cover the range";
  EXPECT_EQ(random_camera_motion(7).shift_x, random_camera_motion(7).shift_x);
  EXPECT_NE(random_camera_motion(7).shift_x, random_camera_motion(8).shift_x);
}

TEST(Warp, NoMotionKeepsTheImageAndAShiftMovesItByWholePixels) {
  const auto image = ramp(6, 8);
  torch::Tensor valid;
  EXPECT_LT((warp(image, {}, &valid) - image).abs().max().item<double>(), 1e-9);
  EXPECT_EQ(valid.sum().item<double>(), 48) << "every pixel is sampled from inside";

  CameraMotion right;
  right.shift_x = 1;  // output pixel x samples input pixel x + 1
  const auto shifted = warp(image, right, &valid);
  EXPECT_LT((shifted.narrow(3, 0, 7) - image.narrow(3, 1, 7)).abs().max().item<double>(), 1e-9);
  EXPECT_EQ(valid.narrow(3, 7, 1).sum().item<double>(), 0) << "the last column samples outside";
  EXPECT_EQ(valid.sum().item<double>(), 42);

  CameraMotion quarter_turn;  // about the centre of a square image: (x, y) samples (-y, x) around it
  quarter_turn.angle = M_PI / 2;
  const auto square = ramp(5, 5);
  const auto turned = warp(square, quarter_turn);
  // Output (y=0, x=2), 2 above the centre, samples 2 right of it: (y=2, x=4) = 24.
  EXPECT_NEAR(turned[0][0][0][2].item<double>(), 24, 1e-9);
}

TEST(EquivarianceLoss, APointwiseGeneratorFollowsAShiftAndAPositionalOneDoesNot) {
  const auto x = torch::rand({2, 3, 16, 16}, torch::kFloat64) * 2 - 1;
  CameraMotion shift;
  shift.shift_x = 1;
  shift.shift_y = -2;
  auto pointwise = [](const torch::Tensor &images) { return torch::tanh(2 * images.mean(1, true)); };
  EXPECT_LT(equivariance_l1(pointwise(x), pointwise(warp(x, shift)), shift).item<double>(), 1e-9);
  // A generator that adds its pixel's position, x + 10 y, differs from its
  // warped output by the ramp's change over the shift: |1 + 10 · (-2)| = 19.
  auto positional = [&](const torch::Tensor &images) { return pointwise(images) + ramp(16, 16); };
  EXPECT_NEAR(equivariance_l1(positional(x), positional(warp(x, shift)), shift).item<double>(), 19, 1e-9);
}

TEST(EquivarianceLoss, ATrainingStepCountsItOnlyWhenAsked) {
  test::TemporaryDirectory dir;
  TrainOptions o = test::tiny_run(dir.path().string(), "resnet_1blocks_cbam", 4);
  TrainingData data(o);
  const Batch batch = data.batch(0);
  EXPECT_EQ(CycleGan(o, c10::Device(c10::kCPU)).step({batch, {}}, 0).temporal, 0);
  o.temporal_weight = 3;
  const StepLosses losses = CycleGan(o, c10::Device(c10::kCPU)).step({batch, {}}, 0);
  // A fresh generator does not follow the camera, but its output is in [-1, 1].
  EXPECT_GT(losses.temporal, 0);
  EXPECT_LT(losses.temporal, 3 * 2);
}

TEST(EquivarianceLoss, ItsWeightIsRecordedAndOlderLossLogsResume) {
  test::TemporaryDirectory dir;
  TrainOptions o = test::tiny_run(dir.path().string(), "resnet_1blocks_cbam", 4);
  o.temporal_weight = 2.5;
  o.max_steps = 2;
  o.out_dir = dir.file("run");
  ASSERT_EQ(run_training(o), kDone);
  EXPECT_EQ(load_generator(dir.file("run/generator.safetensors")).metadata.at("temporal_weight"), "2.5");
  std::ifstream csv(dir.file("run/losses.csv"));
  std::string header;
  std::getline(csv, header);
  EXPECT_NE(header.find(",paired,temporal,"), std::string::npos) << header;

  // A losses.csv written before the temporal column: its rows are kept, with
  // their seconds, when such a run resumes.
  std::ofstream(dir.file("old.csv")) << "step,epoch,lr,D_A,D_B,G_A,G_B,cycle_A,cycle_B,idt_A,idt_B,paired,seconds\n"
                                        "1,0,0.0002,0.5,0.5,0.7,0.7,1,1,0,0,0,12.5\n";
  LossLog log(dir.file("old.csv"), 1);
  ASSERT_EQ(log.rows().size(), 1u);
  EXPECT_EQ(log.rows()[0].seconds, 12.5);
  EXPECT_EQ(log.rows()[0].losses.temporal, 0);
}

}  // namespace
}  // namespace gncyclegan::train
