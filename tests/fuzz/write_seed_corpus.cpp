// Writes small valid weights files into a directory, as seeds for the loader's
// fuzz target: every architecture family, with and without metadata, fp32 and fp16.
#include <cstdio>
#include <filesystem>

#include "model/weights.h"

using namespace gncyclegan;

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  try {
    for (const char *name : {"resnet_1blocks", "resnet_1blocks_cbam", "unet_128"}) {
      auto generator = make_generator(GeneratorConfig::from_name(name, 1, 1, 1));
      save_generator((dir / (std::string(name) + ".safetensors")).string(), *generator);
      save_generator((dir / (std::string(name) + "-fp16.safetensors")).string(), *generator, {}, Storage::fp16);
      write_weights((dir / (std::string(name) + "-bare.safetensors")).string(), module_tensors(*generator), {});
    }
    DiscriminatorConfig config;
    config.ndf = 1;
    config.n_layers = 1;
    for (auto norm : {DiscriminatorNorm::instance, DiscriminatorNorm::none}) {
      config.norm = norm;
      save_discriminator((dir / ("patchgan-" + to_string(norm) + ".safetensors")).string(),
                         *make_discriminator(config));
    }
  } catch (const std::exception &error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 1;
  }
  return 0;
}
