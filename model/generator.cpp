#include "model/generator.h"

#include "model/init.h"
#include "model/resnet_generator.h"
#include "model/unet_generator.h"

namespace gncyclegan {

std::shared_ptr<Generator> make_generator(const GeneratorConfig &config) {
  config.validate();
  std::shared_ptr<Generator> generator;
  if (config.family == GeneratorFamily::unet)
    generator = std::make_shared<UnetGenerator>(config);
  else
    generator = std::make_shared<ResnetGenerator>(config);
  init_weights(*generator);
  return generator;
}

}  // namespace gncyclegan
