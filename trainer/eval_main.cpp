// gncyclegan-eval: scores a generator (or a folder of predictions, or a trivial
// baseline) on aligned visible/infrared test pairs with the paper's PSNR and
// SSIM, as MATLAB R2019a computes them, and our sharpness ratio.
#include <cstdio>
#include <exception>
#include <map>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "trainer/evaluation.h"
#include "trainer/training_run.h"

using namespace gncyclegan::train;

namespace {

void print_score(const ImageScore &score, size_t done, size_t total) {
  std::printf("%3zu/%zu  %-28s PSNR %8.4f dB  SSIM %.4f  sharpness %.4f", done, total, score.name.c_str(), score.psnr,
              score.ssim, score.sharpness);
  if (score.inference_ms >= 0) std::printf("  %8.1f ms", score.inference_ms);
  std::printf("\n");
  std::fflush(stdout);
}

int main_or_throw(int argc, char **argv) {
  CLI::App app(
      "gncyclegan-eval: translates each visible test image with a generator and scores it against the infrared "
      "image of the same name: PSNR (peak 255) and SSIM (11x11 Gaussian window, sigma 1.5, replicate borders) "
      "on 8-bit grayscale, as MATLAB R2019a computes them, and sharpness (mean 3x3 Sobel gradient magnitude of the "
      "output over that of the real infrared image, borders replicated; 1 = as sharp as real infrared). Images run "
      "at their own size (padded to the generator's size multiple by repeating the border, then cropped back), or "
      "resized by --scale. When every name ends in D or N (MSRS: day, night), the summary also scores the two apart.",
      "gncyclegan-eval");
  EvalOptions options;
  bool json = false;
  auto *what = "What to score (one of)";
  auto *model = app.add_option("--model", options.model_path, "Generator weights file (.safetensors)")
                    ->check(CLI::ExistingFile)
                    ->group(what);
  auto *predictions =
      app.add_option("--predictions", options.predictions_dir,
                     "Folder of already translated images, named as the visible ones (any image extension)")
          ->group(what);
  const std::map<std::string, Baseline> baselines{{"gray", Baseline::gray}, {"inverted-gray", Baseline::inverted_gray}};
  auto *baseline = app.add_option("--baseline", options.baseline,
                                  "A trivial answer: gray (the visible image in grayscale) or inverted-gray")
                       ->transform(CLI::CheckedTransformer(baselines).description(""))
                       ->type_name("{gray,inverted-gray}")
                       ->group(what);
  model->excludes(predictions)->excludes(baseline);
  predictions->excludes(baseline);

  auto *data = "Test pairs";
  app.add_option("--visible", options.visible_dir, "Folder of visible test images")->required()->group(data);
  app.add_option("--infrared", options.infrared_dir, "Folder of infrared images, named as the visible ones")
      ->required()
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

  auto *output = "Output";
  app.add_option("--out", options.out_dir,
                 "Write scores.csv (per image), summary.json and mosaic.png (visible | generated | infrared) here")
      ->group(output);
  app.add_option("--mosaic-height", options.mosaic_height, "Height of each mosaic row in pixels")
      ->check(CLI::Range(16, 2048))
      ->capture_default_str()
      ->group(output);
  app.add_flag("--json", json, "Print the summary and per-image scores as JSON instead of text")->group(output);
  app.footer(
      "Examples:\n"
      "  gncyclegan-eval --model model.safetensors --visible test/visible --infrared test/infrared --out eval/\n"
      "  gncyclegan-eval --baseline gray --visible test/visible --infrared test/infrared\n"
      "  gncyclegan-eval --model model.safetensors --visible msrs/test/visible --infrared msrs/test/infrared --only-suffix N\n"
      "  gncyclegan-eval --predictions results/ --visible test/visible --infrared test/infrared --json");

  try {
    app.parse(argc, argv);
    if (options.model_path.empty() && options.predictions_dir.empty() && options.baseline == Baseline::none)
      throw CLI::ValidationError("say what to score: --model FILE, --predictions DIR or --baseline gray|inverted-gray");
  } catch (const CLI::ParseError &error) {
    return app.exit(error) == 0 ? kDone : kUsage;
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
