// Where the element finds its model when the `model` property is unset: the
// bundled gncyclegan-compact, installed with the plugin, or, in a build tree
// that is not installed, the copy in the source tree.
#pragma once

#include <string>

namespace gncycleganir {

// The first of the locations that holds the file; empty when none does.
std::string default_model_path();
// The locations looked at, for messages.
std::string default_model_locations();

}  // namespace gncycleganir
