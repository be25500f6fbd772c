// The losses that train a hot-target head over a frozen base
// (model/hot_composite_generator.h, gncyclegan-train --train-head). The head
// has two outputs with two jobs, and each gets its own loss, so neither is
// learnt through the other:
//  - the gate, a detector of the real infrared's hot targets
//    (trainer/hot_targets.h: no labels): binary cross-entropy (targets
//    weighted GateWeights::positive times, by default kGatePositiveWeight:
//    they are a few per cent of the pixels; the ring around them, which the
//    target contrast is measured against, GateWeights::ring times) plus a
//    soft Dice loss (the overlap, whatever the targets' size);
//  - the value, the real infrared where the gate may open: L1 on the targets
//    and a band of kValueBand pixels around them (the targets kValueCore
//    times more), plus kValueEverywhere times the plain L1, so that a gate
//    opening by mistake paints something near the truth.
// Where the gate is shut the output is the base's, so the base's scores hold
// off the targets by construction.
#pragma once

#include <torch/types.h>

namespace gncyclegan::train {

inline constexpr double kGatePositiveWeight = 2.0;
inline constexpr int kValueBand = 3;
inline constexpr double kValueCore = 4.0;
inline constexpr double kValueWeight = 5.0;
inline constexpr double kValueEverywhere = 0.5;

struct HotHeadLosses {
  torch::Tensor gate;   // BCE + Dice
  torch::Tensor value;  // kValueWeight x banded L1 + kValueEverywhere x L1
};

struct GateWeights {
  double positive = kGatePositiveWeight;  // a target pixel's cross-entropy against another pixel's
  double ring = 1.0;                      // a ring pixel's (HotTargetMasks::ring)
};

// gate_logits, value and infrared N x 1 x H x W (value and infrared in
// [-1, 1]); core: 1 on the hot targets, 0 elsewhere (HotTargetMasks::core);
// ring: 1 around them (HotTargetMasks::ring; needed when weights.ring != 1).
HotHeadLosses hot_head_losses(const torch::Tensor &gate_logits, const torch::Tensor &value,
                              const torch::Tensor &infrared, const torch::Tensor &core,
                              const GateWeights &weights = {}, const torch::Tensor &ring = {});

}  // namespace gncyclegan::train
