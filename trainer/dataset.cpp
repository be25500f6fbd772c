#include "trainer/dataset.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>

#include <opencv2/imgproc.hpp>

namespace gncyclegan::train {
namespace {

namespace fs = std::filesystem;

// SplitMix64: decorrelates (seed, step, purpose) into independent streams.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t next(uint64_t &state) { return mix(state++); }

int64_t uniform(uint64_t &state, int64_t bound) {  // [0, bound)
  return bound <= 1 ? 0 : static_cast<int64_t>(next(state) % static_cast<uint64_t>(bound));
}

std::string stem(const std::string &path) { return fs::path(path).stem().string(); }

std::string joined(const std::vector<std::string> &names, size_t most = 5) {
  std::string text;
  for (size_t i = 0; i < names.size() && i < most; ++i) text += (i ? ", " : "") + fs::path(names[i]).filename().string();
  if (names.size() > most) text += " and " + std::to_string(names.size() - most) + " more";
  return text;
}

}  // namespace

ImagePairs pair_by_name(const ImageFolder &visible, const ImageFolder &infrared) {
  std::map<std::string, int64_t> infrared_by_name;
  for (size_t i = 0; i < infrared.paths.size(); ++i) infrared_by_name[stem(infrared.paths[i])] = i;
  ImagePairs result;
  for (size_t i = 0; i < visible.paths.size(); ++i) {
    auto match = infrared_by_name.find(stem(visible.paths[i]));
    if (match == infrared_by_name.end()) {
      result.unmatched.push_back(visible.paths[i]);
      continue;
    }
    result.pairs.emplace_back(i, match->second);
    infrared_by_name.erase(match);
  }
  for (const auto &[name, index] : infrared_by_name) result.unmatched.push_back(infrared.paths[index]);
  return result;
}

ImageFolder scan_folder(const std::string &dir, Domain domain, const std::string &flag) {
  std::error_code error;
  if (!fs::exists(dir, error)) throw DataError(flag + " " + dir + ": no such directory");
  if (!fs::is_directory(dir, error)) throw DataError(flag + " " + dir + ": not a directory");
  ImageFolder folder;
  folder.dir = dir;
  std::vector<std::string> candidates;
  for (const auto &entry : fs::directory_iterator(dir, error))
    if (entry.is_regular_file() && has_image_extension(entry.path().string()))
      candidates.push_back(entry.path().string());
  if (error) throw DataError(flag + " " + dir + ": cannot list: " + error.message());
  std::sort(candidates.begin(), candidates.end());
  if (candidates.empty()) throw DataError(flag + " " + dir + " holds no images (.jpg, .png, .bmp, .tif)");
  for (const auto &path : candidates) {
    try {
      cv::Mat image = read_image(path, domain);
      folder.paths.push_back(path);
      folder.sizes.push_back(image.size());
    } catch (const ImageError &) {
      folder.unreadable.push_back(path);
    }
  }
  if (folder.paths.empty())
    throw DataError(flag + " " + dir + ": none of its " + std::to_string(candidates.size()) +
                    " images can be read (" + joined(folder.unreadable) + ")");
  return folder;
}

TrainingData::TrainingData(const TrainOptions &options) : options_(options) {
  visible_ = scan_folder(options.visible_dir, Domain::visible, "--visible");
  infrared_ = scan_folder(options.infrared_dir, Domain::infrared, "--infrared");

  if (options.paired()) {
    const ImagePairs matched = pair_by_name(visible_, infrared_);
    if (!matched.unmatched.empty())
      throw DataError("paired training (--paired-weight, --paired-ssim-weight) pairs images by file name, and " +
                      std::to_string(matched.unmatched.size()) +
                      " have no partner: " + joined(matched.unmatched));
    for (const auto &[v, i] : matched.pairs)
      if (visible_.sizes[v] != infrared_.sizes[i])
        throw DataError("paired training needs aligned pairs, but " + visible_.paths[v] + " and " +
                        infrared_.paths[i] + " differ in size");
    pairs_ = matched.pairs;
  }

}

std::vector<std::string> TrainingData::warnings() const {
  std::vector<std::string> lines;
  for (const ImageFolder *folder : {&visible_, &infrared_})
    if (!folder->unreadable.empty())
      lines.push_back("skipped " + std::to_string(folder->unreadable.size()) + " unreadable image(s) in " +
                      folder->dir + ": " + joined(folder->unreadable));
  if (options_.scale == Scale::native) {
    std::vector<std::string> small;
    for (const ImageFolder *folder : {&visible_, &infrared_})
      for (size_t i = 0; i < folder->paths.size(); ++i)
        if (folder->sizes[i] != working_size(folder->sizes[i])) small.push_back(folder->paths[i]);
    if (!small.empty())
      lines.push_back(std::to_string(small.size()) + " image(s) smaller than --crop-size " +
                      std::to_string(options_.crop_size) + " are enlarged to cover it: " + joined(small));
  }
  return lines;
}

int64_t TrainingData::epoch_size() const {
  if (paired()) return static_cast<int64_t>(pairs_.size());
  return static_cast<int64_t>(std::max(visible_.paths.size(), infrared_.paths.size()));
}

int64_t TrainingData::steps_per_epoch() const {
  return (epoch_size() + options_.batch_size - 1) / options_.batch_size;
}

cv::Size TrainingData::working_size(cv::Size native) const {
  if (options_.scale == Scale::resize) return {options_.load_size, options_.load_size};
  // Native scale, except that an image smaller than the crop is enlarged, its
  // aspect ratio kept, just enough to cover it.
  const double enlarge = std::max({1.0, double(options_.crop_size) / native.width,
                                   double(options_.crop_size) / native.height});
  if (enlarge == 1.0) return native;
  return {std::max(options_.crop_size, int(std::ceil(native.width * enlarge))),
          std::max(options_.crop_size, int(std::ceil(native.height * enlarge)))};
}

cv::Rect TrainingData::random_crop(cv::Size size, uint64_t &state) const {
  const int crop = options_.crop_size;
  const int x = static_cast<int>(uniform(state, size.width - crop + 1));
  const int y = static_cast<int>(uniform(state, size.height - crop + 1));
  return {x, y, crop, crop};
}

cv::Mat TrainingData::prepare(const std::string &path, Domain domain, cv::Rect crop, bool flip) const {
  cv::Mat image;
  try {
    image = read_image(path, domain);
  } catch (const ImageError &error) {
    // Readable when scanned; gone or changed since.
    throw DataError(std::string(error.what()) + " (it was readable when training started)");
  }
  if (working_size(image.size()) != image.size()) {
    cv::resize(image, image, working_size(image.size()), 0, 0, cv::INTER_CUBIC);
    cv::min(cv::max(image, 0.0), 1.0, image);  // bicubic overshoot
  }
  cv::Mat cropped = image(crop & cv::Rect(0, 0, image.cols, image.rows)).clone();
  if (cropped.cols != crop.width || cropped.rows != crop.height)
    throw DataError(path + " changed size since training started");
  if (flip) cv::flip(cropped, cropped, 1);
  return cropped;
}

Batch TrainingData::make(const std::vector<std::pair<int64_t, int64_t>> &indices, uint64_t seed_base) const {
  std::vector<torch::Tensor> visible, infrared;
  uint64_t state = seed_base;
  for (const auto &[a, b] : indices) {
    const cv::Size size_a = working_size(visible_.sizes[a]);
    const cv::Size size_b = working_size(infrared_.sizes[b]);
    const cv::Rect crop_a = random_crop(size_a, state);
    const bool flip_a = options_.flip && uniform(state, 2) == 1;
    // Aligned pairs share the crop window and the flip.
    const cv::Rect crop_b = paired() ? crop_a : random_crop(size_b, state);
    const bool flip_b = paired() ? flip_a : options_.flip && uniform(state, 2) == 1;
    visible.push_back(image_to_tensor(prepare(visible_.paths[a], Domain::visible, crop_a, flip_a)));
    infrared.push_back(image_to_tensor(prepare(infrared_.paths[b], Domain::infrared, crop_b, flip_b)));
  }
  return {torch::stack(visible), torch::stack(infrared)};
}

Batch TrainingData::batch(int64_t step) const {
  const int64_t size = epoch_size();
  const int64_t epoch = step / steps_per_epoch();
  // This epoch's order: a seeded Fisher-Yates shuffle of the positions.
  std::vector<int64_t> order(size);
  std::iota(order.begin(), order.end(), 0);
  uint64_t shuffle_state = mix(options_.seed ^ mix(0x5eed0000ULL + static_cast<uint64_t>(epoch)));
  for (int64_t i = size - 1; i > 0; --i) std::swap(order[i], order[uniform(shuffle_state, i + 1)]);

  uint64_t state = mix(options_.seed ^ mix(static_cast<uint64_t>(step)));
  std::vector<std::pair<int64_t, int64_t>> indices;
  const int64_t first = (step % steps_per_epoch()) * options_.batch_size;
  for (int64_t i = 0; i < options_.batch_size; ++i) {
    const int64_t position = order[(first + i) % size];
    if (paired()) {
      indices.push_back(pairs_[position]);
    } else {
      // As the reference: the visible image in order, the infrared one at random.
      indices.emplace_back(position % static_cast<int64_t>(visible_.paths.size()),
                           uniform(state, static_cast<int64_t>(infrared_.paths.size())));
    }
  }
  return make(indices, next(state));
}

Batch TrainingData::extra_batch(int64_t step, int k) const {
  uint64_t state = mix(options_.seed ^ mix(static_cast<uint64_t>(step) * 131 + static_cast<uint64_t>(k)) ^ 0xd15cULL);
  std::vector<std::pair<int64_t, int64_t>> indices;
  for (int64_t i = 0; i < options_.batch_size; ++i) {
    if (paired()) {
      indices.push_back(pairs_[uniform(state, static_cast<int64_t>(pairs_.size()))]);
    } else {
      indices.emplace_back(uniform(state, static_cast<int64_t>(visible_.paths.size())),
                           uniform(state, static_cast<int64_t>(infrared_.paths.size())));
    }
  }
  return make(indices, next(state));
}

Batch TrainingData::fixed_batch(int count) const {
  std::vector<torch::Tensor> visible, infrared;
  for (int i = 0; i < count; ++i) {
    const int64_t a = paired() ? pairs_[i % pairs_.size()].first : i % static_cast<int64_t>(visible_.paths.size());
    const int64_t b = paired() ? pairs_[i % pairs_.size()].second : i % static_cast<int64_t>(infrared_.paths.size());
    auto centre = [&](cv::Size native) {
      const cv::Size size = working_size(native);
      return cv::Rect((size.width - options_.crop_size) / 2, (size.height - options_.crop_size) / 2,
                      options_.crop_size, options_.crop_size);
    };
    visible.push_back(image_to_tensor(prepare(visible_.paths[a], Domain::visible, centre(visible_.sizes[a]), false)));
    infrared.push_back(
        image_to_tensor(prepare(infrared_.paths[b], Domain::infrared, centre(infrared_.sizes[b]), false)));
  }
  return {torch::stack(visible), torch::stack(infrared)};
}

}  // namespace gncyclegan::train
