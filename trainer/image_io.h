// Reading training images from disk and converting between OpenCV images and
// the model's tensors (see model/pixels.h for the pixel convention).
#pragma once

#include <stdexcept>
#include <string>

#include <opencv2/core.hpp>
#include <torch/types.h>

namespace gncyclegan::train {

enum class Domain { visible, infrared };

class ImageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// File endings the trainer reads (compared case-insensitively).
bool has_image_extension(const std::string &path);

// Visible: RGB, CV_32FC3. Infrared: one channel, CV_32FC1 (a colour file is
// converted to gray). Values in [0, 1]: 8-bit v -> v / 255; a 16-bit image is
// stretched from its own minimum..maximum to 0..1, since raw thermal counts
// occupy a narrow band of the 16-bit range. Throws ImageError when the file
// cannot be decoded.
cv::Mat read_image(const std::string &path, Domain domain);

// H x W x C float image in [0, 1] -> C x H x W tensor in [-1, 1].
torch::Tensor image_to_tensor(const cv::Mat &image);
// C x H x W tensor in [-1, 1] (C = 1 or 3, RGB) -> 8-bit BGR image for writing.
cv::Mat tensor_to_bgr8(const torch::Tensor &tensor);

// Writes an image atomically (temporary file, then rename); throws ImageError.
void write_image(const std::string &path, const cv::Mat &image);

}  // namespace gncyclegan::train
