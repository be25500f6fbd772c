// The visible->infrared generator of a weights file, placed on its device and
// run one image at a time, as gncyclegan-eval scores it.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <c10/core/Device.h>
#include <opencv2/core.hpp>

#include "trainer/head_diagnosis.h"

namespace gncyclegan {
class Generator;
class HotCompositeGenerator;
}

namespace gncyclegan::train {

class ModelRunner {
 public:
  // device: auto, cpu, cuda or cuda:N; threads: CPU threads (0 = every core);
  // scale: the generator runs on the image resized by it and its output is
  // resized back. Throws WeightsError / DeviceError naming the cause.
  ModelRunner(const std::string &model_path, const std::string &device, int threads, double scale);

  const std::string &device() const { return description_; }
  std::string architecture() const;

  // RGB float [0, 1] -> 8-bit gray of the same size; `ms` = upload + forward + download.
  cv::Mat translate(const cv::Mat &visible, double &ms);

  // Whether the generator is a hot_ one (a base with a hot-target head).
  bool has_head() const { return hot_ != nullptr; }
  struct Translation {
    cv::Mat output;                  // as translate()
    std::optional<HeadParts> head;   // a hot_ generator's maps, at the visible image's size
  };
  // translate(), and a hot_ generator's maps from the same forward.
  Translation translate_with_head(const cv::Mat &visible, double &ms);

 private:
  // The maps only when asked: translate() runs once per video frame.
  Translation run(const cv::Mat &visible, double &ms, bool with_head);

  c10::Device device_;
  double scale_;
  std::shared_ptr<Generator> generator_;
  HotCompositeGenerator *hot_ = nullptr;  // generator_ as a hot_ one, or null
  std::string description_;
};

}  // namespace gncyclegan::train
