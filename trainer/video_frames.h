// Frames of a video, one after another: from a video file (decoded by
// OpenCV's FFmpeg backend) or a folder of images (in name order, as the
// M3SVD clips and gncyclegan-eval make-clip store them); and visible frames
// written to a video file as a camera would send them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace cv {
class VideoCapture;
class VideoWriter;
}

namespace gncyclegan::train {

class FrameReader {
 public:
  // Throws DataError when `path` is neither a readable video nor a folder
  // holding images.
  explicit FrameReader(const std::string &path);
  ~FrameReader();

  // The next frame as 8-bit BGR and its name (the file name, or
  // "frame_0000"... for a video); false after the last one. Throws DataError
  // on an image that cannot be decoded.
  bool next(cv::Mat &bgr, std::string &name);
  bool is_video() const { return capture_ != nullptr; }

 private:
  std::string path_;
  std::vector<std::string> files_;  // a folder's images, sorted
  std::unique_ptr<cv::VideoCapture> capture_;
  size_t index_ = 0;
};

// Encodes 8-bit BGR (or gray) frames of one size, one at a time: H.264 for
// .mp4 / .mkv, Motion JPEG for .avi. Throws DataError when the file cannot be
// written or a frame differs in size.
class VideoWriter {
 public:
  VideoWriter(const std::string &path, double fps);
  ~VideoWriter();
  void write(const cv::Mat &frame);  // the first frame sets the size
  void close();

 private:
  std::string path_;
  double fps_;
  int fourcc_;
  cv::Size size_;
  std::unique_ptr<cv::VideoWriter> writer_;
};

// All of `frames` through a VideoWriter.
void write_video(const std::vector<cv::Mat> &frames, const std::string &path, double fps);

}  // namespace gncyclegan::train
