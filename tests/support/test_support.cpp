#include "tests/support/test_support.h"

#include <cstdlib>
#include <stdexcept>

namespace gncyclegan::test {

int64_t parameter_count(const torch::nn::Module &module) {
  int64_t count = 0;
  for (const auto &parameter : module.parameters()) count += parameter.numel();
  return count;
}

TemporaryDirectory::TemporaryDirectory() {
  std::string pattern = (std::filesystem::temp_directory_path() / "gncyclegan-test-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary directory");
  path_ = pattern;
}

TemporaryDirectory::~TemporaryDirectory() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace gncyclegan::test
