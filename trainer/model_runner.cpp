#include "trainer/model_runner.h"

#include <chrono>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "model/any_size.h"
#include "model/device.h"
#include "model/pixels.h"
#include "model/weights.h"
#include "trainer/image_io.h"

namespace gncyclegan::train {

ModelRunner::ModelRunner(const std::string &model_path, const std::string &device, int threads, double scale)
    : device_(resolve_device(device)), scale_(scale) {
  if (device_.is_cpu()) set_cpu_threads(threads);
  auto loaded = load_generator(model_path);
  generator_ = loaded.generator;
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

cv::Mat ModelRunner::translate(const cv::Mat &visible, double &ms) {
  cv::Mat input = visible;
  if (scale_ != 1.0) {
    const cv::Size size(std::max(1, int(std::lround(visible.cols * scale_))),
                        std::max(1, int(std::lround(visible.rows * scale_))));
    cv::resize(visible, input, size, 0, 0, scale_ < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  if (generator_->config().in_channels == 1) cv::cvtColor(input, input, cv::COLOR_RGB2GRAY);
  torch::Tensor tensor = image_to_tensor(input).unsqueeze(0);

  const auto started = std::chrono::steady_clock::now();
  torch::Tensor output = forward_any_size(*generator_, tensor.to(device_)).to(torch::kCPU);
  ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();

  if (output.size(1) == 3) output = luma(output);  // a colour output is scored in gray
  output = output[0][0].contiguous();
  cv::Mat result(int(output.size(0)), int(output.size(1)), CV_32FC1, output.data_ptr());
  if (scale_ != 1.0) cv::resize(result, result, visible.size(), 0, 0, cv::INTER_LINEAR);
  else result = result.clone();
  // [-1, 1] -> 8-bit as model_to_u8: clamp, (y + 1) * 127.5, round.
  cv::Mat u8;
  result.convertTo(u8, CV_8U, 127.5, 127.5);
  return u8;
}

}  // namespace gncyclegan::train
