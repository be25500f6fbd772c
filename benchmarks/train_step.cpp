// Times gncyclegan-train's training step (trainer/cyclegan.h) on a fixed
// random batch; benchmarks/train_step.sh runs it beside the same step in Python.
//
// usage: bench-train-step GENERATOR NGF CROP GN(0|1) STEPS THREADS
// prints: median milliseconds per step
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <torch/torch.h>

#include "model/device.h"
#include "trainer/cyclegan.h"

using namespace gncyclegan;

int main(int argc, char **argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: %s GENERATOR NGF CROP GN(0|1) STEPS THREADS\n", argv[0]);
    return 2;
  }
  train::TrainOptions options;
  options.generator = argv[1];
  options.ngf = std::atoi(argv[2]);
  const int crop = std::atoi(argv[3]);
  options.gradient_normalization = std::atoi(argv[4]) != 0;
  const int steps = std::atoi(argv[5]);
  set_cpu_threads(std::atoi(argv[6]));

  train::CycleGan model(options, c10::Device(c10::kCPU));
  train::StepData data;
  data.main.visible = torch::rand({1, 3, crop, crop}) * 2 - 1;
  data.main.infrared = torch::rand({1, 1, crop, crop}) * 2 - 1;
  for (int i = 0; i < 2; ++i) model.step(data, i);  // warm-up
  std::vector<double> times;
  for (int i = 0; i < steps; ++i) {
    const auto started = std::chrono::steady_clock::now();
    model.step(data, i + 2);
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
  }
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  std::printf("%.1f\n", times[times.size() / 2]);
  return 0;
}
