// The training images: scanning each set's two folders (skipping, and naming,
// files that cannot be read), pairing by file name when asked, choosing each
// step's images among the sets, and making its augmented batch. Every random
// choice of step s comes from (seed, s) alone, so any worker can make any
// batch, and a resumed run sees the same data.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>
#include <torch/types.h>

#include "trainer/dataset_spec.h"
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
  torch::Tensor base;      // B x 1 x H x W after cache_base(), else undefined
};

// One visible/infrared folder pair as training reads it.
struct TrainingSet {
  DatasetSpec spec;  // its weight resolved: its size when not given
  ImageFolder visible, infrared;
  std::vector<std::pair<int64_t, int64_t>> pairs;  // (visible, infrared) indices when paired
  // Images per epoch: the pairs, or the larger folder.
  int64_t size() const;
};

// The images of one batch item: a set, and a visible and an infrared image of it.
struct ImageChoice {
  int set = 0;
  int64_t visible = 0, infrared = 0;
  bool operator==(const ImageChoice &other) const {
    return set == other.set && visible == other.visible && infrared == other.infrared;
  }
};

// This process's part of a data-parallel run (trainer/distributed.h): rank
// `rank` of `world` trains on items rank·B .. rank·B + B-1 of each step's
// world·B images (B = --batch-size).
struct Shard {
  int rank = 0;
  int world = 1;
};

// Every set a run trains on (trainer/options.h: training_sets). A step's
// visible and infrared images come from one set, paired by name within it.
// With weights proportional to the sets' sizes (the default), steps walk a
// shuffled concatenation of the sets epoch by epoch, every image (pair) once,
// exactly as if the folders were one; with other weights each batch item
// draws its set with probability weight / sum of weights, then its images (or
// pair) of that set uniformly.
class TrainingData {
 public:
  explicit TrainingData(const TrainOptions &options, Shard shard = {});

  const std::vector<TrainingSet> &sets() const { return sets_; }
  int64_t visible_images() const;  // over every set
  int64_t infrared_images() const;
  bool paired() const { return options_.paired(); }
  // Whether steps walk the sets' concatenation (the weights are proportional
  // to the sets' sizes) rather than drawing each item's set by weight.
  bool concatenated() const { return concatenated_; }
  // One line per folder with unreadable files, naming them; empty when none.
  std::vector<std::string> warnings() const;
  // Each set's spec and counts, for config.json and the weights' metadata.
  std::vector<SetRecord> records() const;

  // Images per epoch (the sum of the sets' sizes).
  int64_t epoch_size() const;
  // Steps per epoch: the epoch in batches of every rank's images together.
  int64_t steps_per_epoch() const;
  // Which images this rank's generator update of `step` trains on (no file is read).
  std::vector<ImageChoice> choices(int64_t step) const;
  // The batch the generator update of `step` trains on, and, for K > 1, the
  // extra batches of its discriminator updates (k = 1..K-1): random draws.
  Batch batch(int64_t step) const;
  Batch extra_batch(int64_t step, int k) const;
  // The same `count` images every time, centre-cropped, for sample grids
  // (taking the sets in turn).
  Batch fixed_batch(int count) const;

  // From now on every batch also carries `base`: `translate` (a frozen
  // generator: N x 3 x H x W in [-1, 1] -> N x 1 x H x W) run on each whole
  // visible image at its working size, scaled (--scale-jitter), cut and
  // flipped as the visible crop (before --exposure-jitter). Each
  // image is translated once, by whichever loader needs it first, and kept in
  // memory: a --train-head run does not run its frozen base every step, and
  // the head sees the base's output as the element makes it, on the whole frame.
  void cache_base(std::function<torch::Tensor(const torch::Tensor &)> translate);

 private:
  struct Draw {
    std::vector<ImageChoice> choices;
    uint64_t crop_seed = 0;  // the crops' and flips' random stream
  };
  Draw draw(int64_t step) const;
  ImageChoice uniform_choice(uint64_t &state) const;  // a set by weight, then its images
  cv::Mat prepare(const std::string &path, Domain domain, double scale, cv::Rect crop, bool flip) const;
  cv::Mat load(const std::string &path, Domain domain, double scale) const;  // at its working size
  // cache_base's image for the visible image `visible` loaded from `path`.
  cv::Mat base_of(const std::string &path, const cv::Mat &visible) const;
  // `crop` of an image `load` gave for `path`, flipped if asked.
  static cv::Mat cut(const cv::Mat &image, const std::string &path, cv::Rect crop, bool flip);
  cv::Rect random_crop(cv::Size size, uint64_t &state) const;
  // Of `candidates`, the window holding the most hot-target pixels of
  // `infrared` (0..1, at the item's size: --target-crops); the first on a tie.
  static cv::Rect richest_crop(const cv::Mat &infrared, const std::vector<cv::Rect> &candidates);
  cv::Size working_size(cv::Size native, double scale) const;
  // `size` enlarged, its aspect ratio kept, just enough to cover the crop.
  cv::Size covering(cv::Size size) const;
  // `image` at `size` (itself when it is that size already).
  static cv::Mat resized(const cv::Mat &image, cv::Size size);
  int64_t step_images() const { return int64_t(options_.batch_size) * shard_.world; }
  // This rank's share of `choices`, each item cropped and flipped as it would
  // be in one batch of them all.
  Batch make(const std::vector<ImageChoice> &choices, uint64_t seed_base) const;

  TrainOptions options_;
  Shard shard_;
  std::vector<TrainingSet> sets_;
  std::vector<int64_t> starts_;  // each set's first position in the concatenation
  bool concatenated_ = true;
  double total_weight_ = 0;
  struct BaseCache {
    std::function<torch::Tensor(const torch::Tensor &)> translate;
    std::mutex mutex;
    std::map<std::string, cv::Mat> images;  // by visible path: [0, 1], one channel
  };
  std::shared_ptr<BaseCache> base_;
};

}  // namespace gncyclegan::train
