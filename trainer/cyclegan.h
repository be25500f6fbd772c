// The GN-CycleGAN training step: the two generators (A = visible, B =
// infrared; G_A: A -> B, G_B: B -> A), the two PatchGANs (D_A judges domain B,
// D_B domain A, as in the reference), their Adam optimizers and image pools.
// The step is independent of the loop around it. With --train-head the step
// trains only G_A's hot-target head over its frozen base on aligned pairs
// (G_B and the PatchGANs are kept, untouched, so checkpoints and resuming
// stay one format). G_B of a hot_ G_A is its base's architecture.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <torch/optim/adam.h>

#include "model/generator.h"
#include "model/patchgan.h"
#include "trainer/distillation.h"
#include "trainer/grad_scaler.h"
#include "trainer/image_pool.h"
#include "trainer/options.h"
#include "trainer/prefetcher.h"

namespace gncyclegan::train {

class DataParallel;

// A step's losses; a --train-head step has only gate and value (trainer/hot_head_loss.h).
struct StepLosses {
  double D_A = 0, D_B = 0, G_A = 0, G_B = 0, cycle_A = 0, cycle_B = 0, idt_A = 0, idt_B = 0, paired = 0, temporal = 0,
         distill = 0, gate = 0, value = 0;
};

// What the sample grids show beside the visible and real infrared images:
// G_A's output, the cycle's reconstruction and G_B's output; for a
// --train-head run, the output, the base's output and the gate.
struct Translation {
  torch::Tensor fake_infrared, reconstructed_visible, fake_visible;
  bool head = false;
};

class CycleGan {
 public:
  // Builds and initialises the networks from `options.seed`.
  CycleGan(const TrainOptions &options, c10::Device device);

  // One generator update on data.main, then options.d_steps discriminator
  // updates (the first on the generator update's images, the others on
  // data.extra). `step` seeds the image pools' choices.
  StepLosses step(const StepData &data, int64_t step);

  // Trains as one rank of `parallel` (which must outlive this): takes rank
  // 0's weights now, averages the gradients over the ranks before every
  // update, and takes rank 0's BatchNorm running statistics after every step.
  // The rank's pools and camera motions draw their own random streams.
  void use_data_parallel(DataParallel &parallel);

  void set_learning_rate(double lr);
  // Evaluation-mode translation, for sample grids.
  Translation translate(const Batch &batch);

  Generator &G_A() { return *G_A_; }
  Generator &G_B() { return *G_B_; }
  PatchGan &D_A() { return *D_A_; }
  PatchGan &D_B() { return *D_B_; }
  torch::optim::Adam &optimizer_G() { return *optimizer_G_; }
  torch::optim::Adam &optimizer_D() { return *optimizer_D_; }
  ImagePool &pool_A() { return pool_A_; }
  ImagePool &pool_B() { return pool_B_; }
  GradScaler &scaler() { return scaler_; }  // fp16's loss scale (disabled otherwise)
  c10::Device device() const { return device_; }

 private:
  StepLosses head_step(const Batch &batch);
  void share_running_statistics();  // after each update of a data-parallel run
  torch::Tensor discriminate(PatchGan &discriminator, const torch::Tensor &images);
  void update_discriminators(const torch::Tensor &real_A, const torch::Tensor &real_B, const torch::Tensor &fake_A,
                             const torch::Tensor &fake_B, uint64_t pool_state, StepLosses &losses);

  uint64_t stream_seed() const;  // options_.seed, made distinct per rank
  std::vector<torch::nn::Module *> networks();  // G_A, G_B, D_A, D_B

  TrainOptions options_;
  c10::Device device_;
  DataParallel *parallel_ = nullptr;
  std::vector<torch::Tensor> buffers_;  // BatchNorm running statistics, kept as rank 0's
  c10::ScalarType autocast_dtype_ = c10::ScalarType::Float;  // Float: no autocast
  std::shared_ptr<Generator> G_A_, G_B_;
  std::shared_ptr<PatchGan> D_A_, D_B_;
  std::unique_ptr<torch::optim::Adam> optimizer_G_, optimizer_D_;
  ImagePool pool_A_, pool_B_;  // generated infrared (for D_A), generated visible (for D_B)
  GradScaler scaler_{false};
  std::unique_ptr<Teacher> teacher_;  // --distill-from
};

}  // namespace gncyclegan::train
