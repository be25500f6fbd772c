#include "model/weights.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include <c10/util/irange.h>
#include <torch/types.h>
#include <torch/utils.h>

#include "model/resnet_generator.h"
#include "model/safetensors.h"

namespace gncyclegan {
namespace {

constexpr const char *kOptionalBufferSuffix = "num_batches_tracked";

bool is_optional(const std::string &name) {
  return name.size() >= std::strlen(kOptionalBufferSuffix) &&
         name.compare(name.size() - std::strlen(kOptionalBufferSuffix), std::string::npos,
                      kOptionalBufferSuffix) == 0;
}

std::optional<torch::ScalarType> torch_type(Dtype dtype) {
  switch (dtype) {
    case Dtype::BOOL: return torch::kBool;
    case Dtype::U8: return torch::kUInt8;
    case Dtype::I8: return torch::kInt8;
    case Dtype::I16: return torch::kInt16;
    case Dtype::F16: return torch::kFloat16;
    case Dtype::BF16: return torch::kBFloat16;
    case Dtype::I32: return torch::kInt32;
    case Dtype::F32: return torch::kFloat32;
    case Dtype::F64: return torch::kFloat64;
    case Dtype::I64: return torch::kInt64;
    default: return std::nullopt;  // U16, U32, U64: LibTorch 1.13 has no such types
  }
}

Dtype file_type(torch::ScalarType type) {
  switch (type) {
    case torch::kBool: return Dtype::BOOL;
    case torch::kUInt8: return Dtype::U8;
    case torch::kInt8: return Dtype::I8;
    case torch::kInt16: return Dtype::I16;
    case torch::kFloat16: return Dtype::F16;
    case torch::kBFloat16: return Dtype::BF16;
    case torch::kInt32: return Dtype::I32;
    case torch::kFloat32: return Dtype::F32;
    case torch::kFloat64: return Dtype::F64;
    case torch::kInt64: return Dtype::I64;
    default: throw std::invalid_argument(std::string("cannot store tensors of type ") + c10::toString(type));
  }
}

std::string shape_text(c10::IntArrayRef shape) {
  std::string text = "[";
  for (auto i : c10::irange(shape.size())) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

std::string name_list(const std::vector<std::string> &names) {
  std::string text;
  for (size_t i = 0; i < names.size() && i < 3; ++i) text += (i ? ", " : "") + names[i];
  if (names.size() > 3) text += " and " + std::to_string(names.size() - 3) + " more";
  return text;
}

std::vector<uint8_t> read_file(const std::string &path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0)
    throw WeightsError("cannot open weights file " + path + ": " + std::strerror(errno));
  if (S_ISDIR(status.st_mode))
    throw WeightsError(path + " is a directory, not a weights file");
  std::ifstream stream(path, std::ios::binary);
  if (!stream) throw WeightsError("cannot open weights file " + path + ": " + std::strerror(errno));
  std::vector<uint8_t> bytes(static_cast<size_t>(status.st_size));
  if (!stream.read(reinterpret_cast<char *>(bytes.data()), static_cast<std::streamsize>(bytes.size())))
    throw WeightsError("cannot read weights file " + path + ": " + std::strerror(errno));
  return bytes;
}

// The first difference between a module's tensors and a file's, or "" when they match.
std::string difference(const torch::nn::Module &module, const std::map<std::string, torch::Tensor> &tensors) {
  const auto expected = module_tensors(module);
  std::map<std::string, torch::Tensor> optional_buffers;
  for (const auto &buffer : module.named_buffers(true))
    if (is_optional(buffer.key())) optional_buffers[buffer.key()] = buffer.value();

  std::vector<std::string> missing, unexpected;
  for (const auto &[name, tensor] : expected)
    if (!tensors.count(name)) missing.push_back(name);
  for (const auto &[name, tensor] : tensors)
    if (!expected.count(name) && !optional_buffers.count(name)) unexpected.push_back(name);
  if (!missing.empty()) return "tensors missing: " + name_list(missing);
  if (!unexpected.empty()) return "tensors the architecture does not have: " + name_list(unexpected);
  for (const auto &[name, tensor] : expected) {
    const torch::Tensor &stored = tensors.at(name);
    if (stored.sizes() != tensor.sizes())
      return "tensor " + name + " has shape " + shape_text(stored.sizes()) + ", the architecture expects " +
             shape_text(tensor.sizes());
    if (!c10::isFloatingType(stored.scalar_type()))
      return "tensor " + name + " is stored as " + c10::toString(stored.scalar_type()) +
             ", not a floating-point type";
  }
  for (const auto &[name, buffer] : optional_buffers) {
    auto stored = tensors.find(name);
    if (stored != tensors.end() && stored->second.sizes() != buffer.sizes())
      return "tensor " + name + " has shape " + shape_text(stored->second.sizes()) + ", expected " +
             shape_text(buffer.sizes());
  }
  return "";
}

template <typename Config, typename Make>
std::optional<Config> only_if_exact(const Config &config, Make make,
                                    const std::map<std::string, torch::Tensor> &tensors) {
  try {
    config.validate();
    return difference(*make(config), tensors).empty() ? std::optional<Config>(config) : std::nullopt;
  } catch (const std::invalid_argument &) {
    return std::nullopt;
  }
}

const torch::Tensor *find(const std::map<std::string, torch::Tensor> &tensors, const std::string &name,
                          int64_t dims) {
  auto it = tensors.find(name);
  return it != tensors.end() && it->second.dim() == dims ? &it->second : nullptr;
}

int as_int(int64_t value) { return value > 4096 ? 0 : static_cast<int>(value); }

std::string format_version_problem(const Metadata &metadata) {
  auto format = metadata.find("format");
  if (format != metadata.end() && format->second.rfind("gncyclegan-weights/", 0) == 0 &&
      format->second != kWeightsFormat)
    return "it is in format " + format->second + ", this build reads " + kWeightsFormat +
           " (a newer gncycleganir wrote it?)";
  return "";
}

template <typename Config>
Config config_of(const std::string &path, const WeightsFile &file, const char *role,
                 std::optional<Config> (*infer)(const std::map<std::string, torch::Tensor> &)) {
  if (auto problem = format_version_problem(file.metadata); !problem.empty())
    throw WeightsError(path + ": " + problem);
  if (file.metadata.count("architecture")) {
    try {
      return Config::from_metadata(file.metadata);
    } catch (const std::invalid_argument &error) {
      throw WeightsError(path + ": " + error.what());
    }
  }
  if (auto config = infer(file.tensors)) return *config;
  throw WeightsError(path + " has no \"architecture\" in its metadata, and its tensor names and shapes "
                     "match no known " + role + " architecture");
}

template <typename Network>
void load_into(Network &network, const WeightsFile &file, const std::string &path,
               const std::string &architecture) {
  load_module_tensors(network, file.tensors, path + " does not match architecture " + architecture);
  network.eval();
}

}  // namespace

WeightsFile read_weights(const std::string &path) {
  std::vector<uint8_t> bytes = read_file(path);
  SafetensorsHeader header;
  try {
    header = parse_safetensors(bytes.data(), bytes.size());
  } catch (const SafetensorsError &error) {
    throw WeightsError(path + " is not a valid weights file: " + error.what());
  }
  WeightsFile file;
  file.metadata = header.metadata;
  for (const TensorRecord &record : header.tensors) {
    auto type = torch_type(record.dtype);
    if (!type)
      throw WeightsError(path + ": tensor " + record.name + " has dtype " + dtype_name(record.dtype) +
                         ", which LibTorch cannot hold");
    // Copy into a fresh (aligned) tensor: the data section need not be aligned.
    torch::Tensor tensor = torch::empty(record.shape, torch::TensorOptions().dtype(*type));
    std::memcpy(tensor.data_ptr(), bytes.data() + header.data_start + record.begin, record.end - record.begin);
    file.tensors.emplace(record.name, std::move(tensor));
  }
  return file;
}

void write_weights(const std::string &path, const std::map<std::string, torch::Tensor> &tensors,
                   const Metadata &metadata, Storage storage) {
  std::vector<torch::Tensor> keep_alive;
  std::vector<TensorBytes> records;
  for (const auto &[name, tensor] : tensors) {
    torch::Tensor stored = tensor.detach().to(torch::kCPU);
    if (stored.is_floating_point())
      stored = stored.to(storage == Storage::fp16 ? torch::kFloat16 : torch::kFloat32);
    stored = stored.contiguous();
    keep_alive.push_back(stored);
    TensorBytes record;
    record.name = name;
    try {
      record.dtype = file_type(stored.scalar_type());
    } catch (const std::invalid_argument &error) {
      throw WeightsError("cannot write " + path + ": tensor " + name + ": " + error.what());
    }
    record.shape = stored.sizes().vec();
    record.data = stored.data_ptr();
    record.size = stored.numel() * stored.element_size();
    records.push_back(std::move(record));
  }
  try {
    write_safetensors(path, metadata, records);
  } catch (const SafetensorsError &error) {
    throw WeightsError(error.what());
  }
}

std::map<std::string, torch::Tensor> module_tensors(const torch::nn::Module &module) {
  std::map<std::string, torch::Tensor> tensors;
  for (const auto &parameter : module.named_parameters(true)) tensors[parameter.key()] = parameter.value();
  for (const auto &buffer : module.named_buffers(true))
    if (!is_optional(buffer.key())) tensors[buffer.key()] = buffer.value();
  return tensors;
}

void load_module_tensors(torch::nn::Module &module, const std::map<std::string, torch::Tensor> &tensors,
                         const std::string &context) {
  if (auto problem = difference(module, tensors); !problem.empty())
    throw WeightsError(context + ": " + problem);
  torch::NoGradGuard no_grad;
  for (auto &parameter : module.named_parameters(true))
    parameter.value().copy_(tensors.at(parameter.key()));
  for (auto &buffer : module.named_buffers(true)) {
    auto stored = tensors.find(buffer.key());
    if (stored != tensors.end()) buffer.value().copy_(stored->second);
  }
}

std::optional<GeneratorConfig> infer_generator_config(const std::map<std::string, torch::Tensor> &tensors) {
  auto make = [](const GeneratorConfig &config) { return make_generator(config); };
  if (const auto *first = find(tensors, "model.model.0.weight", 4)) {
    const auto *last = find(tensors, "model.model.3.weight", 4);
    if (!last) return std::nullopt;
    GeneratorConfig config;
    config.family = GeneratorFamily::unet;
    config.cbam = false;
    config.ngf = as_int(first->size(0));
    config.in_channels = as_int(first->size(1));
    config.out_channels = as_int(last->size(1));
    for (int num_downs : {7, 8}) {
      config.num_downs = num_downs;
      if (auto match = only_if_exact(config, make, tensors)) return match;
    }
    return std::nullopt;
  }
  if (const auto *first = find(tensors, "model.1.weight", 4)) {
    GeneratorConfig config;
    config.family = GeneratorFamily::resnet;
    config.ngf = as_int(first->size(0));
    config.in_channels = as_int(first->size(1));
    config.n_blocks = 0;
    while (config.n_blocks < 64 &&
           tensors.count("model." + std::to_string(kResnetFirstBlock + config.n_blocks) + ".conv_block.1.weight"))
      ++config.n_blocks;
    config.cbam = tensors.count("model." + std::to_string(kResnetFirstBlock) + ".cbam.mlp.0.weight") > 0;
    config.resize_conv =
        tensors.count("model." + std::to_string(kResnetFirstBlock + config.n_blocks) + ".conv.weight") > 0;
    const auto *last = find(tensors, "model." + std::to_string(config.n_blocks + 17) + ".weight", 4);
    if (!last) return std::nullopt;
    config.out_channels = as_int(last->size(0));
    return only_if_exact(config, make, tensors);
  }
  return std::nullopt;
}

std::optional<DiscriminatorConfig> infer_discriminator_config(
    const std::map<std::string, torch::Tensor> &tensors) {
  const auto *first = find(tensors, "model.0.weight", 4);
  if (!first || tensors.count("model.1.weight")) return std::nullopt;
  DiscriminatorConfig config;
  config.ndf = as_int(first->size(0));
  config.in_channels = as_int(first->size(1));
  config.n_layers = 0;
  while (config.n_layers < 8 && tensors.count("model." + std::to_string(3 * config.n_layers + 5) + ".weight"))
    ++config.n_layers;
  config.norm = tensors.count("model.2.bias") ? DiscriminatorNorm::instance : DiscriminatorNorm::none;
  return only_if_exact(config, make_discriminator, tensors);
}

void save_generator(const std::string &path, Generator &generator, const Metadata &extra, Storage storage) {
  Metadata metadata = extra;
  for (const auto &[key, value] : generator.config().to_metadata()) metadata[key] = value;
  write_weights(path, module_tensors(generator), metadata, storage);
}

LoadedGenerator load_generator(const std::string &path) {
  WeightsFile file = read_weights(path);
  GeneratorConfig config = config_of<GeneratorConfig>(path, file, "generator", infer_generator_config);
  auto generator = make_generator(config);
  load_into(*generator, file, path, config.architecture());
  Metadata metadata = file.metadata;
  for (const auto &[key, value] : config.to_metadata()) metadata.emplace(key, value);
  return {generator, metadata};
}

void save_discriminator(const std::string &path, PatchGan &discriminator, const Metadata &extra,
                        Storage storage) {
  Metadata metadata = extra;
  for (const auto &[key, value] : discriminator.config().to_metadata()) metadata[key] = value;
  write_weights(path, module_tensors(discriminator), metadata, storage);
}

LoadedDiscriminator load_discriminator(const std::string &path) {
  WeightsFile file = read_weights(path);
  DiscriminatorConfig config =
      config_of<DiscriminatorConfig>(path, file, "discriminator", infer_discriminator_config);
  auto discriminator = make_discriminator(config);
  load_into(*discriminator, file, path, "patchgan");
  Metadata metadata = file.metadata;
  for (const auto &[key, value] : config.to_metadata()) metadata.emplace(key, value);
  return {discriminator, metadata};
}

}  // namespace gncyclegan
