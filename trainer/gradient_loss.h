// An edge loss for training on aligned pairs: L1 between the Sobel gradients
// of two images, the same 3x3 Sobel with replicated borders that
// gncyclegan-eval's sharpness ratio measures (trainer/metrics.h). PSNR and
// SSIM reward blur; matching the gradients of real infrared counters it.
#pragma once

#include <torch/types.h>

namespace gncyclegan::train {

// The Sobel responses of an N x C x H x W batch, every channel on its own:
// N x 2C x H x W, the x responses (gx = [-1 0 1; -2 0 2; -1 0 1] correlated)
// of every channel, then the y ones (its transpose); borders replicated.
// Differentiable.
torch::Tensor sobel(const torch::Tensor &images);

// mean |sobel(a) - sobel(b)| over every pixel, channel and both directions,
// for two batches of one shape in [-1, 1], scored on the 0..1 scale: 0 for
// identical images. Gradients flow to both arguments.
torch::Tensor gradient_l1(const torch::Tensor &a, const torch::Tensor &b);

// Edge energy matching: per image, the mean Sobel gradient magnitude
// sqrt(gx² + gy²) (on 0..1) of a against that of b, |E(a) - E(b)| averaged
// over the batch. Where gradient_l1 pulls uncertain edges to zero (its optimum
// is the median edge, often none), this only asks for real infrared's amount
// of edges, wherever the generator finds them likeliest: the sharpness ratio
// gncyclegan-eval reports, as a loss.
//
// window > 0 compares the energies of window x window tiles instead (the
// last row and column of tiles may be smaller), averaged over the tiles: the
// edges must then come in the regions where real infrared has them, and
// stripes painted over flat sky or road cost what they add. 0 = whole image.
//
// per_direction compares the mean |gx| and the mean |gy| each instead of the
// magnitude, averaged over the two: edges across and along then both come in
// real infrared's amounts, and horizontal stripes (all |gy|) cannot stand in
// for the vertical edges of poles, people and cars.
torch::Tensor edge_energy_l1(const torch::Tensor &a, const torch::Tensor &b, int64_t window = 0,
                             bool per_direction = false);

}  // namespace gncyclegan::train
