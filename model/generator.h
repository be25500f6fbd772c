// The generator interface every architecture implements, and the factory that
// builds one from a configuration.
#pragma once

#include <memory>

#include <torch/nn/module.h>

#include "model/config.h"

namespace gncyclegan {

// A visible->infrared (or infrared->visible) image translator. Input and output
// are N x C x H x W in [-1, 1] (see model/pixels.h); H and W must be multiples
// of config().size_multiple().
class Generator : public torch::nn::Module {
 public:
  explicit Generator(GeneratorConfig config) : config_(std::move(config)) {}
  virtual torch::Tensor forward(const torch::Tensor &input) = 0;
  const GeneratorConfig &config() const { return config_; }

 private:
  GeneratorConfig config_;
};

// Builds the network with the reference initialisation (see model/init.h).
// Throws std::invalid_argument for an invalid configuration.
std::shared_ptr<Generator> make_generator(const GeneratorConfig &config);

}  // namespace gncyclegan
