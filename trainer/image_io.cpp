#include "trainer/image_io.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "model/pixels.h"
#include "trainer/atomic_file.h"

namespace gncyclegan::train {

bool has_image_extension(const std::string &path) {
  std::string extension = std::filesystem::path(path).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char *known : {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"})
    if (extension == known) return true;
  return false;
}

cv::Mat read_image(const std::string &path, Domain domain) {
  cv::Mat raw;
  try {
    raw = cv::imread(path, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception &error) {
    throw ImageError(path + ": cannot decode (" + error.msg + ")");
  }
  if (raw.empty()) throw ImageError(path + ": cannot be read or decoded");

  cv::Mat unit;  // float, [0, 1], channels as on disk
  if (raw.depth() == CV_8U) {
    raw.convertTo(unit, CV_32F, 1.0 / 255.0);
  } else if (raw.depth() == CV_16U) {
    cv::Mat gray = raw;
    if (raw.channels() > 1) cv::cvtColor(raw, gray, raw.channels() == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY);
    double lowest = 0, highest = 0;
    cv::minMaxLoc(gray, &lowest, &highest);
    const double range = std::max(highest - lowest, 1.0);
    gray.convertTo(unit, CV_32F, 1.0 / range, -lowest / range);
  } else {
    throw ImageError(path + ": unsupported pixel depth (only 8- and 16-bit images)");
  }

  cv::Mat result;
  const int channels = unit.channels();
  if (domain == Domain::visible) {
    if (channels == 1) cv::cvtColor(unit, result, cv::COLOR_GRAY2RGB);
    else cv::cvtColor(unit, result, channels == 4 ? cv::COLOR_BGRA2RGB : cv::COLOR_BGR2RGB);
  } else {
    if (channels == 1) result = unit;
    else cv::cvtColor(unit, result, channels == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY);
  }
  return result;
}

torch::Tensor image_to_tensor(const cv::Mat &image) {
  cv::Mat contiguous = image.isContinuous() ? image : image.clone();
  auto tensor = torch::from_blob(contiguous.data, {contiguous.rows, contiguous.cols, contiguous.channels()},
                                 torch::kFloat32);
  return tensor.permute({2, 0, 1}).mul(2.0).sub(1.0).contiguous();
}

cv::Mat tensor_to_bgr8(const torch::Tensor &tensor) {
  torch::Tensor pixels = model_to_u8(tensor.detach().to(torch::kCPU).to(torch::kFloat32));
  if (pixels.size(0) == 1) pixels = pixels.expand({3, pixels.size(1), pixels.size(2)});
  pixels = pixels.permute({1, 2, 0}).contiguous();
  cv::Mat rgb(static_cast<int>(pixels.size(0)), static_cast<int>(pixels.size(1)), CV_8UC3, pixels.data_ptr());
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  return bgr;
}

void write_image(const std::string &path, const cv::Mat &image) {
  std::vector<uchar> encoded;
  const std::string extension = std::filesystem::path(path).extension().string();
  if (!cv::imencode(extension, image, encoded)) throw ImageError("cannot encode " + path);
  try {
    write_file_atomically(path, std::string(encoded.begin(), encoded.end()));
  } catch (const std::runtime_error &failure) {
    throw ImageError(failure.what());
  }
}

}  // namespace gncyclegan::train
