#include "model/config.h"

#include <charconv>
#include <regex>
#include <stdexcept>

namespace gncyclegan {
namespace {

const std::string &required(const Metadata &metadata, const std::string &key) {
  auto it = metadata.find(key);
  if (it == metadata.end())
    throw std::invalid_argument("metadata has no \"" + key + "\" entry");
  return it->second;
}

int required_int(const Metadata &metadata, const std::string &key) {
  const std::string &text = required(metadata, key);
  int value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size())
    throw std::invalid_argument("metadata \"" + key + "\" is \"" + text + "\", not a whole number");
  return value;
}

void check_range(const char *what, int value, int lowest, int highest) {
  if (value < lowest || value > highest)
    throw std::invalid_argument(std::string(what) + " is " + std::to_string(value) +
                                ", outside " + std::to_string(lowest) + ".." +
                                std::to_string(highest));
}

void check_role(const Metadata &metadata, const std::string &role) {
  auto it = metadata.find("role");
  if (it != metadata.end() && it->second != role)
    throw std::invalid_argument("the file holds a " + it->second + ", not a " + role);
}

}  // namespace

GeneratorConfig GeneratorConfig::paper() { return from_name("resnet_9blocks_cbam"); }

GeneratorConfig GeneratorConfig::from_name(const std::string &architecture, int in_channels,
                                           int out_channels, int ngf) {
  GeneratorConfig config;
  config.in_channels = in_channels;
  config.out_channels = out_channels;
  config.ngf = ngf;
  static const std::regex resnet_name(R"(resnet_([0-9]{1,3})blocks(_cbam)?(_resizeconv)?)");
  static const std::regex unshuffle_name(R"(unshuffle([248])_([0-9]{1,3})blocks(_cbam)?)");
  std::smatch match;
  if (architecture.rfind("hot_", 0) == 0) {
    const bool half = architecture.rfind("hot_half_", 0) == 0;
    const std::string base_name = architecture.substr(half ? 9 : 4);
    if (base_name.rfind("hot_", 0) == 0 || base_name.rfind("unet_", 0) == 0)
      throw std::invalid_argument("the hot-target head paints over a resnet or unshuffle generator, not " +
                                  base_name);
    const GeneratorConfig base = from_name(base_name, in_channels, out_channels, ngf);
    config = base;
    config.family = GeneratorFamily::hot;
    config.base = std::make_shared<const GeneratorConfig>(base);
    config.head_half = half;
  } else if (std::regex_match(architecture, match, resnet_name)) {
    config.family = GeneratorFamily::resnet;
    config.n_blocks = std::stoi(match[1].str());
    config.cbam = match[2].matched;
    config.resize_conv = match[3].matched;
  } else if (std::regex_match(architecture, match, unshuffle_name)) {
    config.family = GeneratorFamily::unshuffle;
    config.unshuffle_factor = std::stoi(match[1].str());
    config.n_blocks = std::stoi(match[2].str());
    config.cbam = match[3].matched;
  } else if (architecture == "unet_128" || architecture == "unet_256") {
    config.family = GeneratorFamily::unet;
    config.cbam = false;
    config.num_downs = architecture == "unet_128" ? 7 : 8;
  } else {
    throw std::invalid_argument("unknown generator architecture \"" + architecture +
                                "\" (known: resnet_6blocks, resnet_9blocks, "
                                "resnet_9blocks_cbam, resnet_<N>blocks[_cbam][_resizeconv], unet_128, unet_256, "
                                "unshuffle<2|4|8>_<N>blocks[_cbam], hot[_half]_<resnet or unshuffle name>)");
  }
  config.validate();
  return config;
}

GeneratorConfig GeneratorConfig::from_metadata(const Metadata &metadata) {
  check_role(metadata, "generator");
  auto norm = metadata.find("norm");
  if (norm != metadata.end() && norm->second != "instance")
    throw std::invalid_argument("generator norm \"" + norm->second +
                                "\" is not supported (only \"instance\")");
  GeneratorConfig config =
      from_name(required(metadata, "architecture"), required_int(metadata, "in_channels"),
                required_int(metadata, "out_channels"), required_int(metadata, "ngf"));
  if (config.family == GeneratorFamily::hot && metadata.count("head_width")) {
    config.head_width = required_int(metadata, "head_width");
    config.validate();
  }
  if (config.family != GeneratorFamily::unet && metadata.count("n_blocks") &&
      required_int(metadata, "n_blocks") != config.n_blocks)
    throw std::invalid_argument("metadata n_blocks " + metadata.at("n_blocks") +
                                " contradicts architecture " + config.architecture());
  if (config.cbam && metadata.count("cbam_reduction")) {
    config.cbam_reduction = required_int(metadata, "cbam_reduction");
    if (config.base) {
      auto base = *config.base;
      base.cbam_reduction = config.cbam_reduction;
      config.base = std::make_shared<const GeneratorConfig>(base);
    }
    config.validate();
  }
  return config;
}

