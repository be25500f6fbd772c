#include "trainer/motion_clip.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "trainer/atomic_file.h"
#include "trainer/dataset.h"
#include "trainer/image_io.h"

namespace gncyclegan::train {
namespace {

namespace fs = std::filesystem;

cv::Matx33d homogeneous(const cv::Matx23d &m) {
  return {m(0, 0), m(0, 1), m(0, 2), m(1, 0), m(1, 1), m(1, 2), 0, 0, 1};
}

std::string frame_name(size_t t) {
  char name[32];
  std::snprintf(name, sizeof name, "frame_%04zu.png", t);
  return name;
}

}  // namespace

cv::Matx23d next_to_previous(const cv::Matx23d &source_of_t, const cv::Matx23d &source_of_t1) {
  const cv::Matx33d m = homogeneous(source_of_t).inv() * homogeneous(source_of_t1);
  return {m(0, 0), m(0, 1), m(0, 2), m(1, 0), m(1, 1), m(1, 2)};
}

cv::Matx23d MotionClip::next_to_previous(size_t t) const {
  return train::next_to_previous(frame_to_source.at(t), frame_to_source.at(t + 1));
}

MotionClip make_motion_clip(const cv::Mat &visible, const cv::Mat &infrared, const MotionClipOptions &options) {
  if (visible.type() != CV_8UC3 || infrared.type() != CV_8UC1 || visible.size() != infrared.size())
    throw std::invalid_argument("a motion clip needs an 8-bit colour visible image and an 8-bit gray infrared image "
                                "of one size");
  if (options.frames < 2) throw std::invalid_argument("a motion clip needs at least 2 frames");
  if (!(options.window > 0 && options.window <= 1)) throw std::invalid_argument("the window must be in (0, 1]");
  const int cols = visible.cols, rows = visible.rows;
  // Even sides: H.264's 4:2:0 sampling needs them, and a clip is encoded as one.
  auto even = [](double side) { return std::max(2, 2 * int(std::floor(side / 2))); };
  const cv::Size size(std::min(cols, even(cols * options.window)), std::min(rows, even(rows * options.window)));
  const int last = options.frames - 1;

  MotionClip clip;
  if (options.motion == Motion::pan) {
    const double travel = std::abs(options.pan_pixels) * last;
    if (travel > cols - size.width)
      throw std::invalid_argument("a pan of " + std::to_string(options.frames) + " frames at " +
                                  std::to_string(options.pan_pixels) + " px leaves the " + std::to_string(cols) +
                                  "-px-wide image: lower the frames, the speed or the window");
    const double start = (cols - size.width - travel) / 2 + (options.pan_pixels < 0 ? travel : 0);
    const double top = (rows - size.height) / 2.0;
    for (int t = 0; t <= last; ++t) clip.frame_to_source.push_back({1, 0, start + options.pan_pixels * t, 0, 1, top});
  } else {
    if (!(options.zoom_per_frame > 0)) throw std::invalid_argument("the zoom per frame must be positive");
    const double smallest = std::pow(options.zoom_per_frame, options.zoom_per_frame < 1 ? last : 0);
    if (smallest < options.window)
      throw std::invalid_argument("a zoom out to " + std::to_string(smallest) + "x leaves the image: lower the "
                                  "frames or the window, or zoom by less per frame");
    const double cx = (cols - 1) / 2.0, cy = (rows - 1) / 2.0;
    const double fx = (size.width - 1) / 2.0, fy = (size.height - 1) / 2.0;
    for (int t = 0; t <= last; ++t) {
      const double shrink = 1 / std::pow(options.zoom_per_frame, t);  // source pixels per frame pixel
      clip.frame_to_source.push_back({shrink, 0, cx - fx * shrink, 0, shrink, cy - fy * shrink});
    }
  }
  for (const auto &m : clip.frame_to_source) {
    cv::Mat v, i;
    cv::warpAffine(visible, v, cv::Mat(m), size, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
    cv::warpAffine(infrared, i, cv::Mat(m), size, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
    clip.visible.push_back(v);
    clip.infrared.push_back(i);
  }
  return clip;
}

void write_motion_clip(const MotionClip &clip, const MotionClipOptions &options, const std::string &dir) {
  for (const char *domain : {"visible", "infrared"}) fs::create_directories(fs::path(dir) / domain);
  nlohmann::json motion = {{"frames", clip.visible.size()},
                           {"width", clip.visible.front().cols},
                           {"height", clip.visible.front().rows},
                           {"motion", options.motion == Motion::pan ? "pan" : "zoom"},
                           {"frame_to_source", nlohmann::json::array()}};
  if (options.motion == Motion::pan) motion["pan_pixels"] = options.pan_pixels;
  else motion["zoom_per_frame"] = options.zoom_per_frame;
  for (size_t t = 0; t < clip.visible.size(); ++t) {
    write_image((fs::path(dir) / "visible" / frame_name(t)).string(), clip.visible[t]);
    write_image((fs::path(dir) / "infrared" / frame_name(t)).string(), clip.infrared[t]);
    const auto &m = clip.frame_to_source[t];
    motion["frame_to_source"].push_back({m(0, 0), m(0, 1), m(0, 2), m(1, 0), m(1, 1), m(1, 2)});
  }
  write_file_atomically((fs::path(dir) / "motion.json").string(), motion.dump() + "\n");
}

std::vector<cv::Matx23d> read_motion(const std::string &path) {
  std::ifstream file(path);
  if (!file) throw DataError(path + ": cannot be read");
  nlohmann::json motion;
  try {
    motion = nlohmann::json::parse(file);
    std::vector<cv::Matx23d> result;
    for (const auto &m : motion.at("frame_to_source")) {
      if (m.size() != 6) throw DataError(path + ": each frame_to_source entry holds 6 numbers (a 2x3 matrix)");
      result.push_back({m[0].get<double>(), m[1].get<double>(), m[2].get<double>(), m[3].get<double>(),
                        m[4].get<double>(), m[5].get<double>()});
    }
    return result;
  } catch (const nlohmann::json::exception &error) {
    throw DataError(path + ": not a motion file written by gncyclegan-eval make-clip (" + error.what() + ")");
  }
}

}  // namespace gncyclegan::train
