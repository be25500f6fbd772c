// Helpers shared by the test suites: a parameter count, a temporary directory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <torch/nn/module.h>

namespace gncyclegan::test {

// Number of trainable parameters, as `sum(p.numel() for p in model.parameters())`.
int64_t parameter_count(const torch::nn::Module &module);

// A fresh empty directory under the system's temporary directory, removed when
// the object goes out of scope.
class TemporaryDirectory {
 public:
  TemporaryDirectory();
  ~TemporaryDirectory();
  TemporaryDirectory(const TemporaryDirectory &) = delete;
  TemporaryDirectory &operator=(const TemporaryDirectory &) = delete;
  std::string file(const std::string &name) const { return (path_ / name).string(); }
  const std::filesystem::path &path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace gncyclegan::test
