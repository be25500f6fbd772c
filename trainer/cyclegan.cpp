#include "trainer/cyclegan.h"

#include <optional>
#include <stdexcept>

#include <ATen/ops/l1_loss.h>
#include <torch/utils.h>

#include "model/autocast.h"
#include "model/gradient_normalization.h"
#include "model/hot_composite_generator.h"
#include "trainer/distributed.h"
#include "trainer/equivariance_loss.h"
#include "trainer/feature_matching_loss.h"
#include "trainer/gan_loss.h"
#include "trainer/gradient_loss.h"
#include "trainer/hot_head_loss.h"
#include "trainer/hot_target_loss.h"
#include "trainer/random_stream.h"
#include "trainer/ssim_loss.h"

namespace gncyclegan::train {
namespace {

void set_requires_grad(torch::nn::Module &module, bool requires_grad) {
  for (auto &parameter : module.parameters()) parameter.set_requires_grad(requires_grad);
}

std::vector<torch::Tensor> parameters_of(torch::nn::Module &first, torch::nn::Module &second) {
  auto parameters = first.parameters();
  auto more = second.parameters();
  parameters.insert(parameters.end(), more.begin(), more.end());
  return parameters;
}

// Identity-loss inputs across 3 <-> 1 channels: infrared repeated to RGB for
// G_A, the visible image's BT.601 luma for G_B.
torch::Tensor as_channels(const torch::Tensor &images, int64_t channels) {
  if (images.size(1) == channels) return images;
  if (channels == 3) return images.expand({-1, 3, -1, -1});
  auto weights = torch::tensor({0.299f, 0.587f, 0.114f}, images.options()).view({1, 3, 1, 1});
  return (images * weights).sum(1, /*keepdim=*/true);
}

uint64_t pool_stream(uint64_t seed, int64_t step, int k) {
  return seed * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(step) * 64 + static_cast<uint64_t>(k);
}

}  // namespace

CycleGan::CycleGan(const TrainOptions &options, c10::Device device)
    : options_(options), device_(device), pool_A_(options.pool_size), pool_B_(options.pool_size) {
  if (options.precision == "bf16") {
    if (device.is_cpu() && !cpu_has_native_bf16())
      throw std::invalid_argument(
          "--precision bf16 needs a CPU with native bf16 arithmetic (AVX512-BF16 or AMX), and this one has none: "
          "it would be slower than fp32 (use --precision fp32)");
    autocast_dtype_ = c10::ScalarType::BFloat16;
  } else if (options.precision == "fp16") {
    if (!device.is_cuda())
      throw std::invalid_argument(
          "--precision fp16 needs a CUDA GPU (LibTorch's CPU autocast has no fp16): on the CPU use bf16 where it "
          "has AVX512-BF16 or AMX, else fp32");
    autocast_dtype_ = c10::ScalarType::Half;
    scaler_ = GradScaler(true);
  } else if (options.precision != "fp32") {
    throw std::invalid_argument("--precision " + options.precision + ": use fp32, bf16 or fp16");
  }
  torch::manual_seed(options.seed);
  auto config_A = GeneratorConfig::from_name(options.generator, 3, 1, options.ngf);
  config_A.head_width = options.head_width;
  G_A_ = make_generator(config_A);
  const std::string architecture_B = config_A.base ? config_A.base->architecture() : options.generator;
  G_B_ = make_generator(GeneratorConfig::from_name(architecture_B, 1, 3, options.ngf));
  DiscriminatorConfig d_config;
  d_config.ndf = options.ndf;
  d_config.norm = discriminator_norm_from_string(options.discriminator_norm);
  d_config.in_channels = 1;
  D_A_ = make_discriminator(d_config);
  d_config.in_channels = 3;
  D_B_ = make_discriminator(d_config);
  for (torch::nn::Module *network : networks()) {
    network->to(device);
    network->train();
  }
  if (!options.distill_from.empty())
    teacher_ = std::make_unique<Teacher>(options.distill_from, device, 3, 1, options.crop_size,
                                         options.distill_row_notch);
  auto adam = torch::optim::AdamOptions(options.lr).betas({options.beta1, options.beta2});
  if (options.train_head) {
    auto &hot = dynamic_cast<HotCompositeGenerator &>(*G_A_);
    hot.freeze_base();
    optimizer_G_ = std::make_unique<torch::optim::Adam>(hot.head->parameters(), adam);
  } else {
    optimizer_G_ = std::make_unique<torch::optim::Adam>(parameters_of(*G_A_, *G_B_), adam);
  }
  optimizer_D_ = std::make_unique<torch::optim::Adam>(parameters_of(*D_A_, *D_B_), adam);
}

std::vector<torch::nn::Module *> CycleGan::networks() { return {G_A_.get(), G_B_.get(), D_A_.get(), D_B_.get()}; }

void CycleGan::use_data_parallel(DataParallel &parallel) {
  parallel_ = &parallel;
  std::vector<torch::Tensor> state;
  buffers_.clear();
  for (torch::nn::Module *network : networks()) {
    for (const auto &parameter : network->parameters()) state.push_back(parameter);
    for (const auto &buffer : network->buffers()) buffers_.push_back(buffer);
  }
  state.insert(state.end(), buffers_.begin(), buffers_.end());
  torch::NoGradGuard no_grad;
  parallel.broadcast(state);
}

uint64_t CycleGan::stream_seed() const {
  // Rank 0 keeps the seed itself, so that a single process draws as before.
  if (parallel_ == nullptr || parallel_->rank() == 0) return options_.seed;
  return mix(options_.seed ^ (0xa11ULL << 48) ^ static_cast<uint64_t>(parallel_->rank()));
}

torch::Tensor CycleGan::discriminate(PatchGan &discriminator, const torch::Tensor &images) {
  if (options_.gradient_normalization) return gradient_normalized(discriminator, images, /*create_graph=*/true);
  return discriminator.forward(images);
}

void CycleGan::update_discriminators(const torch::Tensor &real_A, const torch::Tensor &real_B,
                                     const torch::Tensor &fake_A, const torch::Tensor &fake_B, uint64_t pool_state,
                                     StepLosses &losses) {
  set_requires_grad(*D_A_, true);
  set_requires_grad(*D_B_, true);
  optimizer_D_->zero_grad();
  std::optional<AutocastScope> autocast;  // the forward passes only: backward follows their dtypes
  // Real and generated images go through the discriminator as one batch: the
  // PatchGAN (instance norm or none) and GN treat every image on its own, so
  // this equals two calls, and larger batches use the CPU better.
  auto loss_of = [&](PatchGan &discriminator, const torch::Tensor &real, const torch::Tensor &fake) {
    auto scores = discriminate(discriminator, torch::cat({real, fake}));
    return discriminator_loss(options_.gan_loss, scores.narrow(0, 0, real.size(0)),
                              scores.narrow(0, real.size(0), fake.size(0)));
  };
  autocast.emplace(device_.type(), autocast_dtype_);
  auto loss_D_A = loss_of(*D_A_, real_B, pool_A_.query(fake_B, pool_state));
  autocast.reset();
  scaler_.scale(loss_D_A).backward();
  autocast.emplace(device_.type(), autocast_dtype_);
  auto loss_D_B = loss_of(*D_B_, real_A, pool_B_.query(fake_A, pool_state + 1));
  autocast.reset();
  scaler_.scale(loss_D_B).backward();
  const auto &parameters = optimizer_D_->param_groups().front().params();
  if (parallel_) parallel_->average_gradients(parameters);
  scaler_.step(*optimizer_D_, parameters);
  losses.D_A = loss_D_A.item<double>();
  losses.D_B = loss_D_B.item<double>();
}

StepLosses CycleGan::head_step(const Batch &batch) {
  auto &hot = static_cast<HotCompositeGenerator &>(*G_A_);
  const auto visible = batch.visible.to(device_), infrared = batch.infrared.to(device_);
  const auto masks = hot_target_masks(infrared);
  optimizer_G_->zero_grad();
  std::optional<AutocastScope> autocast(std::in_place, device_.type(), autocast_dtype_);
  torch::Tensor base;
  if (batch.base.defined()) {  // TrainingData::cache_base
    base = batch.base.to(device_);
  } else {
    torch::NoGradGuard no_grad;
    base = hot.base->forward(visible);
  }
  const auto [gate_logits, value] = hot.head_over(visible, base);
  autocast.reset();
  auto head = hot_head_losses(gate_logits, value, infrared, masks.core,
                              {options_.head_gate_positive_weight, options_.head_gate_ring_weight}, masks.ring);
  if (options_.head_contrast_weight > 0) {
    const auto output = HotCompositeGenerator::composite(base.to(torch::kFloat32), gate_logits.to(torch::kFloat32),
                                                         value.to(torch::kFloat32));
    head.value = head.value + options_.head_contrast_weight * target_contrast_l1(output, infrared, masks);
  }
  scaler_.scale(head.gate + head.value).backward();
  const auto &parameters = optimizer_G_->param_groups().front().params();
  if (parallel_) parallel_->average_gradients(parameters);
  scaler_.step(*optimizer_G_, parameters);
  scaler_.update();
  share_running_statistics();
  StepLosses losses;
  losses.gate = head.gate.item<double>();
  losses.value = head.value.item<double>();
  return losses;
}

StepLosses CycleGan::step(const StepData &data, int64_t step) {
  if (options_.train_head) return head_step(data.main);
  StepLosses losses;
  auto real_A = data.main.visible.to(device_);
  auto real_B = data.main.infrared.to(device_);

  // Generators: adversarial + cycle (+ identity, + paired) losses.
  std::optional<AutocastScope> autocast(std::in_place, device_.type(), autocast_dtype_);
  auto fake_B = G_A_->forward(real_A);
  auto reconstructed_A = G_B_->forward(fake_B);
  auto fake_A = G_B_->forward(real_B);
  auto reconstructed_B = G_A_->forward(fake_A);
  set_requires_grad(*D_A_, false);
  set_requires_grad(*D_B_, false);
  optimizer_G_->zero_grad();
  auto loss_G_A = generator_loss(options_.gan_loss, discriminate(*D_A_, fake_B));
  auto loss_G_B = generator_loss(options_.gan_loss, discriminate(*D_B_, fake_A));
  auto loss_cycle_A = at::l1_loss(reconstructed_A, real_A) * options_.lambda_cycle;
  auto loss_cycle_B = at::l1_loss(reconstructed_B, real_B) * options_.lambda_cycle;
  auto loss = loss_G_A + loss_G_B + loss_cycle_A + loss_cycle_B;
  if (options_.lambda_identity > 0) {
    const double weight = options_.lambda_cycle * options_.lambda_identity;
    auto loss_idt_A = at::l1_loss(G_A_->forward(as_channels(real_B, 3)), real_B) * weight;
    auto loss_idt_B = at::l1_loss(G_B_->forward(as_channels(real_A, 1)), real_A) * weight;
    loss = loss + loss_idt_A + loss_idt_B;
    losses.idt_A = loss_idt_A.item<double>();
    losses.idt_B = loss_idt_B.item<double>();
  }
  // The aligned infrared's hot targets, for the target losses and for
  // distillation off them.
  std::optional<HotTargetMasks> masks;
  if (options_.paired_target_weight > 0 || options_.paired_target_contrast_weight > 0 ||
      (teacher_ && options_.distill_off_targets))
    masks = hot_target_masks(real_B);
  if (options_.paired()) {
    auto loss_paired = torch::zeros({}, loss.options());
    if (options_.paired_weight > 0)
      loss_paired = loss_paired + (at::l1_loss(fake_B, real_B) + at::l1_loss(fake_A, real_A)) * options_.paired_weight;
    if (options_.paired_ssim_weight > 0)
      loss_paired = loss_paired + (2 - ssim(fake_B, real_B) - ssim(fake_A, real_A)) * options_.paired_ssim_weight;
    // Edges where real infrared has them: G_A only, whose output is what is scored.
    if (options_.paired_gradient_weight > 0)
      loss_paired = loss_paired + gradient_l1(fake_B, real_B) * options_.paired_gradient_weight;
    if (options_.paired_edge_energy_weight > 0)
      loss_paired = loss_paired + edge_energy_l1(fake_B, real_B, options_.paired_edge_energy_window,
                                                 options_.paired_edge_energy_per_direction) *
                                      options_.paired_edge_energy_weight;
    if (options_.paired_feature_matching_weight > 0)
      loss_paired = loss_paired + feature_matching_l1(*D_A_, fake_B, real_B) * options_.paired_feature_matching_weight;
    if (options_.paired_target_weight > 0)
      loss_paired = loss_paired + target_l1(fake_B, real_B, *masks) * options_.paired_target_weight;
    if (options_.paired_target_contrast_weight > 0)
      loss_paired = loss_paired + target_contrast_l1(fake_B, real_B, *masks) * options_.paired_target_contrast_weight;
    loss = loss + loss_paired;
    losses.paired = loss_paired.item<double>();
  }
  if (teacher_ && options_.distilled()) {
    auto loss_distill =
        distillation_loss(fake_B, teacher_->translate(real_A), options_.distill_weight, options_.distill_ssim_weight,
                          options_.distill_off_targets ? 1 - masks->targets : torch::Tensor());
    loss = loss + loss_distill;
    losses.distill = loss_distill.item<double>();
  }
  if (options_.temporal_weight > 0) {
    // Its own stream, so runs without it draw what they drew before.
    const CameraMotion motion = random_camera_motion(mix(stream_seed() ^ mix(0x7e3a0000ULL + static_cast<uint64_t>(step))));
    auto loss_temporal = equivariance_l1(fake_B, G_A_->forward(warp(real_A, motion)), motion) * options_.temporal_weight;
    loss = loss + loss_temporal;
    losses.temporal = loss_temporal.item<double>();
  }
  autocast.reset();
  scaler_.scale(loss).backward();
  const auto &parameters = optimizer_G_->param_groups().front().params();
  if (parallel_) parallel_->average_gradients(parameters);
  scaler_.step(*optimizer_G_, parameters);
  losses.G_A = loss_G_A.item<double>();
  losses.G_B = loss_G_B.item<double>();
  losses.cycle_A = loss_cycle_A.item<double>();
  losses.cycle_B = loss_cycle_B.item<double>();

  // Discriminators: K updates; the first on this step's images.
  // In the real images' precision (as the pools keep them), whatever autocast made them in.
  const auto stored = real_A.scalar_type();
  update_discriminators(real_A, real_B, fake_A.detach().to(stored), fake_B.detach().to(stored),
                        pool_stream(stream_seed(), step, 0), losses);
  for (size_t k = 0; k < data.extra.size(); ++k) {
    auto extra_A = data.extra[k].visible.to(device_);
    auto extra_B = data.extra[k].infrared.to(device_);
    torch::Tensor extra_fake_A, extra_fake_B;
    {
      torch::NoGradGuard no_grad;
      AutocastScope autocast_extra(device_.type(), autocast_dtype_);
      extra_fake_B = G_A_->forward(extra_A);
      extra_fake_A = G_B_->forward(extra_B);
    }
    update_discriminators(extra_A, extra_B, extra_fake_A.to(stored), extra_fake_B.to(stored),
                          pool_stream(stream_seed(), step, 2 * static_cast<int>(k) + 2), losses);
  }
  scaler_.update();
  share_running_statistics();
  return losses;
}

void CycleGan::share_running_statistics() {
  if (parallel_ == nullptr || buffers_.empty()) return;
  // BatchNorm (CBAM's, a head's) normalises over this rank's images, as DDP
  // without SyncBatchNorm; its running statistics are rank 0's everywhere, as
  // DDP's broadcast_buffers keeps them.
  torch::NoGradGuard no_grad;
  parallel_->broadcast(buffers_);
}

void CycleGan::set_learning_rate(double lr) {
  for (auto *optimizer : {optimizer_G_.get(), optimizer_D_.get()})
    for (auto &group : optimizer->param_groups()) static_cast<torch::optim::AdamOptions &>(group.options()).lr(lr);
}

Translation CycleGan::translate(const Batch &batch) {
  torch::NoGradGuard no_grad;
  G_A_->eval();
  G_B_->eval();
  Translation result;
  auto real_A = batch.visible.to(device_);
  if (options_.train_head) {
    auto &hot = static_cast<HotCompositeGenerator &>(*G_A_);
    const auto parts = hot.parts(real_A);
    result = {HotCompositeGenerator::composite(parts.base, parts.gate_logits, parts.value), parts.base,
              torch::sigmoid(parts.gate_logits) * 2 - 1, true};
    G_A_->train();
    G_B_->train();
    return result;
  }
  result.fake_infrared = G_A_->forward(real_A);
  result.reconstructed_visible = G_B_->forward(result.fake_infrared);
  result.fake_visible = G_B_->forward(batch.infrared.to(device_));
  G_A_->train();
  G_B_->train();
  return result;
}

}  // namespace gncyclegan::train
