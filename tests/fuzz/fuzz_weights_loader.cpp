// libFuzzer target for the weights loader: any byte string, loaded as a
// generator and as a discriminator, either loads or throws WeightsError.
// Anything else (a crash, a sanitizer report, another exception) is a bug.
// scripts/fuzz.sh builds and runs it.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "model/device.h"
#include "model/weights.h"

namespace {

std::string scratch_path() {
  static const std::string path = "/tmp/gncyclegan-fuzz-" + std::to_string(::getpid()) + ".safetensors";
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  gncyclegan::set_cpu_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string path = scratch_path();
  if (FILE *file = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, file);
    std::fclose(file);
  }
  try {
    gncyclegan::load_generator(path);
  } catch (const gncyclegan::WeightsError &) {
  }
  try {
    gncyclegan::load_discriminator(path);
  } catch (const gncyclegan::WeightsError &) {
  }
  return 0;
}
