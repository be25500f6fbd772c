// The training images: scanning the two folders (skipping, and naming, files
// that cannot be read), pairing by file name when asked, and making each step's
// augmented batch. Every random choice of step s comes from (seed, s) alone, so
// any worker can make any batch, and a resumed run sees the same data.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>
#include <torch/types.h>

#include "trainer/image_io.h"
#include "trainer/options.h"

namespace gncyclegan::train {

class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ImageFolder {
  std::string dir;
  std::vector<std::string> paths;  // readable images, sorted by name
  std::vector<cv::Size> sizes;
  std::vector<std::string> unreadable;  // skipped
};

// Throws DataError for a missing directory, one without images, or one where no
// image can be read. `flag` (e.g. "--visible") names the option in messages.
ImageFolder scan_folder(const std::string &dir, Domain domain, const std::string &flag);

struct ImagePairs {
  std::vector<std::pair<int64_t, int64_t>> pairs;  // (visible, infrared) indices, in visible's order
  std::vector<std::string> unmatched;              // paths with no partner of the same name
};
// Pairs the two folders' images by file name without extension (FLIR_00006.jpg
// with FLIR_00006.png): aligned data sets name a scene's two images alike.
ImagePairs pair_by_name(const ImageFolder &visible, const ImageFolder &infrared);

struct Batch {
  torch::Tensor visible;   // B x 3 x H x W, [-1, 1]
  torch::Tensor infrared;  // B x 1 x H x W
};

class TrainingData {
 public:
  explicit TrainingData(const TrainOptions &options);

  const ImageFolder &visible() const { return visible_; }
  const ImageFolder &infrared() const { return infrared_; }
  bool paired() const { return !pairs_.empty(); }
  // One line per folder with unreadable files, naming them; empty when none.
  std::vector<std::string> warnings() const;

  // Images per epoch (the larger folder, or the number of pairs).
  int64_t epoch_size() const;
  int64_t steps_per_epoch() const;
  // The batch the generator update of `step` trains on, and, for K > 1, the
  // extra batches of its discriminator updates (k = 1..K-1): random draws.
  Batch batch(int64_t step) const;
  Batch extra_batch(int64_t step, int k) const;
  // The same `count` images every time, centre-cropped, for sample grids.
  Batch fixed_batch(int count) const;

 private:
  cv::Mat prepare(const std::string &path, Domain domain, cv::Rect crop, bool flip) const;
  cv::Rect random_crop(cv::Size size, uint64_t &state) const;
  cv::Size working_size(cv::Size native) const;
  Batch make(const std::vector<std::pair<int64_t, int64_t>> &indices, uint64_t seed_base) const;

  TrainOptions options_;
  ImageFolder visible_, infrared_;
  std::vector<std::pair<int64_t, int64_t>> pairs_;  // (visible, infrared) indices when paired
};

}  // namespace gncyclegan::train
