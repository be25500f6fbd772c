// False-colour palettes for infrared video, as thermal cameras offer them: a
// 256-entry RGB table indexed by the 8-bit infrared intensity (0 = coldest).
#pragma once

#include <optional>
#include <string>

#include <torch/types.h>

namespace gncycleganir {

enum class Palette { white_hot, black_hot, ironbow, rainbow, lava, arctic };

// "white-hot" ... "arctic"; nullopt for anything else.
std::optional<Palette> palette_from_name(const std::string &name);
const char *palette_name(Palette palette);

// 256 x 3 uint8 (R, G, B) on the CPU. white-hot: gray ramp 0..255; black-hot:
// its inverse; ironbow: black, deep blue, magenta, red, orange, yellow, white;
// rainbow: black, blue, cyan, green, yellow, red, white; lava: black, dark
// red, red, orange, yellow, white; arctic: black, navy, blue, cyan, white.
torch::Tensor palette_table(Palette palette);

}  // namespace gncycleganir
