// Naming the training sets: --dataset SPEC on the command line, a --datasets
// manifest (JSON), and the record of each set that config.json and the
// exported weights' metadata keep.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace gncyclegan::train {

// One training set: a visible and an infrared folder, how often steps draw
// from it, and the factor its images are resized by before --scale native
// crops (so objects of two cameras can be brought to one size).
struct DatasetSpec {
  std::string name;  // for messages and records; see default_set_name
  std::string visible_dir;
  std::string infrared_dir;
  double weight = 0;   // sampling weight; 0 = the set's image count
  double scale = 1.0;  // resize factor before native-scale crops
};

// "DIR" when the folders are DIR/visible and DIR/infrared (the layout of every
// set in ../shared/data), else "VISIBLE_DIR,INFRARED_DIR".
std::string default_set_name(const std::string &visible_dir, const std::string &infrared_dir);

// --dataset SPEC: LOCATION[:KEY=VALUE]..., LOCATION either DIR (holding
// visible/ and infrared/) or VISIBLE_DIR,INFRARED_DIR; keys weight (> 0),
// scale (0.05..8) and name. Throws std::invalid_argument saying what is wrong.
DatasetSpec parse_dataset_spec(const std::string &spec);

// --datasets FILE: a JSON list of {"visible": ..., "infrared": ...} or
// {"dir": ...}, each with optional "weight", "scale", "name"; relative paths
// are relative to the file's folder. Throws std::runtime_error naming the file
// and the entry.
std::vector<DatasetSpec> read_dataset_manifest(const std::string &path);

// What a run trained on from one set: its spec with the weight resolved, and
// its image counts.
struct SetRecord {
  DatasetSpec spec;
  int64_t visible_images = 0;
  int64_t infrared_images = 0;
  int64_t pairs = 0;  // aligned pairs, when training is paired
};

// JSON with the manifest's keys (name, visible, infrared, weight, scale; a
// record adds visible_images, infrared_images, pairs); missing keys keep
// their defaults, so older files still read.
void to_json(nlohmann::json &json, const DatasetSpec &spec);
void from_json(const nlohmann::json &json, DatasetSpec &spec);
void to_json(nlohmann::json &json, const SetRecord &record);
void from_json(const nlohmann::json &json, SetRecord &record);

}  // namespace gncyclegan::train
