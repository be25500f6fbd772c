#include "trainer/model_runner.h"

#include <chrono>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "model/any_size.h"
#include "model/device.h"
#include "model/hot_composite_generator.h"
#include "model/pixels.h"
#include "model/weights.h"
#include "trainer/image_io.h"

namespace gncyclegan::train {
namespace {

// An h x w float map -> CV_32FC1 at `size` (bilinear, as the output is resized back).
cv::Mat to_size(const torch::Tensor &map, const cv::Size &size) {
  const auto contiguous = map.to(torch::kCPU, torch::kFloat32).contiguous();
  const cv::Mat view(int(contiguous.size(0)), int(contiguous.size(1)), CV_32FC1, contiguous.data_ptr());
  cv::Mat result;
  if (view.size() != size) cv::resize(view, result, size, 0, 0, cv::INTER_LINEAR);
  else result = view.clone();
  return result;
}

}  // namespace

ModelRunner::ModelRunner(const std::string &model_path, const std::string &device, int threads, double scale)
    : device_(resolve_device(device)), scale_(scale) {
  if (device_.is_cpu()) set_cpu_threads(threads);
  auto loaded = load_generator(model_path);
  generator_ = loaded.generator;
  hot_ = dynamic_cast<HotCompositeGenerator *>(generator_.get());
  const auto &config = generator_->config();
  if ((config.in_channels != 3 && config.in_channels != 1) || (config.out_channels != 1 && config.out_channels != 3))
    throw WeightsError(model_path + ": a " + std::to_string(config.in_channels) + "->" +
                       std::to_string(config.out_channels) +
                       "-channel generator cannot translate visible (RGB or gray) into infrared");
  generator_->to(device_);
  generator_->eval();
  description_ = describe_device(device_);
}

std::string ModelRunner::architecture() const { return generator_->config().architecture(); }

cv::Mat ModelRunner::translate(const cv::Mat &visible, double &ms) { return run(visible, ms, false).output; }

ModelRunner::Translation ModelRunner::translate_with_head(const cv::Mat &visible, double &ms) {
  return run(visible, ms, true);
}

ModelRunner::Translation ModelRunner::run(const cv::Mat &visible, double &ms, bool with_head) {
  const bool head = with_head && hot_;
  cv::Mat input = visible;
  if (scale_ != 1.0) {
    const cv::Size size(std::max(1, int(std::lround(visible.cols * scale_))),
                        std::max(1, int(std::lround(visible.rows * scale_))));
    cv::resize(visible, input, size, 0, 0, scale_ < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  if (generator_->config().in_channels == 1) cv::cvtColor(input, input, cv::COLOR_RGB2GRAY);
  torch::Tensor tensor = image_to_tensor(input).unsqueeze(0);

  // A hot_ generator's forward is the composite of its parts: one pass gives
  // the output and, as channels 1..3, the base, the gate's opening and the value.
  const auto forward = [&](const torch::Tensor &x) {
    if (!head) return generator_->forward(x);
    const auto parts = hot_->parts(x);
    return torch::cat({HotCompositeGenerator::composite(parts.base, parts.gate_logits, parts.value), parts.base,
                       torch::sigmoid(parts.gate_logits), parts.value},
                      1);
  };
  const auto started = std::chrono::steady_clock::now();
  torch::Tensor result = forward_any_size(generator_->config(), tensor.to(device_), forward).to(torch::kCPU);
  ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();

  Translation translation;
  torch::Tensor output = result;
  if (head) {
    output = result.narrow(1, 0, 1);
    // [-1, 1] -> gray levels, as the output; the gate stays 0..1.
    translation.head = HeadParts{to_size((result[0][1] + 1) * 127.5, visible.size()),
                                 to_size(result[0][2], visible.size()),
                                 to_size((result[0][3] + 1) * 127.5, visible.size())};
  } else if (output.size(1) == 3) {
    output = luma(output);  // a colour output is scored in gray
  }
  // [-1, 1] -> 8-bit as model_to_u8: clamp, (y + 1) * 127.5, round.
  to_size(output[0][0], visible.size()).convertTo(translation.output, CV_8U, 127.5, 127.5);
  return translation;
}

}  // namespace gncyclegan::train
