#include "trainer/distillation.h"

#include <cmath>
#include <vector>

#include <ATen/ops/l1_loss.h>
#include <torch/nn/functional/conv.h>
#include <torch/nn/functional/padding.h>
#include <torch/utils.h>

#include "model/weights.h"
#include "trainer/ssim_loss.h"

namespace gncyclegan::train {

Teacher::Teacher(const std::string &path, c10::Device device, int64_t in_channels, int64_t out_channels,
                 int crop_size, int row_notch)
    : row_notch_(row_notch) {
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
  const torch::Tensor output = generator_->forward(visible);
  return row_notch_ > 0 ? without_row_period(output, row_notch_).clamp(-1, 1) : output;
}

torch::Tensor without_row_period(const torch::Tensor &image, int period) {
  const int radius = 3 * period;
  TORCH_CHECK(image.dim() == 4 && image.size(2) > radius, "without_row_period: N x C x H x W with H > ", radius);
  // The band-pass g·(a·2cos + b), with a and b making its response exactly 1
  // at the period and 0 at the constant despite the Gaussian's cut tails.
  std::vector<double> gaussian(2 * radius + 1), wave(2 * radius + 1);
  double sum = 0;
  for (int n = -radius; n <= radius; ++n) {
    gaussian[n + radius] = std::exp(-0.5 * double(n * n) / double(period * period));
    wave[n + radius] = std::cos(2 * M_PI * n / period);
    sum += gaussian[n + radius];
  }
  double at_constant = 0, at_period = 0, cos_mean = 0;  // of g·2cos: Σ, Σ·cos; and Σ g·cos
  for (size_t i = 0; i < gaussian.size(); ++i) {
    gaussian[i] /= sum;
    at_constant += gaussian[i] * 2 * wave[i];
    at_period += gaussian[i] * 2 * wave[i] * wave[i];
    cos_mean += gaussian[i] * wave[i];
  }
  const double a = 1 / (at_period - at_constant * cos_mean), b = -a * at_constant;
  std::vector<float> taps(gaussian.size());
  for (size_t i = 0; i < taps.size(); ++i)
    taps[i] = float((int(i) == radius) - gaussian[i] * (a * 2 * wave[i] + b));
  const int64_t channels = image.size(1);
  const torch::Tensor kernel = torch::tensor(taps, image.options().dtype(torch::kFloat32))
                                   .view({1, 1, 2 * radius + 1, 1})
                                   .expand({channels, 1, 2 * radius + 1, 1})
                                   .to(image.scalar_type());
  const torch::Tensor padded = torch::nn::functional::pad(
      image, torch::nn::functional::PadFuncOptions({0, 0, radius, radius}).mode(torch::kReflect));
  return torch::nn::functional::conv2d(padded, kernel, torch::nn::functional::Conv2dFuncOptions().groups(channels));
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
