#include "model/bundled_models.h"

#include <filesystem>
#include <vector>

namespace gncycleganir {
namespace {

constexpr const char *kDefaultModel = "gncyclegan-compact.safetensors";

std::vector<std::string> locations() {
  // Set by meson: the install location, then the source tree's models/.
  return {std::string(GNCYCLEGANIR_MODELS_DIR) + "/" + kDefaultModel,
          std::string(GNCYCLEGANIR_SOURCE_MODELS_DIR) + "/" + kDefaultModel};
}

}  // namespace

std::string default_model_path() {
  for (const auto &path : locations())
    if (std::filesystem::is_regular_file(path)) return path;
  return "";
}

std::string default_model_locations() {
  std::string text;
  for (const auto &path : locations()) text += (text.empty() ? "" : " and ") + path;
  return text;
}

}  // namespace gncycleganir
