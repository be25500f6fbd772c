#include "trainer/evaluation.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/csrc/autograd/grad_mode.h>

#include "model/weights.h"
#include "trainer/atomic_file.h"
#include "trainer/dataset.h"
#include "trainer/hot_targets.h"
#include "trainer/image_io.h"
#include "trainer/metrics.h"
#include "trainer/model_runner.h"

namespace gncyclegan::train {
namespace {

namespace fs = std::filesystem;

std::string file_name(const std::string &path) { return fs::path(path).filename().string(); }

// [0, 1] float -> 8-bit, rounding to nearest (exact for images read from 8-bit files).
cv::Mat to_u8(const cv::Mat &unit) {
  cv::Mat u8;
  unit.convertTo(u8, CV_8U, 255.0);
  return u8;
}

// A prediction file in `dir` with the stem of `name`, any image extension.
std::optional<std::string> find_prediction(const std::string &dir, const std::string &name) {
  const std::string stem = fs::path(name).stem().string();
  for (const auto &entry : fs::directory_iterator(dir))
    if (entry.path().stem().string() == stem && has_image_extension(entry.path().string()))
      return entry.path().string();
  return std::nullopt;
}

// A row of the mosaic: visible | generated | real infrared [| a hot_ model's
// gate opening, white = open], `height` pixels high, the real infrared's hot
// targets outlined in red on all but the first.
cv::Mat mosaic_row(const cv::Mat &visible_rgb, const cv::Mat &generated, const cv::Mat &infrared,
                   const cv::Mat &targets, int height, const cv::Mat &gate = {}) {
  std::vector<cv::Mat> panels(gate.empty() ? 3 : 4);
  cv::cvtColor(to_u8(visible_rgb), panels[0], cv::COLOR_RGB2BGR);
  cv::cvtColor(generated, panels[1], cv::COLOR_GRAY2BGR);
  cv::cvtColor(infrared, panels[2], cv::COLOR_GRAY2BGR);
  if (!gate.empty()) cv::cvtColor(to_u8(gate), panels[3], cv::COLOR_GRAY2BGR);
  std::vector<std::vector<cv::Point>> outlines;
  cv::findContours(targets, outlines, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
  const int thickness = std::max(1, int(std::lround(infrared.rows / double(height))));  // ~1 pixel once resized
  for (size_t i = 1; i < panels.size(); ++i)
    cv::drawContours(panels[i], outlines, -1, cv::Scalar(0, 0, 255), thickness, cv::LINE_8);
  cv::Mat row;
  cv::hconcat(panels, row);
  const int width = std::max(1, int(std::lround(row.cols * double(height) / row.rows)));
  cv::resize(row, row, {width, height}, 0, 0, cv::INTER_AREA);
  return row;
}

cv::Mat stack_rows(const std::vector<cv::Mat> &rows) {
  int width = 0;
  for (const auto &row : rows) width = std::max(width, row.cols);
  std::vector<cv::Mat> padded;
  for (const auto &row : rows) {
    cv::Mat wide;
    cv::copyMakeBorder(row, wide, 0, 0, 0, width - row.cols, cv::BORDER_CONSTANT, cv::Scalar::all(0));
    padded.push_back(wide);
  }
  cv::Mat mosaic;
  cv::vconcat(padded, mosaic);
  return mosaic;
}

std::string fixed(double value, int digits) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", digits, value);
  return text;
}

bool ends_with(const std::string &text, const std::string &suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string stem(const std::string &path) { return fs::path(path).stem().string(); }

// "PSNR 13.5200 ± 1.2000 dB  SSIM 0.4572 ± 0.0480  sharpness 0.6100 ± 0.0800"
std::string scores_text(const Evaluation &evaluation) {
  const Statistic p = evaluation.psnr(), s = evaluation.ssim(), e = evaluation.sharpness();
  return "PSNR " + fixed(p.mean, 4) + " ± " + fixed(p.std, 4) + " dB  SSIM " + fixed(s.mean, 4) + " ± " +
         fixed(s.std, 4) + "  sharpness " + fixed(e.mean, 4) + " ± " + fixed(e.std, 4);
}

// "targets: contrast 0.42 ± 0.20  PSNR 15.10 dB  2.1 % of pixels (20 of 20 images)  stripes 1.35 (real 1.08)"
// and for a hot_ model a second line, "head: gate open ...", after `indent`.
std::string targets_text(const Evaluation &evaluation, const std::string &indent = "") {
  const Statistic c = evaluation.target_contrast();
  std::string text = "targets: ";
  if (evaluation.images_with_targets() == 0)
    text += "none found";
  else
    text += "contrast " + fixed(c.mean, 3) + " ± " + fixed(c.std, 3) + "  PSNR " + fixed(evaluation.target_psnr().mean, 2) +
            " dB  " + fixed(100 * evaluation.target_fraction().mean, 1) + " % of pixels (" +
            std::to_string(evaluation.images_with_targets()) + " of " + std::to_string(evaluation.images.size()) +
            " images)";
  text += "  stripes " + fixed(evaluation.stripe_ratio().mean, 2) + " (real " +
          fixed(evaluation.reference_stripe_ratio().mean, 2) + ")";
  const double on = evaluation.gate_on_targets().mean, off = evaluation.gate_off_targets().mean;
  if (!std::isnan(off))
    text += "\n" + indent + "head: gate open " + (std::isnan(on) ? std::string("–") : fixed(on, 3)) + " on the targets, " +
            fixed(off, 3) + " away from them";
  return text;
}

// NaN (no value to average) and infinity (PSNR of equal images) are JSON's null.
nlohmann::json number(double value) { return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr); }

nlohmann::json stat_json(const Statistic &s) {
  return {{"mean", number(s.mean)}, {"std", number(s.std)}};
}

// The scores every Evaluation and each day/night group reports.
nlohmann::json scores_json(const Evaluation &evaluation) {
  return {{"pairs", evaluation.images.size()},
          {"psnr", stat_json(evaluation.psnr())},
          {"ssim", stat_json(evaluation.ssim())},
          {"sharpness", stat_json(evaluation.sharpness())},
          {"target_contrast", stat_json(evaluation.target_contrast())},
          {"target_psnr", stat_json(evaluation.target_psnr())},
          {"target_fraction", stat_json(evaluation.target_fraction())},
          {"images_with_targets", evaluation.images_with_targets()},
          {"stripe_ratio", stat_json(evaluation.stripe_ratio())},
          {"reference_stripe_ratio", stat_json(evaluation.reference_stripe_ratio())},
          {"gate_on_targets", stat_json(evaluation.gate_on_targets())},
          {"gate_off_targets", stat_json(evaluation.gate_off_targets())}};
}

}  // namespace

Statistic statistic(const std::vector<double> &all) {
  std::vector<double> values;
  for (double value : all)
    if (!std::isnan(value)) values.push_back(value);
  Statistic result;
  if (values.empty()) return {std::nan(""), std::nan("")};
  double sum = 0;
  for (double value : values) sum += value;
  result.mean = sum / double(values.size());
  if (values.size() > 1) {
    double squares = 0;
    for (double value : values) squares += (value - result.mean) * (value - result.mean);
    result.std = std::sqrt(squares / double(values.size() - 1));
  }
  return result;
}

Statistic Evaluation::of(double ImageScore::*field) const {
  std::vector<double> values;
  for (const auto &image : images) values.push_back(image.*field);
  return statistic(values);
}

Statistic Evaluation::psnr() const { return of(&ImageScore::psnr); }
Statistic Evaluation::ssim() const { return of(&ImageScore::ssim); }
Statistic Evaluation::sharpness() const { return of(&ImageScore::sharpness); }
Statistic Evaluation::target_contrast() const { return of(&ImageScore::target_contrast); }
Statistic Evaluation::target_psnr() const { return of(&ImageScore::target_psnr); }
Statistic Evaluation::target_fraction() const { return of(&ImageScore::target_fraction); }
Statistic Evaluation::stripe_ratio() const { return of(&ImageScore::stripe_ratio); }
Statistic Evaluation::reference_stripe_ratio() const { return of(&ImageScore::reference_stripe_ratio); }
Statistic Evaluation::gate_on_targets() const { return of(&ImageScore::gate_on_targets); }
Statistic Evaluation::gate_off_targets() const { return of(&ImageScore::gate_off_targets); }

size_t Evaluation::images_with_targets() const {
  size_t count = 0;
  for (const auto &image : images) count += image.target_fraction > 0;
  return count;
}

Statistic Evaluation::inference_ms() const {
  std::vector<double> values;
  for (const auto &image : images)
    if (image.inference_ms >= 0) values.push_back(image.inference_ms);
  return statistic(values);
}

std::string Evaluation::summary_line() const {
  std::string line = scores_text(*this) + "  (" + std::to_string(images.size()) + " pairs, " + method;
  if (!device.empty())
    line += ", scale " + fixed(scale, 3) + ", " + fixed(inference_ms().mean, 1) + " ms/image on " + device;
  return line + ")\n" + targets_text(*this);
}

std::vector<std::pair<std::string, Evaluation>> Evaluation::day_night() const {
  Evaluation day = *this, night = *this;
  day.images.clear();
  night.images.clear();
  for (const auto &image : images) {
    const std::string name = stem(image.name);
    if (ends_with(name, "D")) day.images.push_back(image);
    else if (ends_with(name, "N")) night.images.push_back(image);
    else return {};  // a name that tells neither: the set is not split
  }
  if (day.images.empty() || night.images.empty()) return {};
  return {{"day", day}, {"night", night}};
}

std::vector<std::string> Evaluation::day_night_lines() const {
  std::vector<std::string> lines;
  for (const auto &[label, group] : day_night()) {
    std::string padded = label + ":";
    padded.resize(7, ' ');
    const std::string indent(7, ' ');
    lines.push_back(padded + scores_text(group) + "  (" + std::to_string(group.images.size()) + " pairs)\n" + indent +
                    targets_text(group, indent));
  }
  return lines;
}

nlohmann::json Evaluation::to_json() const {
  nlohmann::json json = scores_json(*this);
  json["method"] = method;
  json["warnings"] = warnings;
  json["images"] = nlohmann::json::array();
  if (!device.empty()) {
    json["device"] = device;
    json["scale"] = scale;
    json["inference_ms"] = stat_json(inference_ms());
  }
  for (const auto &[label, group] : day_night()) json[label] = scores_json(group);
  for (const auto &image : images) {
    nlohmann::json row = {{"name", image.name},
                          {"psnr", image.psnr},
                          {"ssim", image.ssim},
                          {"sharpness", image.sharpness},
                          {"target_contrast", number(image.target_contrast)},
                          {"target_psnr", number(image.target_psnr)},
                          {"target_fraction", image.target_fraction},
                          {"stripe_ratio", image.stripe_ratio},
                          {"reference_stripe_ratio", image.reference_stripe_ratio},
                          {"gate_on_targets", number(image.gate_on_targets)},
                          {"gate_off_targets", number(image.gate_off_targets)}};
    if (image.inference_ms >= 0) row["inference_ms"] = image.inference_ms;
    json["images"].push_back(row);
  }
  return json;
}

std::string Evaluation::to_csv() const {
  std::string csv =
      "name,psnr_db,ssim,sharpness,target_contrast,target_psnr_db,target_fraction,stripe_ratio,reference_stripe_ratio,"
      "inference_ms,gate_on_targets,gate_off_targets\n";
  auto cell = [](double value) { return std::isnan(value) ? std::string() : fixed(value, 6); };
  for (const auto &image : images)
    csv += image.name + "," + fixed(image.psnr, 6) + "," + fixed(image.ssim, 6) + "," + fixed(image.sharpness, 6) + "," +
           cell(image.target_contrast) + "," + cell(image.target_psnr) + "," + fixed(image.target_fraction, 6) + "," +
           fixed(image.stripe_ratio, 6) + "," + fixed(image.reference_stripe_ratio, 6) + "," +
           (image.inference_ms >= 0 ? fixed(image.inference_ms, 2) : "") + "," + cell(image.gate_on_targets) + "," +
           cell(image.gate_off_targets) + "\n";
  return csv;
}

Evaluation evaluate(const EvalOptions &options, ScoreCallback on_score) {
  const ImageFolder visible = scan_folder(options.visible_dir, Domain::visible, "--visible");
  const ImageFolder infrared = scan_folder(options.infrared_dir, Domain::infrared, "--infrared");
  ImagePairs matched = pair_by_name(visible, infrared);
  if (matched.pairs.empty())
    throw DataError("no image in " + options.visible_dir + " has a partner of the same name in " +
                    options.infrared_dir + " (pairs are matched by file name without extension)");
  if (!options.only_suffix.empty()) {
    // Those left out are not worth a warning: the option asked for it.
    auto wanted = [&](const std::string &path) { return ends_with(stem(path), options.only_suffix); };
    ImagePairs kept;
    for (const auto &pair : matched.pairs)
      if (wanted(visible.paths[pair.first])) kept.pairs.push_back(pair);
    for (const auto &path : matched.unmatched)
      if (wanted(path)) kept.unmatched.push_back(path);
    if (kept.pairs.empty())
      throw DataError("--only-suffix " + options.only_suffix + ": no pair's name (without extension) in " +
                      options.visible_dir + " ends in " + options.only_suffix);
    matched = kept;
  }

  Evaluation evaluation;
  evaluation.scale = options.scale;
  for (const auto &path : matched.unmatched) evaluation.warnings.push_back(file_name(path) + ": no partner, skipped");
  for (const ImageFolder *folder : {&visible, &infrared})
    for (const auto &path : folder->unreadable) evaluation.warnings.push_back(path + ": unreadable, skipped");

  if (options.head_oracle != HeadOracle::none && options.model_path.empty())
    throw DataError("--head-oracle replaces half of a model's hot-target head: give the model with --model");
  std::optional<ModelRunner> runner;
  if (!options.model_path.empty()) {
    runner.emplace(options.model_path, options.device, options.threads, options.scale);
    evaluation.method = file_name(options.model_path) + " (" + runner->architecture() + ")";
    if (options.head_oracle != HeadOracle::none) {
      if (!runner->has_head())
        throw WeightsError("--head-oracle replaces half of a hot-target head, and " + options.model_path + " (" +
                           runner->architecture() + ") has none: give a hot_ model");
      evaluation.method += options.head_oracle == HeadOracle::gate ? ", the gate replaced by the real targets"
                                                                   : ", the value replaced by the real infrared";
    }
    evaluation.device = runner->device();
    double ignored = 0;  // the first call pays for allocation and kernel selection
    runner->translate(read_image(visible.paths[matched.pairs.front().first], Domain::visible), ignored);
  } else if (!options.predictions_dir.empty()) {
    if (!fs::is_directory(options.predictions_dir))
      throw DataError("--predictions " + options.predictions_dir + ": not a directory");
    evaluation.method = "predictions in " + options.predictions_dir;
  } else {
    evaluation.method = options.baseline == Baseline::gray ? "baseline gray" : "baseline inverted-gray";
  }

  std::vector<cv::Mat> mosaic;
  for (const auto &[v, i] : matched.pairs) {
    const std::string &visible_path = visible.paths[v];
    const cv::Mat visible_rgb = read_image(visible_path, Domain::visible);
    const cv::Mat target = to_u8(read_image(infrared.paths[i], Domain::infrared));
    if (visible_rgb.size() != target.size())
      throw DataError(visible_path + " and " + infrared.paths[i] + " differ in size; the scores compare aligned pairs");

    ImageScore score;
    score.name = file_name(visible_path);
    const cv::Mat target_mask = hot_target_mask(target);
    cv::Mat generated, gate;
    if (runner) {
      auto translation = runner->translate_with_head(visible_rgb, score.inference_ms);
      generated = translation.output;
      if (translation.head) {
        gate = translation.head->gate;
        const GateOpening opening = gate_opening(translation.head->gate, target_mask);
        score.gate_on_targets = opening.on_targets;
        score.gate_off_targets = opening.off_targets;
        if (options.head_oracle != HeadOracle::none)
          generated = composite_with_oracle(*translation.head, options.head_oracle, target, target_mask);
      }
    } else if (!options.predictions_dir.empty()) {
      const auto path = find_prediction(options.predictions_dir, score.name);
      if (!path) throw DataError(options.predictions_dir + " has no prediction for " + score.name);
      generated = to_u8(read_image(*path, Domain::infrared));
      if (generated.size() != target.size())
        throw DataError(*path + " is not the size of " + infrared.paths[i]);
    } else {
      cv::cvtColor(to_u8(visible_rgb), generated, cv::COLOR_RGB2GRAY);
      if (options.baseline == Baseline::inverted_gray) generated = 255 - generated;
    }
    score.psnr = psnr(generated, target);
    score.ssim = ssim(generated, target);
    score.sharpness = sharpness(generated, target);
    const HotTargetScore targets = score_hot_targets(generated, target, target_mask);
    score.target_contrast = targets.contrast;
    score.target_psnr = targets.psnr;
    score.target_fraction = targets.fraction;
    score.stripe_ratio = stripe_ratio(generated);
    score.reference_stripe_ratio = stripe_ratio(target);
    evaluation.images.push_back(score);
    if (!options.out_dir.empty()) mosaic.push_back(mosaic_row(visible_rgb, generated, target, target_mask, options.mosaic_height, gate));
    if (on_score) on_score(score, evaluation.images.size(), matched.pairs.size());
  }

  if (!options.out_dir.empty()) {
    fs::create_directories(options.out_dir);
    write_file_atomically((fs::path(options.out_dir) / "scores.csv").string(), evaluation.to_csv());
    write_file_atomically((fs::path(options.out_dir) / "summary.json").string(), evaluation.to_json().dump(2) + "\n");
    write_image((fs::path(options.out_dir) / "mosaic.png").string(), stack_rows(mosaic));
  }
  return evaluation;
}

}  // namespace gncyclegan::train
