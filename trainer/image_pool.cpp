#include "trainer/image_pool.h"

#include <random>

namespace gncyclegan::train {

torch::Tensor ImagePool::query(const torch::Tensor &images, uint64_t random_state) {
  if (capacity_ == 0) return images;
  std::mt19937_64 random(random_state);
  std::vector<torch::Tensor> returned;
  for (int64_t i = 0; i < images.size(0); ++i) {
    torch::Tensor image = images[i].detach().clone();
    if (static_cast<int>(images_.size()) < capacity_) {
      images_.push_back(image);
      returned.push_back(image);
    } else if (random() % 2 == 0) {
      returned.push_back(image);
    } else {
      const size_t slot = random() % images_.size();
      returned.push_back(images_[slot]);
      images_[slot] = image;
    }
  }
  return torch::stack(returned);
}

}  // namespace gncyclegan::train
