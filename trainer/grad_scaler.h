// Dynamic loss scaling for fp16 training, as PyTorch's GradScaler: fp16's
// narrow exponent flushes small gradients to zero, so each loss is multiplied
// by a large scale before its backward pass and the gradients are divided by
// it before the optimizer step. A step whose gradients hold inf or NaN (the
// scale was too large) is skipped and the scale halved; after `interval`
// clean iterations it doubles. Disabled, it changes nothing (fp32, bf16).
#pragma once

#include <cstdint>
#include <vector>

#include <torch/optim/optimizer.h>
#include <torch/types.h>

namespace gncyclegan::train {

class GradScaler {
 public:
  struct State {
    double scale = 65536.0;  // PyTorch's initial 2^16
    int64_t clean_steps = 0;  // iterations since the scale last changed
  };

  explicit GradScaler(bool enabled);
  GradScaler(bool enabled, State state, int interval = 2000);

  bool enabled() const { return enabled_; }
  const State &state() const { return state_; }

  // loss · scale (the loss itself when disabled).
  torch::Tensor scale(const torch::Tensor &loss) const;
  // Divides every gradient by the scale and steps `optimizer` unless one of
  // them is not finite; returns whether it stepped.
  bool step(torch::optim::Optimizer &optimizer, const std::vector<torch::Tensor> &parameters);
  // Once per iteration, after its steps: halves the scale if any step of it
  // was skipped, else counts a clean iteration (doubling after `interval`).
  void update();

 private:
  bool enabled_;
  State state_;
  int interval_;
  bool skipped_ = false;
};

}  // namespace gncyclegan::train
