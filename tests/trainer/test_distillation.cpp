// Distillation from a teacher generator: the loss against hand-computed values,
// zero when the student is the teacher, gradients that reach the student only,
// and the options that name a teacher, recorded with the weights.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <torch/torch.h>

#include "model/weights.h"
#include "tests/support/test_support.h"
#include "tests/trainer/synthetic_data.h"
#include "trainer/cyclegan.h"
#include "trainer/dataset.h"
#include "trainer/distillation.h"
#include "trainer/loss_log.h"
#include "trainer/training_run.h"

namespace gncyclegan::train {
namespace {

// A visible -> infrared generator without CBAM (its BatchNorm would make the
// training-mode student differ from the eval-mode teacher), saved to `path`.
std::shared_ptr<Generator> saved_teacher(const std::string &path, const std::string &architecture = "resnet_1blocks",
                                         int64_t in_channels = 3) {
  torch::manual_seed(5);
  auto generator = make_generator(GeneratorConfig::from_name(architecture, in_channels, 1, 8));
  save_generator(path, *generator);
  return generator;
}

TEST(DistillationLoss, IsTheWeightedL1AndSsimAgainstTheTeacher) {
  const auto teacher = torch::rand({2, 1, 32, 32}) * 1.6 - 0.8;
  EXPECT_EQ(distillation_loss(teacher.clone(), teacher, 50, 40).item<double>(), 0);
  // Off by 0.1 everywhere: L1 = 0.1; SSIM of a constant shift is below 1.
  const auto shifted = teacher + 0.1;
  EXPECT_NEAR(distillation_loss(shifted, teacher, 50, 0).item<double>(), 5.0, 1e-5);
  const double with_ssim = distillation_loss(shifted, teacher, 0, 40).item<double>();
  EXPECT_GT(with_ssim, 0);
  EXPECT_LT(with_ssim, 40);
}

// Off the targets: a student that differs from the teacher only where `where`
// is 0 has nothing to learn from it.
TEST(DistillationLoss, OffTheTargetsOnlyThePixelsOutsideThemCount) {
  const auto teacher = torch::rand({2, 1, 32, 32}) * 1.6 - 0.8;
  auto where = torch::zeros({2, 1, 32, 32});
  where.slice(3, 24) = 1;  // columns 24..31; SSIM's window reaches 5 pixels
  auto student = teacher.clone();
  student.slice(3, 0, 8) += 0.5;  // columns 0..7, far from them
  EXPECT_EQ(distillation_loss(student, teacher, 50, 0, where).item<double>(), 0);
  EXPECT_NEAR(distillation_loss(student, teacher, 0, 40, where).item<double>(), 0, 1e-4);
  EXPECT_GT(distillation_loss(student, teacher, 50, 40).item<double>(), 1);  // without `where` they count
  // Off by 0.1 everywhere: the mean over the 2 x 32 x 8 pixels kept is 0.1.
  EXPECT_NEAR(distillation_loss(teacher + 0.1, teacher, 50, 0, where).item<double>(), 5.0, 1e-5);
  // A batch that is all target: nothing to compare.
  EXPECT_EQ(distillation_loss(teacher + 0.1, teacher, 50, 40, torch::zeros_like(where)).item<double>(), 0);
}

TEST(DistillationLoss, GradientsReachTheStudentOnly) {
  test::TemporaryDirectory dir;
  saved_teacher(dir.file("teacher.safetensors"));
  Teacher teacher(dir.file("teacher.safetensors"), c10::Device(c10::kCPU), 3, 1, 32);
  torch::manual_seed(9);
  auto student = make_generator(GeneratorConfig::from_name("resnet_1blocks", 3, 1, 8));
  const auto visible = torch::rand({1, 3, 32, 32}) * 2 - 1;
  distillation_loss(student->forward(visible), teacher.translate(visible), 50, 40).backward();
  for (const auto &parameter : teacher.generator().parameters()) {
    EXPECT_FALSE(parameter.requires_grad());
    EXPECT_FALSE(parameter.grad().defined());
  }
  double student_gradient = 0;
  for (const auto &parameter : student->parameters())
    if (parameter.grad().defined()) student_gradient += parameter.grad().abs().sum().item<double>();
  EXPECT_GT(student_gradient, 0);
}

// The student starting from the teacher's own weights has nothing to learn
// from it; a student of another architecture has.
// Rows repeating every P pixels, hand-made: c + a·cos(2πy/P). With H - 1 a
// multiple of P the reflected borders continue the pattern exactly, so the
// band-stop leaves the constant alone everywhere, borders included.
TEST(RowNotch, TakesOutRowsOfItsPeriodAndPassesTheRest) {
  for (const int period : {4, 6}) {
    const int64_t height = 12 * period + 1, width = 9;
    const auto y = torch::arange(height, torch::kFloat32).view({1, 1, height, 1}).expand({1, 1, height, width});
    const auto x = torch::arange(width, torch::kFloat32).view({1, 1, 1, width}).expand({1, 1, height, width});
    const auto stripes = 0.2 + 0.5 * torch::cos(2 * M_PI * y / period);
    EXPECT_LT((without_row_period(stripes, period) - 0.2).abs().max().item<double>(), 1e-5) << "period " << period;
    // A pattern along the rows, and rows changing slowly (period 8P), pass.
    const auto across = 0.3 * torch::cos(2 * M_PI * x / 4) - 0.1;
    EXPECT_LT((without_row_period(across, period) - across).abs().max().item<double>(), 1e-5);
    const auto slow = 0.6 * torch::cos(2 * M_PI * y / (8 * period));
    EXPECT_LT((without_row_period(slow, period) - slow).abs().max().item<double>(), 0.002 * 0.6) << "within 0.2 %";
    // Both at once: only the stripes go.
    const auto both = torch::cat({stripes + slow, across}, 1);
    const auto kept = torch::cat({0.2 + slow, across}, 1);
    EXPECT_LT((without_row_period(both, period) - kept).abs().max().item<double>(), 0.002 * 0.6);
  }
  EXPECT_THROW(without_row_period(torch::zeros({1, 1, 12, 8}), 4), c10::Error) << "too short for its kernel";
}

TEST(RowNotch, TheTeacherTakesItsStripesOutOnlyWhenAsked) {
  test::TemporaryDirectory dir;
  const auto generator = saved_teacher(dir.file("teacher.safetensors"));
  generator->eval();
  const auto visible = torch::rand({2, 3, 64, 64}) * 2 - 1;
  const auto plain = generator->forward(visible).detach();
  Teacher as_is(dir.file("teacher.safetensors"), c10::Device(c10::kCPU), 3, 1, 64);
  EXPECT_TRUE(torch::allclose(as_is.translate(visible), plain, 0, 1e-6));
  Teacher notched(dir.file("teacher.safetensors"), c10::Device(c10::kCPU), 3, 1, 64, 4);
  EXPECT_TRUE(torch::allclose(notched.translate(visible), without_row_period(plain, 4).clamp(-1, 1), 0, 1e-6));
  EXPECT_FALSE(torch::allclose(notched.translate(visible), plain, 0, 1e-3));
}

TEST(Distillation, ATrainingStepCountsItAndAStudentThatIsTheTeacherHasNoLoss) {
  test::TemporaryDirectory dir;
  TrainOptions o = test::tiny_run(dir.path().string(), "resnet_1blocks", 8);
  TrainingData data(o);
  const Batch batch = data.batch(0);
  EXPECT_EQ(CycleGan(o, c10::Device(c10::kCPU)).step({batch, {}}, 0).distill, 0);

  const auto teacher = saved_teacher(dir.file("teacher.safetensors"));
  o.distill_from = dir.file("teacher.safetensors");
  o.distill_weight = 50;
  o.distill_ssim_weight = 40;
  CycleGan same(o, c10::Device(c10::kCPU));
  load_module_tensors(same.G_A(), module_tensors(*teacher), "test");
  EXPECT_NEAR(same.step({batch, {}}, 0).distill, 0, 1e-5);

  o.generator = "unshuffle2_1blocks";
  const StepLosses other = CycleGan(o, c10::Device(c10::kCPU)).step({batch, {}}, 0);
  EXPECT_GT(other.distill, 0);
  EXPECT_LT(other.distill, 50 * 2 + 40 * 2);  // L1 of outputs in [-1, 1]; 1 - SSIM at most 2
}

TEST(Distillation, ATeacherThatCannotServeIsRefusedWithTheReason) {
  test::TemporaryDirectory dir;
  saved_teacher(dir.file("infrared-to-visible.safetensors"), "resnet_1blocks", 1);
  try {
    Teacher(dir.file("infrared-to-visible.safetensors"), c10::Device(c10::kCPU), 3, 1, 64);
    FAIL() << "a 1 -> 1 channel teacher was accepted";
  } catch (const WeightsError &error) {
    EXPECT_NE(std::string(error.what()).find("visible -> infrared"), std::string::npos) << error.what();
  }
  saved_teacher(dir.file("unshuffle8.safetensors"), "unshuffle8_1blocks");
  try {
    Teacher(dir.file("unshuffle8.safetensors"), c10::Device(c10::kCPU), 3, 1, 36);
    FAIL() << "a teacher that cannot run at the crop size was accepted";
  } catch (const WeightsError &error) {
    EXPECT_NE(std::string(error.what()).find("multiples of 8"), std::string::npos) << error.what();
  }
}

TEST(Distillation, ATeacherAndAWeightGoTogether) {
  test::TemporaryDirectory dir;
  TrainOptions o = test::tiny_run(dir.path().string(), "resnet_1blocks", 8);
  o.out_dir = dir.file("run");
  o.distill_weight = 10;
  EXPECT_THROW(validate(o), std::invalid_argument);
  o.distill_weight = 0;
  o.distill_from = "teacher.safetensors";
  EXPECT_THROW(validate(o), std::invalid_argument);
  o.distill_ssim_weight = 1;
  EXPECT_NO_THROW(validate(o));
  // Off the targets needs targets: the aligned infrared of a paired loss.
  o.distill_off_targets = true;
  EXPECT_THROW(validate(o), std::invalid_argument);
  o.paired_target_contrast_weight = 100;
  EXPECT_NO_THROW(validate(o));
  // A notch filters a teacher's output: no teacher, nothing to filter.
  o.distill_row_notch = 4;
  EXPECT_NO_THROW(validate(o));
  o.distill_from.clear();
  o.distill_weight = o.distill_ssim_weight = 0;
  o.distill_off_targets = false;
  EXPECT_THROW(validate(o), std::invalid_argument);
}

TEST(Distillation, ItsOptionsAreRecordedWithTheWeightsAndOlderLossLogsResume) {
  test::TemporaryDirectory dir;
  TrainOptions o = test::tiny_run(dir.path().string(), "resnet_1blocks", 8);
  saved_teacher(dir.file("teacher.safetensors"));
  o.distill_from = dir.file("teacher.safetensors");
  o.distill_weight = 25;
  o.distill_off_targets = true;
  o.distill_row_notch = 4;
  o.paired_target_contrast_weight = 10;
  o.generator = "unshuffle2_1blocks";
  o.max_steps = 2;
  o.out_dir = dir.file("run");
  ASSERT_EQ(run_training(o), kDone);
  const auto metadata = load_generator(dir.file("run/generator.safetensors")).metadata;
  EXPECT_EQ(metadata.at("distill_weight"), "25");
  EXPECT_EQ(metadata.at("distill_off_targets"), "true");
  EXPECT_EQ(metadata.at("distill_row_notch"), "4");
  EXPECT_EQ(metadata.at("distill_from"), dir.file("teacher.safetensors"));
  std::ifstream config(dir.file("run/config.json"));
  const std::string text((std::istreambuf_iterator<char>(config)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("\"distill_weight\": 25"), std::string::npos);

  // A losses.csv from before the distill column keeps its rows and seconds.
  std::ofstream(dir.file("old.csv"))
      << "step,epoch,lr,D_A,D_B,G_A,G_B,cycle_A,cycle_B,idt_A,idt_B,paired,temporal,seconds\n"
         "1,0,0.0002,0.5,0.5,0.7,0.7,1,1,0,0,0,0.25,12.5\n";
  LossLog log(dir.file("old.csv"), 1);
  ASSERT_EQ(log.rows().size(), 1u);
  EXPECT_EQ(log.rows()[0].seconds, 12.5);
  EXPECT_EQ(log.rows()[0].losses.temporal, 0.25);
  EXPECT_EQ(log.rows()[0].losses.distill, 0);
}

}  // namespace
}  // namespace gncyclegan::train
