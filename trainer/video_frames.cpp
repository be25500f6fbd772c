#include "trainer/video_frames.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "trainer/dataset.h"
#include "trainer/image_io.h"

namespace gncyclegan::train {
namespace {

namespace fs = std::filesystem;

std::string lower_extension(const std::string &path) {
  std::string extension = fs::path(path).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), [](unsigned char c) { return std::tolower(c); });
  return extension;
}

std::string numbered(size_t index) {
  char name[32];
  std::snprintf(name, sizeof name, "frame_%04zu", index);
  return name;
}

}  // namespace

FrameReader::FrameReader(const std::string &path) : path_(path) {
  std::error_code error;
  if (fs::is_directory(path, error)) {
    for (const auto &entry : fs::directory_iterator(path))
      if (entry.is_regular_file() && has_image_extension(entry.path().string())) files_.push_back(entry.path().string());
    std::sort(files_.begin(), files_.end());
    if (files_.empty()) throw DataError(path + ": the folder holds no image (.png, .jpg, ...)");
    return;
  }
  if (!fs::is_regular_file(path, error)) throw DataError(path + ": no such video file or folder of frames");
  capture_ = std::make_unique<cv::VideoCapture>(path, cv::CAP_FFMPEG);
  if (!capture_->isOpened())
    throw DataError(path + ": not a video OpenCV's FFmpeg backend can decode (give a video file or a folder of frames)");
}

FrameReader::~FrameReader() = default;

bool FrameReader::next(cv::Mat &bgr, std::string &name) {
  if (capture_) {
    cv::Mat decoded;  // the capture reuses its buffer: each frame gets its own
    if (!capture_->read(decoded) || decoded.empty()) return false;
    if (decoded.channels() == 1) cv::cvtColor(decoded, bgr, cv::COLOR_GRAY2BGR);
    else bgr = decoded.clone();
    name = numbered(index_++);
    return true;
  }
  if (index_ >= files_.size()) return false;
  const std::string &file = files_[index_++];
  bgr = cv::imread(file, cv::IMREAD_COLOR);
  if (bgr.empty()) throw DataError(file + ": cannot be decoded as an image");
  name = fs::path(file).filename().string();
  return true;
}

VideoWriter::VideoWriter(const std::string &path, double fps) : path_(path), fps_(fps) {
  const std::string extension = lower_extension(path);
  if (extension == ".mp4" || extension == ".mkv") fourcc_ = cv::VideoWriter::fourcc('a', 'v', 'c', '1');
  else if (extension == ".avi") fourcc_ = cv::VideoWriter::fourcc('M', 'J', 'P', 'G');
  else throw DataError(path + ": write the video as .mp4 or .mkv (H.264) or .avi (Motion JPEG)");
}

VideoWriter::~VideoWriter() = default;

void VideoWriter::write(const cv::Mat &frame) {
  cv::Mat bgr = frame;
  if (frame.type() == CV_8UC1) cv::cvtColor(frame, bgr, cv::COLOR_GRAY2BGR);
  else if (frame.type() != CV_8UC3) throw DataError(path_ + ": frames must be 8-bit gray or colour");
  if (!writer_) {
    size_ = bgr.size();
    writer_ = std::make_unique<cv::VideoWriter>(path_, cv::CAP_FFMPEG, fourcc_, fps_, size_);
    if (!writer_->isOpened()) throw DataError(path_ + ": OpenCV's FFmpeg backend cannot write this file");
  }
  if (bgr.size() != size_) throw DataError(path_ + ": every frame must have the first one's size");
  writer_->write(bgr);
}

void VideoWriter::close() {
  if (writer_) writer_->release();
}

void write_video(const std::vector<cv::Mat> &frames, const std::string &path, double fps) {
  if (frames.empty()) throw DataError(path + ": no frames to write");
  VideoWriter writer(path, fps);
  for (const auto &frame : frames) writer.write(frame);
  writer.close();
}

}  // namespace gncyclegan::train