std::string GeneratorConfig::architecture() const {
  if (family == GeneratorFamily::hot) return std::string(head_half ? "hot_half_" : "hot_") + base->architecture();
  if (family == GeneratorFamily::unet) return num_downs == 7 ? "unet_128" : "unet_256";
  if (family == GeneratorFamily::unshuffle)
    return "unshuffle" + std::to_string(unshuffle_factor) + "_" + std::to_string(n_blocks) + "blocks" +
           (cbam ? "_cbam" : "");
  return "resnet_" + std::to_string(n_blocks) + "blocks" + (cbam ? "_cbam" : "") + (resize_conv ? "_resizeconv" : "");
}

int GeneratorConfig::size_multiple() const {
  switch (family) {
    case GeneratorFamily::unet: return 1 << num_downs;
    case GeneratorFamily::unshuffle: return unshuffle_factor;
    case GeneratorFamily::hot: return base->size_multiple();
    case GeneratorFamily::resnet: break;
  }
  return 4;
}

int GeneratorConfig::least_size() const {
  if (family == GeneratorFamily::hot) return base->least_size();
  return family == GeneratorFamily::unet ? size_multiple() : 2 * size_multiple();
}

Metadata GeneratorConfig::to_metadata() const {
  Metadata metadata{{"format", kWeightsFormat},
                    {"role", "generator"},
                    {"architecture", architecture()},
                    {"in_channels", std::to_string(in_channels)},
                    {"out_channels", std::to_string(out_channels)},
                    {"ngf", std::to_string(ngf)},
                    {"norm", "instance"}};
  if (family != GeneratorFamily::unet) metadata["n_blocks"] = std::to_string(n_blocks);
  if (cbam) metadata["cbam_reduction"] = std::to_string(cbam_reduction);
  if (family == GeneratorFamily::hot) metadata["head_width"] = std::to_string(head_width);
  return metadata;
}

void GeneratorConfig::validate() const {
  check_range("generator in_channels", in_channels, 1, 4);
  check_range("generator out_channels", out_channels, 1, 4);
  check_range("ngf", ngf, 1, 1024);
  if (family != GeneratorFamily::unet) check_range("n_blocks", n_blocks, 1, 64);
  if (family == GeneratorFamily::unshuffle) {
    check_range("unshuffle factor", unshuffle_factor, 2, 8);
    if (ngf % 8 != 0)
      throw std::invalid_argument("ngf is " + std::to_string(ngf) + "; " + architecture() +
                                  " needs a multiple of 8 (its full-resolution head has ngf / 8 channels)");
  }
  if (family == GeneratorFamily::unet) check_range("U-Net downsamplings", num_downs, 7, 8);
  check_range("CBAM reduction", cbam_reduction, 1, 1024);
  if (family == GeneratorFamily::hot) {
    if (!base || (base->family != GeneratorFamily::resnet && base->family != GeneratorFamily::unshuffle))
      throw std::invalid_argument("a hot generator needs a resnet or unshuffle base generator");
    if (in_channels != 3 || out_channels != 1)
      throw std::invalid_argument(architecture() + " turns 3 visible channels into 1 infrared channel, not " +
                                  std::to_string(in_channels) + " into " + std::to_string(out_channels));
    base->validate();
    check_range("head_width", head_width, 4, 256);
  }
}

DiscriminatorConfig DiscriminatorConfig::from_metadata(const Metadata &metadata) {
  check_role(metadata, "discriminator");
  if (required(metadata, "architecture") != "patchgan")
    throw std::invalid_argument("unknown discriminator architecture \"" +
                                metadata.at("architecture") + "\" (known: patchgan)");
  DiscriminatorConfig config;
  config.in_channels = required_int(metadata, "in_channels");
  config.ndf = required_int(metadata, "ndf");
  if (metadata.count("n_layers")) config.n_layers = required_int(metadata, "n_layers");
  config.norm = discriminator_norm_from_string(required(metadata, "norm"));
  config.validate();
  return config;
}

Metadata DiscriminatorConfig::to_metadata() const {
  return {{"format", kWeightsFormat},
          {"role", "discriminator"},
          {"architecture", "patchgan"},
          {"in_channels", std::to_string(in_channels)},
          {"ndf", std::to_string(ndf)},
          {"n_layers", std::to_string(n_layers)},
          {"norm", to_string(norm)}};
}

void DiscriminatorConfig::validate() const {
  check_range("discriminator in_channels", in_channels, 1, 4);
  check_range("ndf", ndf, 1, 1024);
  check_range("n_layers", n_layers, 1, 8);
}

std::string to_string(DiscriminatorNorm norm) {
  return norm == DiscriminatorNorm::instance ? "instance" : "none";
}

DiscriminatorNorm discriminator_norm_from_string(const std::string &name) {
  if (name == "instance") return DiscriminatorNorm::instance;
  if (name == "none") return DiscriminatorNorm::none;
  throw std::invalid_argument("unknown discriminator norm \"" + name +
                              "\" (known: instance, none)");
}

}  // namespace gncyclegan
