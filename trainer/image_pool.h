// The CycleGAN reference's image buffer (Shrivastava et al. 2017): the
// discriminators see a mix of the newest generated images and older ones.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/types.h>

namespace gncyclegan::train {

class ImagePool {
 public:
  explicit ImagePool(int capacity) : capacity_(capacity) {}

  // Per image: while the pool fills, store and return it; after that, with
  // probability 1/2 return it, else swap it with a random stored image and
  // return that one. `random_state` seeds the choices (one stream per step).
  torch::Tensor query(const torch::Tensor &images, uint64_t random_state);

  const std::vector<torch::Tensor> &images() const { return images_; }
  // Restores the contents saved with images() (checkpoint resume).
  void restore(std::vector<torch::Tensor> images) { images_ = std::move(images); }

 private:
  int capacity_;
  std::vector<torch::Tensor> images_;
};

}  // namespace gncyclegan::train
