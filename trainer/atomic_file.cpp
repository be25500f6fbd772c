#include "trainer/atomic_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace gncyclegan::train {

void write_file_atomically(const std::string &path, const std::string &contents) {
  const std::string temporary = path + ".partial";
  auto fail = [&](int error) {
    std::remove(temporary.c_str());
    throw std::runtime_error("cannot write " + path + ": " + std::strerror(error));
  };
  FILE *file = std::fopen(temporary.c_str(), "wb");
  if (!file) fail(errno);
  const bool written = std::fwrite(contents.data(), 1, contents.size(), file) == contents.size() &&
                       std::fflush(file) == 0;
  const int write_error = errno;
  if (std::fclose(file) != 0 || !written) fail(written ? errno : write_error);
  if (std::rename(temporary.c_str(), path.c_str()) != 0) fail(errno);
}

}  // namespace gncyclegan::train
