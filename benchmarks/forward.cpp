// The raw LibTorch forward of a generator weights file at one frame size, the
// floor the element's per-frame time is compared with.
//
//   bench-forward MODEL WIDTH HEIGHT FRAMES THREADS [DEVICE [PRECISION]]
//   prints: median milliseconds per frame (DEVICE auto, cpu, cuda or cuda:N,
//   default cpu; PRECISION fp32 or fp16, default fp32; on CUDA the input is
//   already on the GPU and each frame is timed to the end of its kernels)
//   bench-forward --write-random ARCHITECTURE NGF OUT
//   writes a randomly initialised visible->infrared generator (speed does not
//   depend on the weights)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <torch/cuda.h>
#include <torch/torch.h>

#include "model/any_size.h"
#include "model/device.h"
#include "model/weights.h"

int main(int argc, char **argv) {
  if (argc == 5 && std::string(argv[1]) == "--write-random") {
    auto config = gncyclegan::GeneratorConfig::from_name(argv[2], 3, 1, std::atoi(argv[3]));
    gncyclegan::save_generator(argv[4], *gncyclegan::make_generator(config));
    return 0;
  }
  if (argc < 6 || argc > 8) {
    std::fprintf(stderr, "usage: bench-forward MODEL WIDTH HEIGHT FRAMES THREADS [DEVICE [PRECISION]]\n");
    return 2;
  }
  try {
    const c10::Device device = gncyclegan::resolve_device(argc > 6 ? argv[6] : "cpu");
    const std::string precision = argc > 7 ? argv[7] : "fp32";
    if (precision != "fp32" && precision != "fp16") throw std::runtime_error("precision is fp32 or fp16");
    const auto dtype = precision == "fp16" ? torch::kHalf : torch::kFloat32;
    if (device.is_cpu()) gncyclegan::set_cpu_threads(std::atoi(argv[5]));
    auto generator = gncyclegan::load_generator(argv[1]).generator;
    generator->to(device, dtype);
    // Fixed frame sizes: let cuDNN pick its fastest kernels, as the element does.
    at::globalContext().setBenchmarkCuDNN(true);
    const int width = std::atoi(argv[2]), height = std::atoi(argv[3]), frames = std::atoi(argv[4]);
    auto input = (torch::rand({1, 3, height, width}) * 2 - 1).to(device, dtype);
    std::vector<double> times;
    for (int i = 0; i < frames + 2; ++i) {  // two warm-up frames
      const auto started = std::chrono::steady_clock::now();
      auto output = gncyclegan::forward_any_size(*generator, input);
      if (device.is_cuda()) torch::cuda::synchronize(device.index());
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
      if (i >= 2) times.push_back(ms);
    }
    std::sort(times.begin(), times.end());
    std::printf("%.2f\n", times[times.size() / 2]);
    return 0;
  } catch (const std::exception &error) {
    std::fprintf(stderr, "bench-forward: %s\n", error.what());
    return 1;
  }
}
