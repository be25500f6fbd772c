#include "trainer/head_diagnosis.h"

#include <stdexcept>

namespace gncyclegan::train {

GateOpening gate_opening(const cv::Mat &gate, const cv::Mat &targets, const HotTargetRule &rule) {
  cv::Mat away;
  cv::bitwise_not(dilated(targets, rule.psnr_margin), away);
  return {mean_over(gate, targets), mean_over(gate, away)};
}

cv::Mat composite_with_oracle(const HeadParts &parts, HeadOracle oracle, const cv::Mat &infrared,
                              const cv::Mat &targets, const HotTargetRule &rule) {
  if (oracle == HeadOracle::none)
    throw std::invalid_argument("composite_with_oracle: no oracle asked for; the model's output is its own");
  for (const cv::Mat *map : {&parts.base, &parts.gate, &parts.value, &targets})
    if (map->size() != infrared.size())
      throw std::invalid_argument("composite_with_oracle: the head's maps and the target mask must be the infrared's size");
  // Fresh matrices for the truth: converting into a copy of parts' headers
  // would write into the model's own maps.
  cv::Mat gate = parts.gate, value = parts.value;
  if (oracle == HeadOracle::gate) {
    gate = cv::Mat();
    dilated(targets, rule.psnr_margin).convertTo(gate, CV_32F, 1.0 / 255);
  } else {
    value = cv::Mat();
    infrared.convertTo(value, CV_32F);
  }
  const cv::Mat output = parts.base + gate.mul(value - parts.base);
  cv::Mat u8;
  output.convertTo(u8, CV_8U);
  return u8;
}

}  // namespace gncyclegan::train
