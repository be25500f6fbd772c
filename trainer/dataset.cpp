#include "trainer/dataset.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>
#include <tuple>

#include <opencv2/imgproc.hpp>

#include "trainer/hot_targets.h"
#include "trainer/random_stream.h"

namespace gncyclegan::train {
namespace {

namespace fs = std::filesystem;

std::string stem(const std::string &path) { return fs::path(path).stem().string(); }

// An image's size after its set's scale (aspect ratio kept).
cv::Size scaled_size(cv::Size native, double scale) {
  if (scale == 1.0) return native;
  return {std::max(1, int(std::lround(native.width * scale))), std::max(1, int(std::lround(native.height * scale)))};
}

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

int64_t TrainingSet::size() const {
  if (!pairs.empty()) return static_cast<int64_t>(pairs.size());
  return static_cast<int64_t>(std::max(visible.paths.size(), infrared.paths.size()));
}

TrainingData::TrainingData(const TrainOptions &options, Shard shard) : options_(options), shard_(shard) {
  const std::vector<DatasetSpec> specs = training_sets(options);
  if (specs.empty()) throw DataError("no training set: give --visible and --infrared, or --dataset");
  for (const DatasetSpec &spec : specs) {
    // The --visible/--infrared set keeps the flags' names in messages.
    const bool flags = !options.visible_dir.empty() && sets_.empty();
    const std::string label = "set " + spec.name;
    TrainingSet entry;
    entry.spec = spec;
    entry.visible = scan_folder(spec.visible_dir, Domain::visible, flags ? "--visible" : label + ": visible folder");
    entry.infrared =
        scan_folder(spec.infrared_dir, Domain::infrared, flags ? "--infrared" : label + ": infrared folder");
    if (options.paired()) {
      const ImagePairs matched = pair_by_name(entry.visible, entry.infrared);
      if (!matched.unmatched.empty())
        throw DataError("paired training (--paired-weight, --paired-ssim-weight, --paired-gradient-weight, --paired-edge-energy-weight) pairs "
                        "images by file name, and " +
                        std::to_string(matched.unmatched.size()) + (flags ? "" : " in " + label) +
                        " have no partner: " + joined(matched.unmatched));
      for (const auto &[v, i] : matched.pairs)
        if (entry.visible.sizes[v] != entry.infrared.sizes[i])
          throw DataError("paired training needs aligned pairs, but " + entry.visible.paths[v] + " and " +
                          entry.infrared.paths[i] + " differ in size");
      entry.pairs = matched.pairs;
    }
    if (entry.spec.weight <= 0) entry.spec.weight = static_cast<double>(entry.size());
    sets_.push_back(std::move(entry));
  }

  int64_t start = 0;
  for (const auto &set : sets_) {
    starts_.push_back(start);
    start += set.size();
    total_weight_ += set.spec.weight;
    // Weights in proportion to the sizes: the concatenation, exactly.
    const double per_image = sets_.front().spec.weight / double(sets_.front().size());
    if (std::abs(set.spec.weight / double(set.size()) - per_image) > 1e-9 * per_image) concatenated_ = false;
  }
}

int64_t TrainingData::visible_images() const {
  int64_t count = 0;
  for (const auto &set : sets_) count += static_cast<int64_t>(set.visible.paths.size());
  return count;
}

int64_t TrainingData::infrared_images() const {
  int64_t count = 0;
  for (const auto &set : sets_) count += static_cast<int64_t>(set.infrared.paths.size());
  return count;
}

std::vector<std::string> TrainingData::warnings() const {
  std::vector<std::string> lines;
  for (const auto &set : sets_)
    for (const ImageFolder *folder : {&set.visible, &set.infrared})
      if (!folder->unreadable.empty())
        lines.push_back("skipped " + std::to_string(folder->unreadable.size()) + " unreadable image(s) in " +
                        folder->dir + ": " + joined(folder->unreadable));
  if (options_.scale == Scale::native) {
    std::vector<std::string> small;
    for (const auto &set : sets_)
      for (const ImageFolder *folder : {&set.visible, &set.infrared})
        for (size_t i = 0; i < folder->paths.size(); ++i) {
          const cv::Size scaled = scaled_size(folder->sizes[i], set.spec.scale);
          if (working_size(folder->sizes[i], set.spec.scale) != scaled) small.push_back(folder->paths[i]);
        }
    if (!small.empty())
      lines.push_back(std::to_string(small.size()) + " image(s) smaller than --crop-size " +
                      std::to_string(options_.crop_size) + " are enlarged to cover it: " + joined(small));
  }
  return lines;
}

std::vector<SetRecord> TrainingData::records() const {
  std::vector<SetRecord> records;
  for (const auto &set : sets_)
    records.push_back({set.spec, static_cast<int64_t>(set.visible.paths.size()),
                       static_cast<int64_t>(set.infrared.paths.size()), static_cast<int64_t>(set.pairs.size())});
  return records;
}

int64_t TrainingData::epoch_size() const { return starts_.back() + sets_.back().size(); }

int64_t TrainingData::steps_per_epoch() const {
  return (epoch_size() + step_images() - 1) / step_images();
}

cv::Size TrainingData::covering(cv::Size size) const {
  const double enlarge =
      std::max({1.0, double(options_.crop_size) / size.width, double(options_.crop_size) / size.height});
  if (enlarge == 1.0) return size;
  return {std::max(options_.crop_size, int(std::ceil(size.width * enlarge))),
          std::max(options_.crop_size, int(std::ceil(size.height * enlarge)))};
}

cv::Size TrainingData::working_size(cv::Size native, double scale) const {
  if (options_.scale == Scale::resize) return {options_.load_size, options_.load_size};
  // The set's scale first; then an image smaller than the crop is enlarged,
  // its aspect ratio kept, just enough to cover it.
  return covering(scaled_size(native, scale));
}

cv::Mat TrainingData::resized(const cv::Mat &image, cv::Size size) {
  if (image.size() == size) return image;
  cv::Mat result;
  // Area averaging when shrinking does not alias; bilinear does not overshoot.
  cv::resize(image, result, size, 0, 0, size.width < image.cols ? cv::INTER_AREA : cv::INTER_LINEAR);
  return result;
}

cv::Rect TrainingData::random_crop(cv::Size size, uint64_t &state) const {
  const int crop = options_.crop_size;
  const int x = static_cast<int>(uniform(state, size.width - crop + 1));
  const int y = static_cast<int>(uniform(state, size.height - crop + 1));
  return {x, y, crop, crop};
}

cv::Mat TrainingData::load(const std::string &path, Domain domain, double scale) const {
  cv::Mat image;
  try {
    image = read_image(path, domain);
  } catch (const ImageError &error) {
    // Readable when scanned; gone or changed since.
    throw DataError(std::string(error.what()) + " (it was readable when training started)");
  }
  const cv::Size working = working_size(image.size(), scale);
  if (working != image.size()) {
    // Bicubic as the reference; a set's scale below 1 shrinks by area
    // averaging instead, which does not alias.
    const bool shrink = options_.scale == Scale::native && working.width < image.cols;
    cv::resize(image, image, working, 0, 0, shrink ? cv::INTER_AREA : cv::INTER_CUBIC);
    cv::min(cv::max(image, 0.0), 1.0, image);  // bicubic overshoot
  }
  return image;
}

cv::Mat TrainingData::prepare(const std::string &path, Domain domain, double scale, cv::Rect crop, bool flip) const {
  return cut(load(path, domain, scale), path, crop, flip);
}

cv::Mat TrainingData::cut(const cv::Mat &image, const std::string &path, cv::Rect crop, bool flip) {
  cv::Mat cropped = image(crop & cv::Rect(0, 0, image.cols, image.rows)).clone();
  if (cropped.cols != crop.width || cropped.rows != crop.height)
    throw DataError(path + " changed size since training started");
  if (flip) cv::flip(cropped, cropped, 1);
  return cropped;
}

cv::Rect TrainingData::richest_crop(const cv::Mat &infrared, const std::vector<cv::Rect> &candidates) {
  cv::Mat bytes;
  infrared.convertTo(bytes, CV_8U, 255.0);
  cv::Mat counts;  // (rows + 1) x (cols + 1) running sums of target pixels
  cv::integral(hot_target_mask(bytes) / 255, counts, CV_32S);
  cv::Rect best = candidates.front();
  int most = -1;
  for (const cv::Rect &window : candidates) {
    const int inside = counts.at<int>(window.br()) - counts.at<int>(window.y, window.x + window.width) -
                       counts.at<int>(window.y + window.height, window.x) + counts.at<int>(window.tl());
    if (inside > most) std::tie(best, most) = std::make_pair(window, inside);
  }
  return best;
}

void TrainingData::cache_base(std::function<torch::Tensor(const torch::Tensor &)> translate) {
  base_ = std::make_shared<BaseCache>();
  base_->translate = std::move(translate);
}

cv::Mat TrainingData::base_of(const std::string &path, const cv::Mat &visible) const {
  {
    std::lock_guard<std::mutex> lock(base_->mutex);
    auto it = base_->images.find(path);
    if (it != base_->images.end()) return it->second;
  }
  // Outside the lock: loaders translate different images at once. Two that
  // race for one image compute the same thing; the first stored is kept.
  const torch::Tensor output = base_->translate(image_to_tensor(visible).unsqueeze(0))[0][0];
  const torch::Tensor unit = ((output.to(torch::kCPU, torch::kFloat32) + 1) / 2).contiguous();
  const cv::Mat image = cv::Mat(static_cast<int>(unit.size(0)), static_cast<int>(unit.size(1)), CV_32FC1,
                                const_cast<float *>(unit.data_ptr<float>()))
                            .clone();
  std::lock_guard<std::mutex> lock(base_->mutex);
  return base_->images.emplace(path, image).first->second;
}

Batch TrainingData::make(const std::vector<ImageChoice> &choices, uint64_t seed_base) const {
  std::vector<torch::Tensor> visible, infrared, base;
  uint64_t state = seed_base;
  const size_t first = size_t(shard_.rank) * size_t(options_.batch_size);
  for (size_t item = 0; item < choices.size(); ++item) {
    const ImageChoice &choice = choices[item];
    const TrainingSet &set = sets_[choice.set];
    const double scale = set.spec.scale;
    // Drawn only when asked, so runs without jitter keep their streams.
    const double factor =
        options_.scale_jitter > 1.0 ? std::pow(options_.scale_jitter, 2 * uniform_unit(state) - 1) : 1.0;
    const cv::Size working_a = working_size(set.visible.sizes[choice.visible], scale);
    const cv::Size working_b = working_size(set.infrared.sizes[choice.infrared], scale);
    const cv::Size size_a = factor == 1.0 ? working_a : covering(scaled_size(working_a, factor));
    const cv::Size size_b = factor == 1.0 ? working_b : covering(scaled_size(working_b, factor));
    cv::Rect crop_a = random_crop(size_a, state);
    std::vector<cv::Rect> candidates{crop_a};
    if (paired())
      for (int k = 1; k < options_.target_crops; ++k) candidates.push_back(random_crop(size_a, state));
    const bool flip_a = options_.flip && uniform(state, 2) == 1;
    // Aligned pairs share the crop window and the flip.
    cv::Rect crop_b = paired() ? crop_a : random_crop(size_b, state);
    const bool flip_b = paired() ? flip_a : options_.flip && uniform(state, 2) == 1;
    const double gain =
        options_.exposure_jitter > 0 ? std::exp((2 * uniform_unit(state) - 1) * options_.exposure_jitter) : 1.0;
    // Every rank draws every item's crop, so each item's crop is the same
    // however many ranks share the step; only this rank's are read.
    if (item < first || item >= first + size_t(options_.batch_size)) continue;
    const std::string &infrared_path = set.infrared.paths[choice.infrared];
    const cv::Mat infrared_image = resized(load(infrared_path, Domain::infrared, scale), size_b);
    if (candidates.size() > 1) crop_b = crop_a = richest_crop(infrared_image, candidates);
    const std::string &visible_path = set.visible.paths[choice.visible];
    const cv::Mat visible_image = load(visible_path, Domain::visible, scale);
    cv::Mat visible_crop = cut(resized(visible_image, size_a), visible_path, crop_a, flip_a);
    if (gain != 1.0) {
      visible_crop *= gain;
      cv::min(visible_crop, 1.0, visible_crop);
    }
    visible.push_back(image_to_tensor(visible_crop));
    infrared.push_back(image_to_tensor(cut(infrared_image, infrared_path, crop_b, flip_b)));
    // The base is of the whole image at its working size, before the jitter:
    // it is cached once per image and scaled as the visible image is.
    if (base_)
      base.push_back(
          image_to_tensor(cut(resized(base_of(visible_path, visible_image), size_a), visible_path, crop_a, flip_a)));
  }
  return {torch::stack(visible), torch::stack(infrared), base.empty() ? torch::Tensor() : torch::stack(base)};
}

ImageChoice TrainingData::uniform_choice(uint64_t &state) const {
  ImageChoice choice;
  if (sets_.size() > 1) {  // one set draws nothing here, so single-set runs keep their old streams
    const double target = uniform_unit(state) * total_weight_;
    double sum = 0;
    choice.set = static_cast<int>(sets_.size()) - 1;  // rounding at the top end
    for (size_t s = 0; s < sets_.size(); ++s)
      if (target < (sum += sets_[s].spec.weight)) {
        choice.set = static_cast<int>(s);
        break;
      }
  }
  const TrainingSet &set = sets_[choice.set];
  if (paired()) {
    std::tie(choice.visible, choice.infrared) = set.pairs[uniform(state, static_cast<int64_t>(set.pairs.size()))];
  } else {
    // Infrared first: the order earlier (GCC) builds drew them in, so their
    // runs resume on the same data.
    choice.infrared = uniform(state, static_cast<int64_t>(set.infrared.paths.size()));
    choice.visible = uniform(state, static_cast<int64_t>(set.visible.paths.size()));
  }
  return choice;
}

TrainingData::Draw TrainingData::draw(int64_t step) const {
  uint64_t state = mix(options_.seed ^ mix(static_cast<uint64_t>(step)));
  Draw result;
  if (!concatenated_) {
    for (int64_t i = 0; i < step_images(); ++i) result.choices.push_back(uniform_choice(state));
    result.crop_seed = next(state);
    return result;
  }
  const int64_t size = epoch_size();
  const int64_t epoch = step / steps_per_epoch();
  // This epoch's order: a seeded Fisher-Yates shuffle of the positions.
  std::vector<int64_t> order(size);
  std::iota(order.begin(), order.end(), 0);
  uint64_t shuffle_state = mix(options_.seed ^ mix(0x5eed0000ULL + static_cast<uint64_t>(epoch)));
  for (int64_t i = size - 1; i > 0; --i) std::swap(order[i], order[uniform(shuffle_state, i + 1)]);

  const int64_t first = (step % steps_per_epoch()) * step_images();
  for (int64_t i = 0; i < step_images(); ++i) {
    const int64_t position = order[(first + i) % size];
    ImageChoice choice;
    choice.set = static_cast<int>(std::upper_bound(starts_.begin(), starts_.end(), position) - starts_.begin()) - 1;
    const TrainingSet &set = sets_[choice.set];
    const int64_t local = position - starts_[choice.set];
    if (paired()) {
      std::tie(choice.visible, choice.infrared) = set.pairs[local];
    } else {
      // As the reference: the visible image in order, the infrared one at random.
      choice.visible = local % static_cast<int64_t>(set.visible.paths.size());
      choice.infrared = uniform(state, static_cast<int64_t>(set.infrared.paths.size()));
    }
    result.choices.push_back(choice);
  }
  result.crop_seed = next(state);
  return result;
}

std::vector<ImageChoice> TrainingData::choices(int64_t step) const {
  const auto all = draw(step).choices;
  const auto first = all.begin() + int64_t(shard_.rank) * options_.batch_size;
  return {first, first + options_.batch_size};
}

Batch TrainingData::batch(int64_t step) const {
  const Draw drawn = draw(step);
  return make(drawn.choices, drawn.crop_seed);
}

Batch TrainingData::extra_batch(int64_t step, int k) const {
  uint64_t state = mix(options_.seed ^ mix(static_cast<uint64_t>(step) * 131 + static_cast<uint64_t>(k)) ^ 0xd15cULL);
  std::vector<ImageChoice> choices;
  for (int64_t i = 0; i < step_images(); ++i) choices.push_back(uniform_choice(state));
  return make(choices, next(state));
}

Batch TrainingData::fixed_batch(int count) const {
  std::vector<torch::Tensor> visible, infrared;
  for (int i = 0; i < count; ++i) {
    const TrainingSet &set = sets_[i % sets_.size()];
    const int64_t n = i / static_cast<int64_t>(sets_.size());
    const int64_t a = paired() ? set.pairs[n % set.pairs.size()].first : n % static_cast<int64_t>(set.visible.paths.size());
    const int64_t b = paired() ? set.pairs[n % set.pairs.size()].second : n % static_cast<int64_t>(set.infrared.paths.size());
    auto centre = [&](cv::Size native) {
      const cv::Size size = working_size(native, set.spec.scale);
      return cv::Rect((size.width - options_.crop_size) / 2, (size.height - options_.crop_size) / 2,
                      options_.crop_size, options_.crop_size);
    };
    visible.push_back(image_to_tensor(
        prepare(set.visible.paths[a], Domain::visible, set.spec.scale, centre(set.visible.sizes[a]), false)));
    infrared.push_back(image_to_tensor(
        prepare(set.infrared.paths[b], Domain::infrared, set.spec.scale, centre(set.infrared.sizes[b]), false)));
  }
  return {torch::stack(visible), torch::stack(infrared), torch::Tensor()};
}

}  // namespace gncyclegan::train
