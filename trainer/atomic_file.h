// Writing a file so that readers (and a crash, or a full disk) see the old
// contents or the new, never a part: a temporary file beside it, flushed, then
// renamed over it.
#pragma once

#include <string>

namespace gncyclegan::train {

// Throws std::runtime_error naming the path and the system's reason.
void write_file_atomically(const std::string &path, const std::string &contents);

}  // namespace gncyclegan::train
