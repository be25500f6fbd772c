// Model configurations: which network to build, and how a configuration is
// written to and read from a weights file's `__metadata__`.
#pragma once

#include <map>
#include <memory>
#include <string>

namespace gncyclegan {

using Metadata = std::map<std::string, std::string>;

// The identifier written as `format` in every weights file this project makes.
inline constexpr const char *kWeightsFormat = "gncyclegan-weights/1";

enum class GeneratorFamily { resnet, unet, unshuffle, hot };

// A generator as the CycleGAN reference defines them (`define_G`), plus CBAM
// residual blocks (GN-CycleGAN). Architecture names: `resnet_<N>blocks`,
// `resnet_<N>blocks_cbam` (any N >= 1; the reference has 6 and 9),
// `unet_128` and `unet_256`; a ResNet name ending in `_resizeconv` upsamples by
// nearest-neighbour resize + 3x3 convolution instead of transposed
// convolutions (no checkerboard artefacts; same parameter count).
// `unshuffle<S>_<N>blocks[_cbam]` (S = 2, 4 or 8) runs N residual blocks of
// width ngf at 1/S of the image's side (model/unshuffle_generator.h).
// `hot_<base>` and `hot_half_<base>` are a ResNet or unshuffle generator
// (the base, whose ngf and n_blocks these are) with a hot-target head that
// paints the warm objects over its output, the head at the image's side or at
// half of it (model/hot_composite_generator.h).
struct GeneratorConfig {
  GeneratorFamily family = GeneratorFamily::resnet;
  int in_channels = 3;
  int out_channels = 1;
  int ngf = 64;
  int n_blocks = 9;      // resnet and unshuffle
  bool cbam = true;      // resnet and unshuffle
  bool resize_conv = false;  // resnet only: upsample by resize + convolution
  int num_downs = 8;     // unet only: 7 = unet_128, 8 = unet_256
  int unshuffle_factor = 8;  // unshuffle only: the trunk runs at 1/S of the side
  int cbam_reduction = 16;
  std::shared_ptr<const GeneratorConfig> base;  // hot only: the generator under the head
  int head_width = 32;     // hot only: the head's first width (model/hot_target_head.h)
  bool head_half = false;  // hot only: the head runs at half the image's side

  // The paper's generator: resnet_9blocks_cbam, RGB in, one infrared channel out.
  static GeneratorConfig paper();
  // Parses an architecture name (see above) with the given channels and width.
  static GeneratorConfig from_name(const std::string &architecture, int in_channels = 3,
                                   int out_channels = 1, int ngf = 64);
  // Reads `architecture`, `in_channels`, `out_channels`, `ngf`, `n_blocks`, `norm`
  // (and `head_width` for a hot generator);
  // throws std::invalid_argument naming the key that is missing or wrong.
  static GeneratorConfig from_metadata(const Metadata &metadata);

  std::string architecture() const;
  // Side length the input must be a multiple of (4 for ResNets, 2^num_downs
  // for U-Nets, S for unshuffle<S>, the base's for hot generators).
  int size_multiple() const;
  // The smallest side the network takes: its reflection pads need 2 pixels at
  // the trunk's scale.
  int least_size() const;
  // unshuffle only: the channels of the full-resolution head, ngf / 8.
  int full_resolution_channels() const { return ngf / 8; }
  // The keys above, plus `format`, `role` = generator and `norm` = instance.
  Metadata to_metadata() const;
  // Throws std::invalid_argument when a field is out of range.
  void validate() const;
};

enum class DiscriminatorNorm { instance, none };

// The reference PatchGAN (`NLayerDiscriminator`): 70x70 receptive field for n_layers 3.
struct DiscriminatorConfig {
  int in_channels = 1;
  int ndf = 64;
  int n_layers = 3;
  DiscriminatorNorm norm = DiscriminatorNorm::instance;

  static DiscriminatorConfig from_metadata(const Metadata &metadata);
  Metadata to_metadata() const;
  void validate() const;
};

std::string to_string(DiscriminatorNorm norm);
DiscriminatorNorm discriminator_norm_from_string(const std::string &name);

}  // namespace gncyclegan
