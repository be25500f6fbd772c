#include "model/generator.h"

#include "model/init.h"
#include "model/resnet_generator.h"
#include "model/unet_generator.h"
#include "model/unshuffle_generator.h"

namespace gncyclegan {

std::shared_ptr<Generator> make_generator(const GeneratorConfig &config) {
  config.validate();
  std::shared_ptr<Generator> generator;
  switch (config.family) {
    case GeneratorFamily::unet: generator = std::make_shared<UnetGenerator>(config); break;
    case GeneratorFamily::unshuffle: generator = std::make_shared<UnshuffleGenerator>(config); break;
    case GeneratorFamily::resnet: generator = std::make_shared<ResnetGenerator>(config); break;
  }
  init_weights(*generator);
  return generator;
}

}  // namespace gncyclegan
