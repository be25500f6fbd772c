#include "trainer/dataset_spec.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace gncyclegan::train {
namespace {

namespace fs = std::filesystem;

constexpr double kMinScale = 0.05, kMaxScale = 8.0;  // as gncyclegan-eval's --scale

std::vector<std::string> split(const std::string &text, char separator) {
  std::vector<std::string> parts{""};
  for (char c : text) {
    if (c == separator) parts.emplace_back();
    else parts.back() += c;
  }
  return parts;
}

// The whole of `value` as a finite number.
std::optional<double> number(const std::string &value) {
  size_t used = 0;
  double result = 0;
  try {
    result = std::stod(value, &used);
  } catch (const std::exception &) {
    return std::nullopt;
  }
  if (used != value.size() || !std::isfinite(result)) return std::nullopt;
  return result;
}

// The checks a spec and a manifest entry share, as the reason it is wrong
// (empty when right); `given_weight` is false when the weight was left to its
// default.
std::string wrong_values(const DatasetSpec &spec, bool given_weight) {
  if (given_weight && !(spec.weight > 0)) return "weight must be above 0 (leave it out for the set's image count)";
  if (!(spec.scale >= kMinScale && spec.scale <= kMaxScale)) return "scale must be in [0.05, 8]";
  if (spec.name.empty()) return "name must not be empty";
  return "";
}

}  // namespace

std::string default_set_name(const std::string &visible_dir, const std::string &infrared_dir) {
  const fs::path visible = fs::path(visible_dir).lexically_normal(), infrared = fs::path(infrared_dir).lexically_normal();
  auto folder = [](const fs::path &path) { return path.has_filename() ? path : path.parent_path(); };
  const fs::path v = folder(visible), i = folder(infrared);
  if (v.filename() == "visible" && i.filename() == "infrared" && v.parent_path() == i.parent_path() &&
      !v.parent_path().empty())
    return v.parent_path().string();
  return visible_dir + "," + infrared_dir;
}

DatasetSpec parse_dataset_spec(const std::string &text) {
  auto fail = [&](const std::string &why) -> void {
    throw std::invalid_argument(text + ": " + why +
                                " (expected DIR or VISIBLE_DIR,INFRARED_DIR, then optionally :weight=W, :scale=S, "
                                ":name=NAME)");
  };
  const std::vector<std::string> parts = split(text, ':');
  const std::string &location = parts[0];
  DatasetSpec spec;
  const std::vector<std::string> folders = split(location, ',');
  if (folders.size() > 2) fail("more than two folders");
  for (const auto &folder : folders)
    if (folder.empty()) fail("a folder is missing");
  if (folders.size() == 1) {
    spec.visible_dir = (fs::path(location) / "visible").string();
    spec.infrared_dir = (fs::path(location) / "infrared").string();
  } else {
    spec.visible_dir = folders[0];
    spec.infrared_dir = folders[1];
  }

  std::set<std::string> seen;
  for (size_t k = 1; k < parts.size(); ++k) {
    const std::string &option = parts[k];
    const size_t equals = option.find('=');
    if (equals == std::string::npos || equals == 0) fail("'" + option + "' is not KEY=VALUE");
    const std::string key = option.substr(0, equals), value = option.substr(equals + 1);
    if (!seen.insert(key).second) fail(key + " is given twice");
    if (key == "weight" || key == "scale") {
      const auto parsed = number(value);
      if (!parsed) fail(option + ": not a number");
      (key == "weight" ? spec.weight : spec.scale) = *parsed;
    } else if (key == "name") {
      spec.name = value;
    } else {
      fail("unknown key '" + key + "' (weight, scale or name)");
    }
  }
  if (!seen.count("name")) spec.name = default_set_name(spec.visible_dir, spec.infrared_dir);
  if (const std::string why = wrong_values(spec, seen.count("weight") > 0); !why.empty()) fail(why);
  return spec;
}

