#include "engine/adaptive_size.h"

#include <algorithm>
#include <cmath>

namespace gncycleganir {
namespace {

// Scales of the frame tried, largest first: steps of an eighth of the side.
constexpr double kScales[] = {1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125};

int rounded(double value, int multiple) { return std::max(multiple, int(std::lround(value / multiple)) * multiple); }

}  // namespace

AdaptiveInferenceSize::AdaptiveInferenceSize(InferenceSize frame, const Settings &settings) : settings_(settings) {
  ladder_.push_back(frame);
  const int short_side = std::min(frame.width, frame.height);
  const double floor_scale = std::min(1.0, double(settings.min_short_side) / std::max(1, short_side));
  for (double scale : kScales) {
    if (scale >= 1.0) continue;
    const double clamped = std::max(scale, floor_scale);
    InferenceSize size{rounded(frame.width * clamped, settings.multiple), rounded(frame.height * clamped, settings.multiple)};
    if (size.area() < ladder_.back().area()) ladder_.push_back(size);
    if (clamped > scale) break;  // reached the floor
  }
  records_.resize(ladder_.size());
}

InferenceSize AdaptiveInferenceSize::probe() const {
  for (const auto &size : ladder_)
    if (size.area() * 4 <= ladder_.front().area()) return size;
  return ladder_.back();
}

AdaptiveInferenceSize::Duration AdaptiveInferenceSize::remembered(const Record &record) const {
  Duration kept = settings_.memory;
  for (int strike = 1; strike < record.strikes && kept < settings_.longest_memory; ++strike) kept *= 2;
  return std::min(kept, std::max(settings_.memory, settings_.longest_memory));
}

double AdaptiveInferenceSize::predicted_ns(size_t index, Clock::time_point now) const {
  auto fresh = [&](size_t i) { return records_[i].frames > 0 && now - records_[i].measured <= remembered(records_[i]); };
  if (fresh(index)) return records_[index].typical_ns;
  // Frame time = overhead + cost per pixel x area, fitted through the two
  // freshest measured sizes; from one size alone, in proportion to the area
  // (which overestimates larger sizes: growing stays cautious).
  std::vector<size_t> known;
  for (size_t i = 0; i < ladder_.size(); ++i)
    if (fresh(i)) known.push_back(i);
  std::sort(known.begin(), known.end(),
            [&](size_t a, size_t b) { return records_[a].measured > records_[b].measured; });
  if (known.empty()) return 0;
  const double area = double(ladder_[index].area());
  const size_t a = known[0];
  if (known.size() >= 2) {
    const size_t b = known[1];
    const double area_a = double(ladder_[a].area()), area_b = double(ladder_[b].area());
    const double per_pixel = (records_[a].typical_ns - records_[b].typical_ns) / (area_a - area_b);
    if (per_pixel > 0) {
      const double overhead = std::max(0.0, records_[a].typical_ns - per_pixel * area_a);
      return overhead + per_pixel * area;
    }
  }
  return records_[a].typical_ns * area / double(ladder_[a].area());
}

size_t AdaptiveInferenceSize::largest_fitting(double budget_ns, Clock::time_point now) const {
  for (size_t i = 0; i < ladder_.size(); ++i)
    if (predicted_ns(i, now) <= budget_ns) return i;
  return ladder_.size() - 1;
}

void AdaptiveInferenceSize::move_to(size_t index, Clock::time_point now) {
  index_ = index;
  recent_.clear();
  changed_ = now;
}

InferenceSize AdaptiveInferenceSize::start(const std::vector<Timing> &warm_up, Duration interval,
                                           Clock::time_point now) {
  records_.assign(ladder_.size(), Record{});
  // Later timings count as more recent (the fit takes the two freshest).
  auto when = now - std::chrono::nanoseconds(warm_up.size());
  for (const auto &timing : warm_up) {
    when += std::chrono::nanoseconds(1);
    const auto found = std::find(ladder_.begin(), ladder_.end(), timing.size);
    if (found != ladder_.end()) records_[size_t(found - ladder_.begin())] = Record{double(timing.time.count()), 1, when};
  }
  move_to(interval.count() > 0 ? largest_fitting(settings_.headroom * double(interval.count()), now) : 0, now);
  return current();
}

std::optional<InferenceSize> AdaptiveInferenceSize::observe(Duration frame_time, Duration interval,
                                                            Clock::time_point now) {
  recent_.push_back(double(frame_time.count()));
  if (recent_.size() > size_t(settings_.window)) recent_.erase(recent_.begin());
  if (recent_.size() < size_t(settings_.window)) return std::nullopt;
  Record &record = records_[index_];
  std::vector<double> sorted = recent_;
  std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
  record.typical_ns = sorted[sorted.size() / 2];
  record.frames += 1;
  record.measured = now;
  if (interval.count() <= 0 || now - changed_ < settings_.dwell) return std::nullopt;

  const double budget = settings_.headroom * double(interval.count());
  const bool too_slow = record.typical_ns > budget * (1 + settings_.band);
  // A size that has held for as long as a first failure is remembered has
  // proven itself: its next failure starts the doubling again.
  if (!too_slow && now - changed_ >= settings_.memory) record.strikes = 0;
  size_t next = index_;
  if (too_slow) {
    next = index_ + 1;
    while (next + 1 < ladder_.size() && predicted_ns(next, now) > budget) ++next;
    next = std::min(next, ladder_.size() - 1);
  } else {
    for (size_t i = 0; i < index_; ++i)
      if (predicted_ns(i, now) <= budget * (1 - settings_.band)) {
        next = i;
        break;
      }
  }
  if (next == index_) return std::nullopt;
  if (next > index_) record.strikes += 1;
  move_to(next, now);
  return current();
}

}  // namespace gncycleganir
