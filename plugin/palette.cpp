#include "plugin/palette.h"

#include <array>
#include <cmath>
#include <vector>

namespace gncycleganir {
namespace {

struct Stop {
  double at;  // 0..1
  std::array<double, 3> rgb;
};

const std::vector<Stop> &stops(Palette palette) {
  static const std::vector<Stop> ironbow{{0.00, {0, 0, 0}},       {0.15, {32, 0, 140}},  {0.35, {150, 0, 160}},
                                         {0.55, {225, 60, 30}},   {0.72, {250, 140, 0}}, {0.88, {255, 220, 40}},
                                         {1.00, {255, 255, 255}}};
  static const std::vector<Stop> rainbow{{0.00, {0, 0, 0}},     {0.15, {0, 0, 255}},   {0.35, {0, 255, 255}},
                                         {0.50, {0, 255, 0}},   {0.68, {255, 255, 0}}, {0.85, {255, 0, 0}},
                                         {1.00, {255, 255, 255}}};
  static const std::vector<Stop> lava{{0.00, {0, 0, 0}},     {0.25, {110, 0, 0}},     {0.50, {220, 30, 0}},
                                      {0.70, {255, 130, 0}}, {0.88, {255, 230, 60}}, {1.00, {255, 255, 255}}};
  static const std::vector<Stop> arctic{{0.00, {0, 0, 0}},     {0.25, {0, 0, 110}},    {0.50, {0, 80, 230}},
                                        {0.75, {0, 220, 255}}, {1.00, {255, 255, 255}}};
  static const std::vector<Stop> white_hot{{0.0, {0, 0, 0}}, {1.0, {255, 255, 255}}};
  static const std::vector<Stop> black_hot{{0.0, {255, 255, 255}}, {1.0, {0, 0, 0}}};
  switch (palette) {
    case Palette::white_hot: return white_hot;
    case Palette::black_hot: return black_hot;
    case Palette::ironbow: return ironbow;
    case Palette::rainbow: return rainbow;
    case Palette::lava: return lava;
    case Palette::arctic: return arctic;
  }
  return white_hot;
}

constexpr std::array<std::pair<Palette, const char *>, 6> kNames{{{Palette::white_hot, "white-hot"},
                                                                   {Palette::black_hot, "black-hot"},
                                                                   {Palette::ironbow, "ironbow"},
                                                                   {Palette::rainbow, "rainbow"},
                                                                   {Palette::lava, "lava"},
                                                                   {Palette::arctic, "arctic"}}};

}  // namespace

std::optional<Palette> palette_from_name(const std::string &name) {
  for (const auto &[palette, text] : kNames)
    if (name == text) return palette;
  return std::nullopt;
}

const char *palette_name(Palette palette) {
  for (const auto &[candidate, text] : kNames)
    if (candidate == palette) return text;
  return "white-hot";
}

torch::Tensor palette_table(Palette palette) {
  const auto &ramp = stops(palette);
  auto table = torch::empty({256, 3}, torch::kUInt8);
  auto cells = table.accessor<uint8_t, 2>();
  size_t segment = 0;
  for (int level = 0; level < 256; ++level) {
    const double x = level / 255.0;
    while (segment + 2 < ramp.size() && x > ramp[segment + 1].at) ++segment;
    const Stop &low = ramp[segment], &high = ramp[segment + 1];
    const double t = (x - low.at) / (high.at - low.at);
    for (int c = 0; c < 3; ++c) cells[level][c] = uint8_t(std::lround(low.rgb[c] + t * (high.rgb[c] - low.rgb[c])));
  }
  return table;
}

}  // namespace gncycleganir
