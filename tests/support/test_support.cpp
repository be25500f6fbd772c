#include "tests/support/test_support.h"

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace gncyclegan::test {

int64_t parameter_count(const torch::nn::Module &module) {
  int64_t count = 0;
  for (const auto &parameter : module.parameters()) count += parameter.numel();
  return count;
}

CommandResult run_command(const std::string &command, const std::string &log) {
  CommandResult result;
  const int raw = std::system((command + " >'" + log + "' 2>&1").c_str());
  result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  std::ifstream in(log);
  result.output.assign(std::istreambuf_iterator<char>(in), {});
  return result;
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
