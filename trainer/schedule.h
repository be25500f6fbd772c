// The learning-rate schedule: the CycleGAN reference's "linear" policy.
#pragma once

#include <algorithm>
#include <cstdint>

#include "trainer/options.h"

namespace gncyclegan::train {

// Constant for `epochs` epochs, then down linearly over `epochs_decay`: epoch
// e (0-based) trains at lr * (1 - max(0, e + 1 - epochs) / (epochs_decay + 1)),
// so the last epoch still has lr / (epochs_decay + 1).
inline double learning_rate(const TrainOptions &o, int64_t epoch) {
  const double decayed = static_cast<double>(std::max<int64_t>(0, epoch + 1 - o.epochs));
  return o.lr * std::max(0.0, 1.0 - decayed / (o.epochs_decay + 1.0));
}

}  // namespace gncyclegan::train