std::vector<DatasetSpec> read_dataset_manifest(const std::string &path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("--datasets " + path + ": cannot read it");
  const auto json = nlohmann::json::parse(in, nullptr, false);
  if (json.is_discarded()) throw std::runtime_error("--datasets " + path + ": not valid JSON");
  if (!json.is_array() || json.empty())
    throw std::runtime_error("--datasets " + path +
                             ": expected a JSON list of sets, [{\"visible\": DIR, \"infrared\": DIR, \"weight\": W, "
                             "\"scale\": S, \"name\": NAME}, ...] (or {\"dir\": DIR, ...})");
  // Relative paths are relative to the manifest, so it travels with its data.
  const fs::path base = fs::path(path).parent_path();
  auto resolve = [&](const std::string &folder) {
    return fs::path(folder).is_relative() && !base.empty() ? (base / folder).string() : folder;
  };
  std::vector<DatasetSpec> specs;
  for (size_t index = 0; index < json.size(); ++index) {
    const auto &entry = json[index];
    auto fail = [&](const std::string &why) -> void {
      throw std::runtime_error("--datasets " + path + ", set " + std::to_string(index + 1) + ": " + why);
    };
    if (!entry.is_object()) fail("expected an object");
    for (const auto &[key, value] : entry.items()) {
      static const std::set<std::string> known{"dir", "visible", "infrared", "weight", "scale", "name"};
      if (!known.count(key)) fail("unknown key \"" + key + "\" (dir, visible, infrared, weight, scale, name)");
      const bool text = key == "dir" || key == "visible" || key == "infrared" || key == "name";
      if (text ? !value.is_string() : !value.is_number())
        fail("\"" + key + "\" must be a " + (text ? "string" : "number"));
    }
    DatasetSpec spec;
    if (entry.contains("dir")) {
      if (entry.contains("visible") || entry.contains("infrared"))
        fail("give \"dir\" or \"visible\" and \"infrared\", not both");
      const std::string dir = resolve(entry["dir"].get<std::string>());
      spec.visible_dir = (fs::path(dir) / "visible").string();
      spec.infrared_dir = (fs::path(dir) / "infrared").string();
    } else {
      if (!entry.contains("visible") || !entry.contains("infrared"))
        fail("\"visible\" and \"infrared\" (or \"dir\") are required");
      spec.visible_dir = resolve(entry["visible"].get<std::string>());
      spec.infrared_dir = resolve(entry["infrared"].get<std::string>());
    }
    spec.weight = entry.value("weight", 0.0);
    spec.scale = entry.value("scale", 1.0);
    spec.name = entry.value("name", default_set_name(spec.visible_dir, spec.infrared_dir));
    if (const std::string why = wrong_values(spec, entry.contains("weight")); !why.empty()) fail(why);
    specs.push_back(spec);
  }
  return specs;
}

void to_json(nlohmann::json &json, const DatasetSpec &spec) {
  json = {{"name", spec.name},
          {"visible", spec.visible_dir},
          {"infrared", spec.infrared_dir},
          {"weight", spec.weight},
          {"scale", spec.scale}};
}

void from_json(const nlohmann::json &json, DatasetSpec &spec) {
  const DatasetSpec defaults;
  spec.name = json.value("name", defaults.name);
  spec.visible_dir = json.value("visible", defaults.visible_dir);
  spec.infrared_dir = json.value("infrared", defaults.infrared_dir);
  spec.weight = json.value("weight", defaults.weight);
  spec.scale = json.value("scale", defaults.scale);
}

void to_json(nlohmann::json &json, const SetRecord &record) {
  to_json(json, record.spec);
  json["visible_images"] = record.visible_images;
  json["infrared_images"] = record.infrared_images;
  json["pairs"] = record.pairs;
}

void from_json(const nlohmann::json &json, SetRecord &record) {
  from_json(json, record.spec);
  record.visible_images = json.value("visible_images", int64_t{0});
  record.infrared_images = json.value("infrared_images", int64_t{0});
  record.pairs = json.value("pairs", int64_t{0});
}

}  // namespace gncyclegan::train
