#include "trainer/video_evaluation.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/temporal_smoother.h"
#include "model/pixels.h"
#include "trainer/atomic_file.h"
#include "trainer/dataset.h"
#include "trainer/image_io.h"
#include "trainer/metrics.h"
#include "trainer/model_runner.h"
#include "trainer/motion_clip.h"
#include "trainer/temporal_metrics.h"
#include "trainer/video_frames.h"

namespace gncyclegan::train {
namespace {

namespace fs = std::filesystem;

constexpr double kNone = std::numeric_limits<double>::quiet_NaN();

std::string fixed(double value, int digits) {
  if (std::isnan(value)) return "";
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", digits, value);
  return text;
}

nlohmann::json number_or_null(double value) { return std::isnan(value) ? nlohmann::json() : nlohmann::json(value); }

cv::Mat gray_of(const cv::Mat &bgr) {
  cv::Mat gray;
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  return gray;
}

// 8-bit BGR or gray -> float in [0, 1], colour as RGB (what ModelRunner and
// image_to_tensor take).
cv::Mat unit_image(const cv::Mat &image) {
  cv::Mat scaled;
  if (image.channels() == 3)
    cv::cvtColor(image, scaled, cv::COLOR_BGR2RGB);
  else
    scaled = image;
  scaled.convertTo(scaled, CV_32F, 1 / 255.0);
  return scaled;
}

// What the element does to the translated frame with temporal-smoothing set.
cv::Mat smoothed(gncycleganir::TemporalSmoother &smoother, const cv::Mat &visible_bgr, const cv::Mat &output) {
  auto tensor = [](const cv::Mat &image) { return image_to_tensor(unit_image(image)).unsqueeze(0); };
  const torch::Tensor pixels = model_to_u8(smoother.apply(tensor(visible_bgr), tensor(output))[0][0]).contiguous();
  return cv::Mat(output.rows, output.cols, CV_8UC1, pixels.data_ptr()).clone();
}

}  // namespace

double VideoEvaluation::mean(double FrameScore::*score) const {
  double sum = 0;
  int count = 0;
  for (const auto &frame : frames)
    if (!std::isnan(frame.*score)) sum += frame.*score, ++count;
  return count ? sum / count : kNone;
}

std::string VideoEvaluation::summary_line() const {
  std::string line;
  if (!std::isnan(mean(&FrameScore::flicker))) line += "flicker " + fixed(mean(&FrameScore::flicker), 4) + " gray levels  ";
  line += "warping error " + fixed(mean(&FrameScore::warping_error), 4) + " gray levels² (" +
          fixed(100 * mean(&FrameScore::tracked_share), 1) + "% tracked)";
  if (!std::isnan(mean(&FrameScore::psnr)))
    line += "  PSNR " + fixed(mean(&FrameScore::psnr), 4) + " dB  SSIM " + fixed(mean(&FrameScore::ssim), 4) +
            "  sharpness " + fixed(mean(&FrameScore::sharpness), 4);
  line += "  (" + std::to_string(frames.size()) + " frames, " + method;
  if (!device.empty()) line += ", " + fixed(mean(&FrameScore::inference_ms), 1) + " ms/frame on " + device;
  return line + ")";
}

nlohmann::json VideoEvaluation::to_json() const {
  nlohmann::json json = {{"method", method},
                         {"input", input},
                         {"frames", frames.size()},
                         {"flicker", number_or_null(mean(&FrameScore::flicker))},
                         {"warping_error", number_or_null(mean(&FrameScore::warping_error))},
                         {"tracked_share", number_or_null(mean(&FrameScore::tracked_share))},
                         {"psnr", number_or_null(mean(&FrameScore::psnr))},
                         {"ssim", number_or_null(mean(&FrameScore::ssim))},
                         {"sharpness", number_or_null(mean(&FrameScore::sharpness))},
                         {"per_frame", nlohmann::json::array()}};
  if (!device.empty()) {
    json["device"] = device;
    json["inference_ms"] = number_or_null(mean(&FrameScore::inference_ms));
  }
  for (const auto &frame : frames)
    json["per_frame"].push_back({{"name", frame.name},
                                 {"psnr", number_or_null(frame.psnr)},
                                 {"ssim", number_or_null(frame.ssim)},
                                 {"sharpness", number_or_null(frame.sharpness)},
                                 {"flicker", number_or_null(frame.flicker)},
                                 {"warping_error", number_or_null(frame.warping_error)},
                                 {"tracked_share", number_or_null(frame.tracked_share)}});
  return json;
}

std::string VideoEvaluation::to_csv() const {
  std::string csv = "name,psnr_db,ssim,sharpness,flicker,warping_error,tracked_share,inference_ms\n";
  for (const auto &f : frames)
    csv += f.name + "," + fixed(f.psnr, 6) + "," + fixed(f.ssim, 6) + "," + fixed(f.sharpness, 6) + "," +
           fixed(f.flicker, 6) + "," + fixed(f.warping_error, 6) + "," + fixed(f.tracked_share, 6) + "," +
           (f.inference_ms >= 0 ? fixed(f.inference_ms, 2) : "") + "\n";
  return csv;
}

VideoEvaluation evaluate_video(const VideoEvalOptions &options, FrameCallback on_frame) {
  if (options.model_path.empty() == (options.baseline == Baseline::none))
    throw DataError("say what translates the video: --model FILE or --baseline gray|inverted-gray");
  FrameReader visible(options.input);
  std::optional<FrameReader> infrared;
  if (!options.infrared.empty()) infrared.emplace(options.infrared);
  std::vector<cv::Matx23d> motion;
  if (!options.motion.empty()) motion = read_motion(options.motion);

  VideoEvaluation evaluation;
  evaluation.input = options.input;
  std::optional<ModelRunner> runner;
  if (!options.model_path.empty()) {
    runner.emplace(options.model_path, options.device, options.threads, options.scale);
    evaluation.method = fs::path(options.model_path).filename().string() + " (" + runner->architecture() + ")";
    evaluation.device = runner->device();
  } else {
    evaluation.method = options.baseline == Baseline::gray ? "baseline gray" : "baseline inverted-gray";
  }
  gncycleganir::TemporalSmoother smoother(options.temporal_smoothing);
  if (options.temporal_smoothing > 0) evaluation.method += ", temporal smoothing " + fixed(options.temporal_smoothing, 2);

  std::optional<VideoWriter> writer;
  if (!options.output_video.empty()) writer.emplace(options.output_video, options.fps);
  WarpingErrorMeter warping;
  cv::Mat previous_visible, previous_output, frame;
  std::string name;
  while (visible.next(frame, name)) {
    const size_t t = evaluation.frames.size();
    FrameScore score{name, kNone, kNone, kNone, kNone, kNone, kNone};
    cv::Mat output;
    if (runner) {
      const cv::Mat rgb = unit_image(frame);
      // The first call pays for allocation and kernel selection: not timed.
      if (t == 0) runner->translate(rgb, score.inference_ms);
      output = runner->translate(rgb, score.inference_ms);
    } else {
      output = gray_of(frame);
      if (options.baseline == Baseline::inverted_gray) output = 255 - output;
    }
    if (options.temporal_smoothing > 0) output = smoothed(smoother, frame, output);
    if (infrared) {
      cv::Mat truth;
      std::string truth_name;
      if (!infrared->next(truth, truth_name))
        throw DataError(options.infrared + " has fewer frames than " + options.input + " (" + std::to_string(t) + ")");
      if (truth.size() != frame.size())
        throw DataError(options.infrared + ": " + truth_name + " is not the size of the visible frame " + name);
      const cv::Mat target = gray_of(truth);
      score.psnr = psnr(output, target);
      score.ssim = ssim(output, target);
      score.sharpness = sharpness(output, target);
    }
    if (t > 0) {
      if (frame.size() != previous_visible.size())
        throw DataError(options.input + ": frame " + name + " changes the frame size; score one size at a time");
      const WarpingError error = warping.measure(previous_visible, frame, previous_output, output);
      score.warping_error = error.mse;
      score.tracked_share = error.tracked_share;
      if (!motion.empty()) {
        if (t >= motion.size())
          throw DataError(options.motion + " describes " + std::to_string(motion.size()) + " frames; " +
                          options.input + " has more");
        score.flicker = temporal_flicker(previous_output, output, next_to_previous(motion[t - 1], motion[t]));
      }
    }
    if (writer) writer->write(output);
    evaluation.frames.push_back(score);
    if (on_frame) on_frame(score);
    previous_visible = frame;
    previous_output = output;
  }
  if (writer) writer->close();
  if (evaluation.frames.size() < 2) throw DataError(options.input + ": a video of at least 2 frames is needed");
  if (!motion.empty() && motion.size() != evaluation.frames.size())
    throw DataError(options.motion + " describes " + std::to_string(motion.size()) + " frames; " + options.input +
                    " has " + std::to_string(evaluation.frames.size()));

  if (!options.out_dir.empty()) {
    fs::create_directories(options.out_dir);
    write_file_atomically((fs::path(options.out_dir) / "frames.csv").string(), evaluation.to_csv());
    write_file_atomically((fs::path(options.out_dir) / "summary.json").string(), evaluation.to_json().dump(2) + "\n");
  }
  return evaluation;
}

}  // namespace gncyclegan::train
