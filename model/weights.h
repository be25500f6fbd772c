// The project's weights file: one safetensors file per network, its tensors
// named as the CycleGAN reference's state_dict, its `__metadata__` holding the
// configuration (see GeneratorConfig::to_metadata) and any provenance. Opening
// one runs no code, so files from strangers are safe to load.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include <torch/nn/module.h>
#include <torch/types.h>

#include "model/config.h"
#include "model/generator.h"
#include "model/patchgan.h"

namespace gncyclegan {

// Every problem with a weights file: the message names the file and the problem.
class WeightsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Storage { fp32, fp16 };

struct WeightsFile {
  Metadata metadata;
  std::map<std::string, torch::Tensor> tensors;  // CPU tensors in their stored dtype
};

// Reads and validates the container (not yet against any architecture).
WeightsFile read_weights(const std::string &path);
// Writes floating-point tensors as F32 or F16 (other dtypes as they are), atomically.
void write_weights(const std::string &path, const std::map<std::string, torch::Tensor> &tensors,
                   const Metadata &metadata, Storage storage = Storage::fp32);

// A module's parameters and buffers by state_dict name (BatchNorm's
// num_batches_tracked, which inference never reads, is left out).
std::map<std::string, torch::Tensor> module_tensors(const torch::nn::Module &module);
// Copies `tensors` into `module` after checking that names and shapes match
// exactly, converting floating dtypes to the module's. A mismatch throws
// WeightsError("<context>: <what differs>").
void load_module_tensors(torch::nn::Module &module, const std::map<std::string, torch::Tensor> &tensors,
                         const std::string &context);

// Without metadata: the one generator configuration whose tensor names and
// shapes equal `tensors`, if any.
std::optional<GeneratorConfig> infer_generator_config(const std::map<std::string, torch::Tensor> &tensors);
std::optional<DiscriminatorConfig> infer_discriminator_config(
    const std::map<std::string, torch::Tensor> &tensors);

struct LoadedGenerator {
  std::shared_ptr<Generator> generator;  // on the CPU, in eval mode
  Metadata metadata;                     // everything the file carried
};
struct LoadedDiscriminator {
  std::shared_ptr<PatchGan> discriminator;
  Metadata metadata;
};

// `extra` (provenance, metrics) is stored beside the configuration's keys,
// which take precedence.
void save_generator(const std::string &path, Generator &generator, const Metadata &extra = {},
                    Storage storage = Storage::fp32);
LoadedGenerator load_generator(const std::string &path);
void save_discriminator(const std::string &path, PatchGan &discriminator,
                        const Metadata &extra = {}, Storage storage = Storage::fp32);
LoadedDiscriminator load_discriminator(const std::string &path);

}  // namespace gncyclegan
