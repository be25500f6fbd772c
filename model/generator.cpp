#include "model/generator.h"

#include "model/hot_composite_generator.h"
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
    case GeneratorFamily::hot: {
      // The base is initialised by its own make_generator; the head starts shut.
      auto hot = std::make_shared<HotCompositeGenerator>(config);
      init_weights(*hot->head);
      hot->head->shut_gate();
      return hot;
    }
  }
  init_weights(*generator);
  return generator;
}

}  // namespace gncyclegan
