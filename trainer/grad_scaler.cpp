#include "trainer/grad_scaler.h"

#include <torch/utils.h>

namespace gncyclegan::train {

GradScaler::GradScaler(bool enabled) : GradScaler(enabled, State{}) {}

GradScaler::GradScaler(bool enabled, State state, int interval)
    : enabled_(enabled), state_(state), interval_(interval) {}

torch::Tensor GradScaler::scale(const torch::Tensor &loss) const { return enabled_ ? loss * state_.scale : loss; }

bool GradScaler::step(torch::optim::Optimizer &optimizer, const std::vector<torch::Tensor> &parameters) {
  if (!enabled_) {
    optimizer.step();
    return true;
  }
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> finite;  // one flag per gradient, read back once
  for (const auto &parameter : parameters) {
    if (!parameter.grad().defined()) continue;
    parameter.grad().div_(state_.scale);
    finite.push_back(parameter.grad().isfinite().all());
  }
  if (!finite.empty() && !torch::stack(finite).all().item<bool>()) {
    skipped_ = true;
    return false;
  }
  optimizer.step();
  return true;
}

void GradScaler::update() {
  if (!enabled_) return;
  if (skipped_) {
    state_.scale *= 0.5;
    state_.clean_steps = 0;
  } else if (++state_.clean_steps >= interval_) {
    state_.scale *= 2.0;
    state_.clean_steps = 0;
  }
  skipped_ = false;
}

}  // namespace gncyclegan::train
