// The generators bundled with gncycleganir, by short name: installed with the
// element (or, in a build tree that is not installed, found in the source
// tree's models/), so `model=surveillance` works in a pipeline and
// `--model road` in the command-line tools. Anything that is not a bundled
// model's name is a path to a weights file.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace gncycleganir {

struct BundledModel {
  std::string name;         // what users write: "surveillance"
  std::string file;         // in models/: "gncyclegan-surveillance.safetensors"
  std::string description;  // one line, for gst-inspect and --help
};

// Every bundled model, the default first.
const std::vector<BundledModel> &bundled_models();
// "surveillance (the default), road, realtime"
std::string bundled_model_names();
// The default model's real-time student, "realtime": what the element runs
// instead of the default on a CPU too slow for it live.
const std::string &realtime_model_name();

class ModelNotFound : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A model as users name it -> the weights file to load: a bundled model's
// name gives its installed file, anything else is a path and comes back as it
// is. An empty value means the default. Throws ModelNotFound, naming the
// places looked at, when a bundled model's file is not installed.
std::string resolve_model(const std::string &name_or_path);

}  // namespace gncycleganir
