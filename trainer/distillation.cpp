#include "trainer/distillation.h"

#include <ATen/ops/l1_loss.h>
#include <torch/utils.h>

#include "model/weights.h"
#include "trainer/ssim_loss.h"

namespace gncyclegan::train {

Teacher::Teacher(const std::string &path, c10::Device device, int64_t in_channels, int64_t out_channels,
                 int crop_size) {
  generator_ = load_generator(path).generator;
  const GeneratorConfig &config = generator_->config();
  if (config.in_channels != in_channels || config.out_channels != out_channels)
    throw WeightsError("--distill-from " + path + " translates " + std::to_string(config.in_channels) + " to " +
                       std::to_string(config.out_channels) + " channels, and the student " +
                       std::to_string(in_channels) + " to " + std::to_string(out_channels) +
                       ": give a visible -> infrared generator");
  if (crop_size % config.size_multiple() != 0)
    throw WeightsError("--distill-from " + path + " (" + config.architecture() + ") needs sizes that are multiples of " +
                       std::to_string(config.size_multiple()) + ", and --crop-size is " + std::to_string(crop_size));
  for (auto &parameter : generator_->parameters()) parameter.set_requires_grad(false);
  generator_->to(device);
  generator_->eval();
}

torch::Tensor Teacher::translate(const torch::Tensor &visible) {
  torch::NoGradGuard no_grad;
  return generator_->forward(visible);
}

torch::Tensor distillation_loss(const torch::Tensor &student, const torch::Tensor &teacher, double l1_weight,
                                double ssim_weight, const torch::Tensor &where) {
  const torch::Tensor target = teacher.detach().to(student.scalar_type());
  torch::Tensor loss = torch::zeros({}, student.options().dtype(torch::kFloat32));
  if (!where.defined()) {
    if (l1_weight > 0) loss = loss + at::l1_loss(student, target) * l1_weight;
    if (ssim_weight > 0) loss = loss + (1 - ssim(student, target)) * ssim_weight;
    return loss;
  }
  const torch::Tensor mask = where.detach().to(torch::kFloat32).expand_as(student);
  const torch::Tensor pixels = mask.sum();
  if (pixels.item<double>() == 0) return loss;
  if (l1_weight > 0) loss = loss + ((student.to(torch::kFloat32) - target).abs() * mask).sum() / pixels * l1_weight;
  if (ssim_weight > 0) loss = loss + (1 - (ssim_map(student, target) * mask).sum() / pixels) * ssim_weight;
  return loss;
}

}  // namespace gncyclegan::train
