// CLI11: an option naming a generator as users name it (a bundled model's
// short name or a weights file); the value becomes the file's path.
#pragma once

#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>

#include "model/bundled_models.h"

namespace gncyclegan::train {

inline CLI::Validator model_file() {
  return CLI::Validator(
      [](std::string &value) -> std::string {
        try {
          value = gncycleganir::resolve_model(value);
        } catch (const gncycleganir::ModelNotFound &error) {
          return error.what();
        }
        if (!std::filesystem::is_regular_file(value))
          return "no such file: " + value + " (or a bundled model: " + gncycleganir::bundled_model_names() + ")";
        return std::string();
      },
      "MODEL", "model");
}

}  // namespace gncyclegan::train
