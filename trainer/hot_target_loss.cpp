#include "trainer/hot_target_loss.h"

#include <vector>

#include <ATen/ops/from_blob.h>
#include <ATen/ops/stack.h>

namespace gncyclegan::train {
namespace {

torch::Tensor as_tensor(const cv::Mat &mask) {
  return torch::from_blob(const_cast<uint8_t *>(mask.ptr<uint8_t>()), {1, mask.rows, mask.cols}, torch::kUInt8)
      .clone();
}

// Per image: the sum of `values` over `mask`, and the mask's pixel count.
std::pair<torch::Tensor, torch::Tensor> sums(const torch::Tensor &values, const torch::Tensor &mask) {
  return {(values * mask).sum({1, 2, 3}), mask.sum({1, 2, 3})};
}

// The mean over the images whose `present` is true of `per_image`; 0 when none is.
torch::Tensor mean_where(const torch::Tensor &per_image, const torch::Tensor &present) {
  const auto weights = present.to(per_image.scalar_type());
  return (per_image * weights).sum() / weights.sum().clamp_min(1);
}

}  // namespace

HotTargetMasks hot_target_masks(const torch::Tensor &infrared, const HotTargetRule &rule) {
  TORCH_CHECK(infrared.dim() == 4 && infrared.size(1) == 1, "hot_target_masks: an N x 1 x H x W batch is needed");
  const auto bytes = ((infrared.detach().to(torch::kCPU, torch::kFloat) + 1) * 127.5)
                         .round()
                         .clamp(0, 255)
                         .to(torch::kUInt8)
                         .contiguous();
  std::vector<torch::Tensor> targets, core, ring;
  for (int64_t n = 0; n < bytes.size(0); ++n) {
    const cv::Mat image(int(bytes.size(2)), int(bytes.size(3)), CV_8UC1, bytes[n].data_ptr<uint8_t>());
    const cv::Mat mask = hot_target_mask(image, rule);
    core.push_back(as_tensor(mask));
    targets.push_back(as_tensor(dilated(mask, rule.psnr_margin)));
    ring.push_back(as_tensor(ring_around(mask, rule)));
  }
  auto batch = [&](const std::vector<torch::Tensor> &masks) {
    return (at::stack(masks) > 0).to(infrared.device(), infrared.scalar_type());
  };
  return {batch(targets), batch(core), batch(ring)};
}

torch::Tensor target_l1(const torch::Tensor &fake, const torch::Tensor &real, const HotTargetMasks &masks) {
  TORCH_CHECK(fake.sizes() == real.sizes() && fake.sizes() == masks.targets.sizes(),
              "target_l1: the images and masks must have one shape");
  const auto [error, count] = sums((fake - real.detach()).abs() / 2, masks.targets);  // / 2: on 0..1
  return mean_where(error / count.clamp_min(1), count > 0);
}

torch::Tensor target_contrast_l1(const torch::Tensor &fake, const torch::Tensor &real, const HotTargetMasks &masks) {
  TORCH_CHECK(fake.sizes() == real.sizes() && fake.sizes() == masks.core.sizes(),
              "target_contrast_l1: the images and masks must have one shape");
  auto contrast = [&](const torch::Tensor &images) {
    const auto [inside, inside_count] = sums(images, masks.core);
    const auto [around, around_count] = sums(images, masks.ring);
    return inside / inside_count.clamp_min(1) - around / around_count.clamp_min(1);
  };
  const auto present = (masks.core.sum({1, 2, 3}) > 0).logical_and(masks.ring.sum({1, 2, 3}) > 0);
  return mean_where((contrast(fake) - contrast(real.detach())).abs() / 2, present);  // / 2: on 0..1
}

}  // namespace gncyclegan::train
