// The trainer's parts against hand-computed values: schedule, losses, image
// pool, and the data pipeline's determinism and alignment.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <filesystem>
#include <set>

#include <torch/torch.h>

#include "tests/support/test_support.h"
#include "tests/trainer/synthetic_data.h"
#include "trainer/dataset.h"
#include "trainer/gan_loss.h"
#include "trainer/grad_scaler.h"
#include "trainer/image_pool.h"
#include "trainer/schedule.h"

namespace gncyclegan::train {
namespace {

TEST(Schedule, ConstantThenLinearDecayAsTheReference) {
  TrainOptions o;  // lr 2e-4, 100 + 100 epochs
  EXPECT_DOUBLE_EQ(learning_rate(o, 0), 2e-4);
  EXPECT_DOUBLE_EQ(learning_rate(o, 99), 2e-4);
  EXPECT_DOUBLE_EQ(learning_rate(o, 100), 2e-4 * (1 - 1.0 / 101));
  EXPECT_DOUBLE_EQ(learning_rate(o, 149), 2e-4 * (1 - 50.0 / 101));
  EXPECT_DOUBLE_EQ(learning_rate(o, 199), 2e-4 / 101);
}

TEST(GanLoss, VanillaIsTheLogLoss) {
  auto zero = torch::zeros({1, 1, 4, 4});
  // -log(sigmoid(0)) = log 2 for real and fake alike; D's loss is halved.
  EXPECT_NEAR(discriminator_loss(GanLoss::vanilla, zero, zero).item<double>(), std::log(2.0), 1e-6);
  EXPECT_NEAR(generator_loss(GanLoss::vanilla, zero).item<double>(), std::log(2.0), 1e-6);
  auto confident = torch::full({1, 1, 4, 4}, 3.0);
  EXPECT_NEAR(generator_loss(GanLoss::vanilla, confident).item<double>(), std::log1p(std::exp(-3.0)), 1e-6);
}

TEST(GanLoss, LsganAndHingeAreZeroWhenTheDiscriminatorIsRightByAMargin) {
  auto ones = torch::ones({2, 1, 3, 3});
  EXPECT_NEAR(discriminator_loss(GanLoss::lsgan, ones, torch::zeros_like(ones)).item<double>(), 0.0, 1e-9);
  EXPECT_NEAR(discriminator_loss(GanLoss::lsgan, torch::zeros_like(ones), ones).item<double>(), 1.0, 1e-6);
  EXPECT_NEAR(discriminator_loss(GanLoss::hinge, ones, -ones).item<double>(), 0.0, 1e-9);
  EXPECT_NEAR(generator_loss(GanLoss::hinge, ones * 0.25).item<double>(), -0.25, 1e-6);
}

// fp16's loss scaling, with plain SGD (lr 1) so each step is the gradient itself.
TEST(GradScaler, ScalesUnscalesSkipsOverflowsAndGrows) {
  auto weight = torch::full({2}, 1.0).requires_grad_(true);
  torch::optim::SGD sgd({weight}, torch::optim::SGDOptions(1.0));
  GradScaler scaler(true, {8.0, 0}, /*interval=*/2);
  // d(3 w0 + 5 w1)/dw = (3, 5); scaled by 8 before backward, divided after.
  auto loss = (weight * torch::tensor({3.0, 5.0})).sum();
  EXPECT_DOUBLE_EQ(scaler.scale(loss).item<double>(), 64.0);
  scaler.scale(loss).backward();
  EXPECT_TRUE(scaler.step(sgd, {weight}));
  EXPECT_TRUE(torch::allclose(weight, torch::tensor({-2.0, -4.0})));
  scaler.update();
  EXPECT_EQ(scaler.state().scale, 8.0) << "one clean iteration of the two that double it";

  sgd.zero_grad();
  (weight * torch::tensor({std::numeric_limits<double>::infinity(), 1.0})).sum().backward();
  EXPECT_FALSE(scaler.step(sgd, {weight})) << "a non-finite gradient skips the step";
  EXPECT_TRUE(torch::allclose(weight, torch::tensor({-2.0, -4.0})));
  scaler.update();
  EXPECT_EQ(scaler.state().scale, 4.0);
  EXPECT_EQ(scaler.state().clean_steps, 0);

  for (int i = 0; i < 2; ++i) scaler.update();
  EXPECT_EQ(scaler.state().scale, 8.0) << "two clean iterations double it";

  GradScaler off(false);
  EXPECT_DOUBLE_EQ(off.scale(loss).item<double>(), loss.item<double>());
}

TEST(ImagePool, FillsThenMixesOldAndNew) {
  ImagePool pool(2);
  auto first = torch::full({1, 1, 2, 2}, 1.0), second = torch::full({1, 1, 2, 2}, 2.0);
  EXPECT_TRUE(torch::equal(pool.query(first, 0), first));
  EXPECT_TRUE(torch::equal(pool.query(second, 1), second));
  int returned_new = 0;
  for (uint64_t state = 0; state < 200; ++state) {
    auto image = torch::full({1, 1, 2, 2}, 100.0 + state);
    auto out = pool.query(image, state * 7919);
    returned_new += torch::equal(out, image);
    ASSERT_EQ(pool.images().size(), 2u);
  }
  EXPECT_GT(returned_new, 60);   // about half
  EXPECT_LT(returned_new, 140);
  ImagePool none(0);
  EXPECT_TRUE(torch::equal(none.query(first, 3), first));
}

class Data : public ::testing::Test {
 protected:
  void SetUp() override {
    test::make_synthetic_dataset(dir_.file("unpaired"), 6, 72, false);
    test::make_synthetic_dataset(dir_.file("paired"), 6, 72, true);
    options_.crop_size = 64;
    options_.load_size = 72;
  }
  TrainOptions options_for(const std::string &name) {
    TrainOptions o = options_;
    o.visible_dir = dir_.file(name + "/visible");
    o.infrared_dir = dir_.file(name + "/infrared");
    return o;
  }
  test::TemporaryDirectory dir_;
  TrainOptions options_;
};

TEST_F(Data, BatchesAreDeterministicAndShaped) {
  TrainingData data(options_for("unpaired"));
  EXPECT_EQ(data.epoch_size(), 6);
  auto a = data.batch(5), b = data.batch(5), c = data.batch(6);
  EXPECT_EQ(a.visible.sizes(), (std::vector<int64_t>{1, 3, 64, 64}));
  EXPECT_EQ(a.infrared.sizes(), (std::vector<int64_t>{1, 1, 64, 64}));
  EXPECT_TRUE(torch::equal(a.visible, b.visible));
  EXPECT_TRUE(torch::equal(a.infrared, b.infrared));
  EXPECT_FALSE(torch::equal(a.visible, c.visible));
  EXPECT_GE(a.visible.min().item<float>(), -1.0f);
  EXPECT_LE(a.visible.max().item<float>(), 1.0f);
}

TEST_F(Data, EachEpochVisitsEveryVisibleImageOnce) {
  // Whole images (native scale, crop = image size, no flip) tell which image a batch holds.
  TrainOptions o = options_for("unpaired");
  o.scale = Scale::native;
  o.crop_size = 72;
  o.flip = false;
  TrainingData full(o);
  std::set<std::vector<float>> seen;
  for (int64_t step = 6; step < 12; ++step) {
    auto image = full.batch(step).visible.flatten();
    seen.insert(std::vector<float>(image.data_ptr<float>(), image.data_ptr<float>() + image.numel()));
  }
  EXPECT_EQ(seen.size(), 6u);
}

TEST_F(Data, PairedCropsShareTheWindowAndTheFlip) {
  TrainOptions o = options_for("paired");
  o.paired_weight = 10;
  o.scale = Scale::native;  // no resampling: pixels map exactly
  TrainingData data(o);
  ASSERT_TRUE(data.paired());
  for (int64_t step = 0; step < 8; ++step) {
    auto batch = data.batch(step);
    auto rgb = ((batch.visible[0] + 1) * 127.5).round().to(torch::kInt32);
    // test::infrared_of, element-wise.
    auto expected = ((rgb[0] * 200 + rgb[1] * 110 + rgb[2] * 20).div(255, "floor") + 30).clamp(0, 255);
    auto infrared = ((batch.infrared[0][0] + 1) * 127.5).round().to(torch::kInt32);
    EXPECT_TRUE(torch::equal(infrared, expected)) << "step " << step;
  }
}

TEST_F(Data, UnmatchedPairsAreNamed) {
  TrainOptions o = options_for("paired");
  o.paired_weight = 1;
  std::filesystem::rename(dir_.file("paired/infrared/scene_003.png"), dir_.file("paired/infrared/other.png"));
  try {
    TrainingData data(o);
    FAIL() << "accepted unmatched pairs";
  } catch (const DataError &error) {
    EXPECT_NE(std::string(error.what()).find("scene_003.png"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("other.png"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace gncyclegan::train
