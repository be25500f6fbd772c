// gncyclegan-eval: scores a generator (or a folder of predictions, or a trivial
// baseline) on aligned visible/infrared test pairs with the paper's PSNR and
// SSIM, as MATLAB R2019a computes them, our sharpness and stripe ratios and
// hot-target scores; `video` scores a translated video's temporal stability,
// `make-clip` makes a test clip of known motion from a pair.
#include <cmath>
#include <cstdio>
#include <exception>
#include <map>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "trainer/evaluation.h"
#include "trainer/image_io.h"
#include "trainer/model_option.h"
#include "trainer/motion_clip.h"
#include "trainer/training_run.h"
#include "trainer/video_evaluation.h"
#include "trainer/video_frames.h"

using namespace gncyclegan::train;

namespace {

void print_score(const ImageScore &score, size_t done, size_t total) {
  std::printf("%3zu/%zu  %-28s PSNR %8.4f dB  SSIM %.4f  sharpness %.4f  stripes %.2f", done, total, score.name.c_str(),
              score.psnr, score.ssim, score.sharpness, score.stripe_ratio);
  if (score.target_fraction > 0)
    std::printf("  targets %4.1f %%: contrast %6.3f  PSNR %7.3f dB", 100 * score.target_fraction, score.target_contrast,
                score.target_psnr);
  if (score.inference_ms >= 0) std::printf("  %8.1f ms", score.inference_ms);
  std::printf("\n");
  std::fflush(stdout);
}

void print_frame(const FrameScore &score) {
  std::printf("%-24s", score.name.c_str());
  if (!std::isnan(score.flicker)) std::printf("  flicker %7.4f", score.flicker);
  if (!std::isnan(score.warping_error)) std::printf("  warping error %8.4f (%5.1f%% tracked)", score.warping_error,
                                                    100 * score.tracked_share);
  if (!std::isnan(score.psnr)) std::printf("  PSNR %8.4f dB  SSIM %.4f", score.psnr, score.ssim);
  if (score.inference_ms >= 0) std::printf("  %7.1f ms", score.inference_ms);
  std::printf("\n");
  std::fflush(stdout);
}

const std::map<std::string, Baseline> kBaselines{{"gray", Baseline::gray}, {"inverted-gray", Baseline::inverted_gray}};
const std::map<std::string, HeadOracle> kHeadOracles{{"gate", HeadOracle::gate}, {"value", HeadOracle::value}};

int main_or_throw(int argc, char **argv) {
  CLI::App app(
      "gncyclegan-eval: translates each visible test image with a generator and scores it against the infrared "
      "image of the same name: PSNR (peak 255) and SSIM (11x11 Gaussian window, sigma 1.5, replicate borders) "
      "on 8-bit grayscale, as MATLAB R2019a computes them, and sharpness (mean 3x3 Sobel gradient magnitude of the "
      "output over that of the real infrared image, borders replicated; 1 = as sharp as real infrared), the stripe "
      "ratio (mean |Sobel gy| / mean |Sobel gx| of the output, beside the real infrared's) and, on the real "
      "infrared's hot targets (warmer than their 151-pixel median background by over 30 gray levels, opened by a 3x3 "
      "cross, components of 40+ pixels), the target contrast ratio (output's target-minus-surrounding-ring mean over "
      "the real infrared's: 1 = as warm as real, 0 = invisible), the target PSNR and the share of target pixels. Images run "
      "at their own size (padded to the generator's size multiple by repeating the border, then cropped back), or "
      "resized by --scale. When every name ends in D or N (MSRS: day, night), the summary also scores the two apart.",
      "gncyclegan-eval");
  EvalOptions options;
  bool json = false;
  auto *what = "What to score (one of)";
  auto *model = app.add_option("--model", options.model_path,
                               "Generator weights file (.safetensors) or a bundled model: " + gncycleganir::bundled_model_names())
                    ->transform(model_file())
                    ->group(what);
  auto *predictions =
      app.add_option("--predictions", options.predictions_dir,
                     "Folder of already translated images, named as the visible ones (any image extension)")
          ->group(what);
  auto *baseline = app.add_option("--baseline", options.baseline,
                                  "A trivial answer: gray (the visible image in grayscale) or inverted-gray")
                       ->transform(CLI::CheckedTransformer(kBaselines).description(""))
                       ->type_name("{gray,inverted-gray}")
                       ->group(what);
  model->excludes(predictions)->excludes(baseline);
  predictions->excludes(baseline);

  auto *data = "Test pairs";
  app.add_option("--visible", options.visible_dir, "Folder of visible test images (required)")->group(data);
  app.add_option("--infrared", options.infrared_dir, "Folder of infrared images, named as the visible ones (required)")
      ->group(data);
  app.add_option("--only-suffix", options.only_suffix,
                 "Score only the pairs whose file name without extension ends in this, e.g. D or N for MSRS's day "
                 "or night images")
      ->group(data);

  auto *run = "Running the model";
  app.add_option("--scale", options.scale,
                 "Resize each visible image by this factor before the generator and its output back (1 = native "
                 "size, right for models trained with --scale native)")
      ->check(CLI::Range(0.05, 8.0))
      ->capture_default_str()
      ->group(run);
  app.add_option("--device", options.device, "auto (CUDA when available), cpu, cuda or cuda:N")
      ->capture_default_str()
      ->group(run);
  app.add_option("--threads", options.threads, "CPU threads for LibTorch (0 = every core)")
      ->check(CLI::Range(0, 1024))
      ->group(run);
  app.add_option("--head-oracle", options.head_oracle,
                 "For a hot_ model: score its output with the head's gate replaced by the real infrared's hot "
                 "targets (gate), or its value by the real infrared (value): how much training that half could win")
      ->transform(CLI::CheckedTransformer(kHeadOracles).description(""))
      ->type_name("{gate,value}")
      ->needs(model)
      ->group(run);

  auto *output = "Output";
  app.add_option("--out", options.out_dir,
                 "Write scores.csv (per image), summary.json and mosaic.png (visible | generated | infrared, hot targets "
                 "outlined in red) here")
      ->group(output);
  app.add_option("--mosaic-height", options.mosaic_height, "Height of each mosaic row in pixels")
      ->check(CLI::Range(16, 2048))
      ->capture_default_str()
      ->group(output);
  app.add_flag("--json", json, "Print the summary and per-image scores as JSON instead of text")->group(output);
  // gncyclegan-eval video
  VideoEvalOptions video;
  auto *video_command = app.add_subcommand(
      "video",
      "Translate a video frame by frame and score its temporal stability: the warping error (Lai et al., ECCV "
      "2018: DIS optical flow between consecutive visible frames, the previous output warped along it, the mean "
      "squared difference to the current output over the pixels the flow tracks forward and backward, in gray "
      "levels squared), the temporal flicker on a clip of known motion (mean |out[t+1](x) - out[t](M x)| over "
      "the pixels both frames see, in gray levels), and, with ground truth, per-frame PSNR / SSIM / sharpness");
  auto *video_model =
      video_command->add_option("--model", video.model_path, "Generator weights file or a bundled model's name")
          ->transform(model_file());
  auto *video_baseline = video_command
                             ->add_option("--baseline", video.baseline,
                                          "A trivial answer: gray (the input's own temporal noise) or inverted-gray")
                             ->transform(CLI::CheckedTransformer(kBaselines).description(""))
                             ->type_name("{gray,inverted-gray}");
  video_model->excludes(video_baseline);
  video_command->add_option("--input", video.input, "A video file (any FFmpeg can decode) or a folder of frames")
      ->required();
  video_command->add_option("--infrared", video.infrared,
                            "Ground-truth infrared frames (a folder or a video), one per input frame, in order");
  video_command->add_option("--motion", video.motion,
                            "The clip's motion.json (from make-clip), for the temporal flicker")
      ->check(CLI::ExistingFile);
  video_command->add_option("--scale", video.scale, "As for image pairs")->check(CLI::Range(0.05, 8.0))->capture_default_str();
  video_command->add_option("--device", video.device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  video_command->add_option("--threads", video.threads, "CPU threads for LibTorch (0 = every core)")
      ->check(CLI::Range(0, 1024));
  video_command->add_option("--out", video.out_dir, "Write frames.csv (per frame) and summary.json here");
  video_command->add_option("--output-video", video.output_video,
                            "Also encode the translated frames into this file, to watch: .mp4 / .mkv (H.264) or "
                            ".avi (Motion JPEG)");
  video_command->add_option("--fps", video.fps, "Frame rate of --output-video")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  video_command
      ->add_option("--temporal-smoothing", video.temporal_smoothing,
                   "Smooth the translated frames as the element's temporal-smoothing property does (0 = off, "
                   "up to 0.95)")
      ->check(CLI::Range(0.0, 0.95))
      ->capture_default_str();
  bool video_json = false;
  video_command->add_flag("--json", video_json, "Print the summary and per-frame scores as JSON");

  // gncyclegan-eval make-clip
  std::string clip_visible, clip_infrared, clip_out, clip_video, clip_motion = "pan";
  MotionClipOptions clip;
  auto *clip_command = app.add_subcommand(
      "make-clip",
      "Make a test clip of known motion from one aligned pair: a window panning across it or zooming into it. "
      "Writes OUT/visible/frame_NNNN.png, OUT/infrared/frame_NNNN.png and OUT/motion.json (each frame's "
      "pixel-to-source matrix), and with --video the visible frames encoded as a camera would send them");
  clip_command->add_option("--visible", clip_visible, "The pair's visible image")->required()->check(CLI::ExistingFile);
  clip_command->add_option("--infrared", clip_infrared, "The pair's infrared image")->required()->check(CLI::ExistingFile);
  clip_command->add_option("--out", clip_out, "Folder to write the clip into")->required();
  clip_command->add_option("--motion", clip_motion, "pan or zoom")
      ->check(CLI::IsMember({"pan", "zoom"}))
      ->capture_default_str();
  clip_command->add_option("--frames", clip.frames, "Frames in the clip")->check(CLI::Range(2, 100000))->capture_default_str();
  clip_command->add_option("--pan-pixels", clip.pan_pixels, "pan: pixels the window moves right per frame")
      ->capture_default_str();
  clip_command->add_option("--zoom-per-frame", clip.zoom_per_frame, "zoom: magnification per frame (> 1 = in)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  clip_command->add_option("--window", clip.window, "The frame's side as a share of the pair's")
      ->check(CLI::Range(0.05, 1.0))
      ->capture_default_str();
  clip_command->add_option("--video", clip_video,
                           "Also encode the visible frames into this file: .mp4 / .mkv (H.264) or .avi (Motion JPEG)");
  double clip_fps = 30;
  clip_command->add_option("--fps", clip_fps, "Frame rate of --video")->check(CLI::PositiveNumber)->capture_default_str();

  app.footer(
      "Examples:\n"
      "  gncyclegan-eval --model model.safetensors --visible test/visible --infrared test/infrared --out eval/\n"
      "  gncyclegan-eval --baseline gray --visible test/visible --infrared test/infrared\n"
      "  gncyclegan-eval --model model.safetensors --visible msrs/test/visible --infrared msrs/test/infrared --only-suffix N\n"
      "  gncyclegan-eval --predictions results/ --visible test/visible --infrared test/infrared --json\n"
      "  gncyclegan-eval make-clip --visible test/visible/a.jpg --infrared test/infrared/a.jpg --motion pan --out clip/\n"
      "  gncyclegan-eval video --model model.safetensors --input clip/visible --infrared clip/infrared "
      "--motion clip/motion.json\n"
      "  gncyclegan-eval video --baseline gray --input camera.mp4");

  try {
    app.parse(argc, argv);
    if (video_command->parsed()) {
      if (video.model_path.empty() && video.baseline == Baseline::none)
        throw CLI::ValidationError("video: say what translates: --model FILE or --baseline gray|inverted-gray");
    } else if (!clip_command->parsed()) {
      if (options.visible_dir.empty() || options.infrared_dir.empty())
        throw CLI::ValidationError("--visible DIR and --infrared DIR are required (or a subcommand: video, make-clip)");
      if (options.model_path.empty() && options.predictions_dir.empty() && options.baseline == Baseline::none)
        throw CLI::ValidationError("say what to score: --model FILE, --predictions DIR or --baseline gray|inverted-gray");
    }
  } catch (const CLI::ParseError &error) {
    return app.exit(error) == 0 ? kDone : kUsage;
  }

  if (clip_command->parsed()) {
    clip.motion = clip_motion == "pan" ? Motion::pan : Motion::zoom;
    const cv::Mat visible_bgr = tensor_to_bgr8(image_to_tensor(read_image(clip_visible, Domain::visible)));
    cv::Mat infrared_u8;
    read_image(clip_infrared, Domain::infrared).convertTo(infrared_u8, CV_8U, 255.0);
    const MotionClip made = make_motion_clip(visible_bgr, infrared_u8, clip);
    write_motion_clip(made, clip, clip_out);
    if (!clip_video.empty()) write_video(made.visible, clip_video, clip_fps);
    std::printf("wrote %zu frames of %dx%d to %s/{visible,infrared}/, %s/motion.json%s\n", made.visible.size(),
                made.visible.front().cols, made.visible.front().rows, clip_out.c_str(), clip_out.c_str(),
                clip_video.empty() ? "" : (" and " + clip_video).c_str());
    return kDone;
  }
  if (video_command->parsed()) {
    const VideoEvaluation evaluation = evaluate_video(video, video_json ? nullptr : print_frame);
    if (video_json) {
      std::printf("%s\n", evaluation.to_json().dump(2).c_str());
    } else {
      std::printf("%s\n", evaluation.summary_line().c_str());
      if (!video.out_dir.empty()) std::printf("wrote %s/{frames.csv,summary.json}\n", video.out_dir.c_str());
    }
    return kDone;
  }

  const Evaluation evaluation = evaluate(options, json ? nullptr : print_score);
  if (json) {
    std::printf("%s\n", evaluation.to_json().dump(2).c_str());
  } else {
    for (const auto &warning : evaluation.warnings) std::fprintf(stderr, "warning: %s\n", warning.c_str());
    std::printf("%s\n", evaluation.summary_line().c_str());
    for (const auto &line : evaluation.day_night_lines()) std::printf("%s\n", line.c_str());
    if (!options.out_dir.empty())
      std::printf("wrote %s/{scores.csv,summary.json,mosaic.png}\n", options.out_dir.c_str());
  }
  return kDone;
}

}  // namespace

int main(int argc, char **argv) {
  try {
    return main_or_throw(argc, argv);
  } catch (const std::exception &error) {
    std::fprintf(stderr, "gncyclegan-eval: error: %s\n", error.what());
    return kFailed;
  }
}
