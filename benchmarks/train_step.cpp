// Times gncyclegan-train's training step (trainer/cyclegan.h) on a fixed
// random batch; benchmarks/train_step.sh runs it beside the same step in Python.
//
// usage: bench-train-step GENERATOR NGF CROP GN(0|1) STEPS THREADS [DEVICE [PRECISION]]
// prints: median milliseconds per step (DEVICE cpu, cuda or cuda:N, default
// cpu; on CUDA each step is timed to the end of its kernels; PRECISION fp32,
// the default, or bf16, as gncyclegan-train --precision)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <torch/cuda.h>
#include <torch/torch.h>

#include "model/device.h"
#include "trainer/cyclegan.h"

using namespace gncyclegan;

int main(int argc, char **argv) {
  if (argc < 7 || argc > 9) {
    std::fprintf(stderr, "usage: %s GENERATOR NGF CROP GN(0|1) STEPS THREADS [DEVICE [PRECISION]]\n", argv[0]);
    return 2;
  }
  try {
    train::TrainOptions options;
    options.generator = argv[1];
    options.ngf = std::atoi(argv[2]);
    const int crop = std::atoi(argv[3]);
    options.gradient_normalization = std::atoi(argv[4]) != 0;
    const int steps = std::atoi(argv[5]);
    set_cpu_threads(std::atoi(argv[6]));
    const c10::Device device = resolve_device(argc >= 8 ? argv[7] : "cpu");
    if (argc == 9) options.precision = argv[8];

    train::CycleGan model(options, device);
    train::StepData data;
    data.main.visible = (torch::rand({1, 3, crop, crop}) * 2 - 1).to(device);
    data.main.infrared = (torch::rand({1, 1, crop, crop}) * 2 - 1).to(device);
    auto finished = [&] {
      if (device.is_cuda()) torch::cuda::synchronize(device.index());
    };
    for (int i = 0; i < 2; ++i) model.step(data, i);  // warm-up
    finished();
    std::vector<double> times;
    for (int i = 0; i < steps; ++i) {
      const auto started = std::chrono::steady_clock::now();
      model.step(data, i + 2);
      finished();
      times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
    }
    std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
    std::printf("%.1f\n", times[times.size() / 2]);
  } catch (const std::exception &error) {
    std::fprintf(stderr, "bench-train-step: %s\n", error.what());
    return 1;
  }
  return 0;
}
