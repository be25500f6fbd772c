// The raw LibTorch forward of a generator weights file at one frame size, the
// floor the element's per-frame time is compared with.
//
//   bench-forward MODEL WIDTH HEIGHT FRAMES THREADS
//   prints: median milliseconds per frame
//   bench-forward --write-random ARCHITECTURE NGF OUT
//   writes a randomly initialised visible->infrared generator (speed does not
//   depend on the weights)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

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
  if (argc != 6) {
    std::fprintf(stderr, "usage: bench-forward MODEL WIDTH HEIGHT FRAMES THREADS\n");
    return 2;
  }
  try {
    gncyclegan::set_cpu_threads(std::atoi(argv[5]));
    auto generator = gncyclegan::load_generator(argv[1]).generator;
    const int width = std::atoi(argv[2]), height = std::atoi(argv[3]), frames = std::atoi(argv[4]);
    auto input = torch::rand({1, 3, height, width}) * 2 - 1;
    std::vector<double> times;
    for (int i = 0; i < frames + 2; ++i) {  // two warm-up frames
      const auto started = std::chrono::steady_clock::now();
      auto output = gncyclegan::forward_any_size(*generator, input);
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
      if (i >= 2) times.push_back(ms);
    }
    std::sort(times.begin(), times.end());
    std::printf("%.1f\n", times[times.size() / 2]);
    return 0;
  } catch (const std::exception &error) {
    std::fprintf(stderr, "bench-forward: %s\n", error.what());
    return 1;
  }
}
