// pix2pixHD's discriminator feature matching (Wang et al., CVPR 2018), for
// training on aligned pairs: the generated image and its real counterpart
// should excite the discriminator's hidden layers alike, position by
// position. Where the pixel losses' optimum under uncertainty is a blur, the
// discriminator's features describe texture, so matching them asks for real
// infrared's kind of texture where real infrared has it.
#pragma once

#include <torch/types.h>

#include "model/patchgan.h"

namespace gncyclegan::train {

// The mean over the discriminator's hidden layers of the L1 distance between
// its activations on `fake` and on `real` (two batches of one shape). The real
// image's activations are constants: gradients reach `fake` (and the
// discriminator's weights where they require it), never `real`.
torch::Tensor feature_matching_l1(PatchGan &discriminator, const torch::Tensor &fake, const torch::Tensor &real);

}  // namespace gncyclegan::train
