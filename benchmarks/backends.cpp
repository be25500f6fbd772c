// The generator's CPU forward through every backend and precision this build
// has, side by side in one run, beside the arithmetic limit: the model's
// floating-point operations at that size divided by the rate these cores
// sustain on a large fp32 convolution (measured first). Also each result's distance from LibTorch's fp32 output, in gray
// levels. Markdown table on stdout.
//
//   bench-backends MODEL [RUNS [THREADS]]     defaults 10 and 0 (every core)
//   runs are timed after 2 warm-ups; each cell is the median
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <torch/torch.h>

#ifdef GNCYCLEGAN_WITH_OPENVINO
#include <openvino/op/convolution.hpp>
#include <openvino/op/constant.hpp>
#include <openvino/op/parameter.hpp>
#include <openvino/op/result.hpp>
#include <openvino/runtime/core.hpp>
#endif

#include "engine/inference_engine.h"
#include "engine/openvino_backend.h"
#include "model/bundled_models.h"
#include "model/device.h"
#include "model/pixels.h"
#include "model/weights.h"

namespace {

using gncycleganir::Backend;
using gncycleganir::Precision;

template <typename Work>
double median_ms(int runs, Work work) {
  for (int i = 0; i < 2; ++i) work();
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    const auto started = std::chrono::steady_clock::now();
    work();
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
  }
  std::sort(times.begin(), times.end());
  return runs % 2 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2;
}

// Floating-point operations (2 per multiply-add) of a ResNet, unshuffle or
// hot generator's convolutions at height x width; the rest (norms, CBAM's
// pooling, resizing) is comparatively nothing. 0 for the U-Nets.
double generator_flops(const gncyclegan::GeneratorConfig &c, double height, double width) {
  auto conv = [](double out_pixels, double in_channels, double out_channels, double kernel) {
    return 2 * out_pixels * in_channels * out_channels * kernel * kernel;
  };
  const double n = c.ngf, pixels = height * width;
  if (c.family == gncyclegan::GeneratorFamily::hot) {
    // The head (model/hot_target_head.h) on the input or its half, five scales.
    const double p = c.head_half ? pixels / 4 : pixels, w = c.head_width;
    auto res = [&](double at, double channels) { return 2 * conv(at, channels, channels, 3); };
    double flops = conv(p / 4, 16, w, 3) + res(p / 4, w) + conv(p / 16, w, 2 * w, 3) + res(p / 16, 2 * w);
    flops += conv(p / 64, 2 * w, 3 * w, 3) + 2 * res(p / 64, 3 * w) + conv(p / 256, 3 * w, 4 * w, 3) +
             2 * res(p / 256, 4 * w) + conv(p / 1024, 4 * w, 6 * w, 3) + 3 * res(p / 1024, 6 * w);
    flops += conv(p / 256, 10 * w, 4 * w, 3) + conv(p / 64, 7 * w, 3 * w, 3) + conv(p / 16, 5 * w, 2 * w, 3) +
             conv(p / 4, 3 * w, w, 3);
    flops += conv(p / 4, w, 64, 1) + conv(p, 20, 16, 3) + conv(p, 16, 2, 3);
    return flops + generator_flops(*c.base, height, width);
  }
  if (c.family == gncyclegan::GeneratorFamily::unshuffle) {
    const double s = c.unshuffle_factor, trunk = pixels / (s * s), full = c.full_resolution_channels();
    double flops = conv(trunk, c.in_channels * s * s, n, 1);
    flops += c.n_blocks * (2 * conv(trunk, n, n, 3) + (c.cbam ? conv(trunk, 2, 1, 7) : 0));
    flops += conv(trunk, n, full * s * s, 1) + conv(pixels, full + c.in_channels, full, 3);
    return flops + conv(pixels, full, c.out_channels, 3);
  }
  if (c.family != gncyclegan::GeneratorFamily::resnet) return 0;
  const double quarter = pixels / 16;
  double flops = conv(pixels, c.in_channels, n, 7) + conv(pixels / 4, n, 2 * n, 3) + conv(quarter, 2 * n, 4 * n, 3);
  flops += c.n_blocks * (2 * conv(quarter, 4 * n, 4 * n, 3) + (c.cbam ? conv(quarter, 2, 1, 7) : 0));
  // A transposed convolution does its work per input pixel, resize + conv per output pixel.
  flops += c.resize_conv ? conv(pixels / 4, 4 * n, 2 * n, 3) + conv(pixels, 2 * n, n, 3)
                         : conv(quarter, 4 * n, 2 * n, 3) + conv(pixels / 4, 2 * n, n, 3);
  return flops + conv(pixels, n, c.out_channels, 7);
}

