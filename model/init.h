// The CycleGAN reference's "normal" initialisation (networks.init_weights).
#pragma once

#include <torch/nn/module.h>

namespace gncyclegan {

// Conv, transposed conv and linear weights ~ N(0, gain), biases 0; BatchNorm
// weights ~ N(1, gain), biases 0. Uses torch's global generator: seed it with
// torch::manual_seed for reproducible weights.
void init_weights(torch::nn::Module &module, double gain = 0.02);

}  // namespace gncyclegan
