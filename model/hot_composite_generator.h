// A base generator with the hot-target head over it: the base draws the
// scene, the head finds the warm objects (people, engines, lit windows) and
// paints them as the infrared shows them:
//
//   base  = base generator(visible)
//   gate, value = head(visible, base)     model/hot_target_head.h
//   out   = base + sigmoid(gate) * (value - base)
//
// so where the gate is shut the output is the base's, pixel for pixel, and a
// head can be trained over a frozen base without touching what it does
// elsewhere. The head runs at the image's side or at half of it
// (`hot_half_<base>`: a quarter of its arithmetic, twice its field of view),
// on the input padded (edge pixels repeated) to its multiple and cut back.
//
// Tensor names: base.<the base generator's>, head.<the head's>.
#pragma once

#include <memory>

#include "model/generator.h"
#include "model/hot_target_head.h"

namespace gncyclegan {

class HotCompositeGenerator : public Generator {
 public:
  explicit HotCompositeGenerator(const GeneratorConfig &config);
  torch::Tensor forward(const torch::Tensor &input) override;

  struct Parts {
    torch::Tensor base, gate_logits, value;  // each N x 1 x H x W
  };
  // The base's output and the head's two maps at the input's size.
  Parts parts(const torch::Tensor &input);
  // The head alone over a given base output (what training a head over a
  // frozen, cached base needs): {gate logits, value}.
  std::pair<torch::Tensor, torch::Tensor> head_over(const torch::Tensor &input, const torch::Tensor &base);
  static torch::Tensor composite(const torch::Tensor &base, const torch::Tensor &gate_logits,
                                 const torch::Tensor &value);
  // Keeps the base as it is while the head trains: no gradients, and eval
  // mode (its CBAM BatchNorms' running statistics) whatever train() says.
  void freeze_base();
  void train(bool on = true) override;

  std::shared_ptr<Generator> base;
  HotTargetHead head{nullptr};

 private:
  bool base_frozen_ = false;
};

}  // namespace gncyclegan