// GFLOP/s of a 64 -> 64 3x3 fp32 convolution on 240 x 320 (the shape of the
// residual blocks, most of the generator's work) in the fastest kernels this
// build has: OpenVINO's oneDNN where present, else LibTorch's.
double sustained_gflops(int runs, int threads, std::string &measured_by) {
  constexpr double kFlops = 2.0 * 240 * 320 * 64 * 64 * 9;
#ifdef GNCYCLEGAN_WITH_OPENVINO
  namespace op = ov::op;
  auto input = std::make_shared<op::v0::Parameter>(ov::element::f32, ov::Shape{1, 64, 240, 320});
  std::vector<float> weights(64 * 64 * 9, 0.01f);
  auto filters = op::v0::Constant::create(ov::element::f32, ov::Shape{64, 64, 3, 3}, weights);
  auto conv = std::make_shared<op::v1::Convolution>(input, filters, ov::Strides{1, 1}, ov::CoordinateDiff{1, 1},
                                                    ov::CoordinateDiff{1, 1}, ov::Strides{1, 1});
  auto model = std::make_shared<ov::Model>(ov::ResultVector{std::make_shared<op::v0::Result>(conv)},
                                           ov::ParameterVector{input});
  ov::AnyMap config{ov::hint::inference_precision(ov::element::f32),
                    ov::hint::performance_mode(ov::hint::PerformanceMode::LATENCY)};
  if (threads > 0) config.emplace(ov::inference_num_threads(threads));
  ov::Core core;
  auto request = core.compile_model(model, "CPU", config).create_infer_request();
  measured_by = "OpenVINO";
  return kFlops / (median_ms(runs, [&] { request.infer(); }) * 1e6);
#else
  (void)threads;
  torch::NoGradGuard no_grad;
  auto input = torch::randn({1, 64, 240, 320});
  auto weight = torch::randn({64, 64, 3, 3});
  measured_by = "LibTorch";
  return kFlops / (median_ms(runs, [&] { torch::conv2d(input, weight, {}, 1, 1); }) * 1e6);
#endif
}

}  // namespace

int main(int argc, char **argv) {
  const char *usage = "usage: bench-backends MODEL [RUNS [THREADS]]  (MODEL: a bundled model's name or a weights file;\n"
                      "  RUNS timed after 2 warm-ups, default 10; THREADS default 0 = every core)\n";
  if (argc == 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    std::fputs(usage, stdout);
    return 0;
  }
  if (argc < 2 || argc > 4) {
    std::fputs(usage, stderr);
    return 2;
  }
  const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 10;
  const int threads = argc > 3 ? std::atoi(argv[3]) : 0;
  try {
    const std::string model = gncycleganir::resolve_model(argv[1]);
    gncyclegan::set_cpu_threads(threads);
    const auto config = gncyclegan::load_generator(model).generator->config();
    std::string measured_by;
    const double gflops = sustained_gflops(runs, threads, measured_by);
    std::printf("%s, ngf %d; %s; sustained fp32 convolution rate %.0f GFLOP/s (%s, 64->64 3x3 at 320x240)\n\n",
                config.architecture().c_str(), config.ngf, gncyclegan::describe_device(c10::Device(c10::kCPU)).c_str(),
                gflops, measured_by.c_str());
    std::printf("| size | backend | precision | median ms | frames/s | GFLOP | fp32 limit ms | ms / limit | vs LibTorch fp32: mean / worst gray levels |\n");
    std::printf("|---|---|---|---:|---:|---:|---:|---:|---|\n");
    for (auto [width, height] : {std::pair<int, int>{320, 240}, {640, 480}}) {
      torch::manual_seed(1);
      // A frame with structure (gradients, edges, noise), as the parity tests use.
      auto y = torch::linspace(-1, 1, height).view({1, 1, height, 1});
      auto x = torch::linspace(-1, 1, width).view({1, 1, 1, width});
      auto frame = torch::cat({0.6 * x + 0.2 * y, (x * 3).sin() * (y * 2).cos(), (x * y > 0.1).to(torch::kFloat) - 0.5}, 1);
      frame = (frame + 0.1 * torch::randn({1, 3, height, width})).clamp(-1, 1);
      torch::Tensor reference;
      const double flops = generator_flops(config, height, width);
      const double limit_ms = flops / (gflops * 1e6);
      for (Backend backend : {Backend::libtorch, Backend::openvino}) {
        if (backend == Backend::openvino && !gncycleganir::openvino_compiled_in()) continue;
        for (Precision precision : {Precision::fp32, Precision::bf16}) {
          if (precision == Precision::bf16 && !gncycleganir::cpu_has_native_bf16()) continue;
          gncycleganir::EngineSettings settings;
          settings.model_path = model;
          settings.device = "cpu";
          settings.backend = backend;
          settings.precision = precision;
          settings.threads = threads;
          gncycleganir::InferenceEngine engine(settings);
          torch::Tensor output;
          const double ms = median_ms(runs, [&] { output = engine.translate(frame); });
          if (!reference.defined()) reference = output;
          const auto difference = (gncyclegan::model_to_u8(output).to(torch::kFloat) -
                                   gncyclegan::model_to_u8(reference).to(torch::kFloat)).abs();
          std::printf("| %dx%d | %s | %s | %.1f | %.1f | %.2f | %.1f | %.2f | %.2f / %.0f |\n", width, height,
                      (backend == Backend::openvino ? "openvino " + gncycleganir::openvino_version() : std::string("libtorch")).c_str(),
                      gncycleganir::to_string(precision).c_str(), ms, 1000 / ms, flops / 1e9, limit_ms,
                      limit_ms > 0 ? ms / limit_ms : 0.0, difference.mean().item<double>(), difference.max().item<double>());
          std::fflush(stdout);
        }
      }
    }
  } catch (const std::exception &error) {
    std::fprintf(stderr, "bench-backends: %s\n", error.what());
    return 1;
  }
  return 0;
}
