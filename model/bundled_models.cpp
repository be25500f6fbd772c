#include "model/bundled_models.h"

#include <filesystem>

namespace gncycleganir {
namespace {

// Set by meson: the install location, then the source tree's models/.
std::vector<std::string> locations(const BundledModel &model) {
  return {std::string(GNCYCLEGANIR_MODELS_DIR) + "/" + model.file,
          std::string(GNCYCLEGANIR_SOURCE_MODELS_DIR) + "/" + model.file};
}

}  // namespace

const std::string &realtime_model_name() {
  static const std::string name = "realtime";
  return name;
}

const std::vector<BundledModel> &bundled_models() {
  static const std::vector<BundledModel> models{
      {"surveillance", "gncyclegan-surveillance.safetensors",
       "street and campus cameras, day and night: dark background, warm people and cars (trained on MSRS, M3SVD "
       "and RoadScene)"},
      {"road", "gncyclegan-compact.safetensors",
       "car-mounted FLIR road cameras by day: bright road, dark sky (trained on RoadScene)"},
      {realtime_model_name(), "gncyclegan-realtime.safetensors",
       "surveillance's real-time student: what it draws, at a quarter of its arithmetic per pixel, for CPUs too "
       "slow to run surveillance live at 320x240 or more"},
  };
  return models;
}

std::string bundled_model_names() {
  std::string names;
  for (const auto &model : bundled_models())
    names += (names.empty() ? model.name + " (the default)" : ", " + model.name);
  return names;
}

std::string resolve_model(const std::string &name_or_path) {
  const std::string name = name_or_path.empty() ? bundled_models().front().name : name_or_path;
  for (const auto &model : bundled_models()) {
    if (model.name != name) continue;
    std::string looked;
    for (const auto &path : locations(model)) {
      if (std::filesystem::is_regular_file(path)) return path;
      looked += (looked.empty() ? "" : " and ") + path;
    }
    throw ModelNotFound("the bundled model " + name + " is not installed (looked for " + looked +
                        "); reinstall gncycleganir, or give a weights file");
  }
  return name_or_path;
}

}  // namespace gncycleganir
