// Helpers shared by the test suites: a parameter count, a temporary directory,
// running a command in the foreground or in the background, waiting for a
// condition, a tiny generator's weights file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include <sys/types.h>

#include <torch/nn/module.h>

namespace gncyclegan::test {

// Number of trainable parameters, as `sum(p.numel() for p in model.parameters())`.
int64_t parameter_count(const torch::nn::Module &module);

// A shell command's exit status (-1 when killed by a signal) and its stdout and
// stderr together.
struct CommandResult {
  int status = -1;
  std::string output;
};
// Runs `command` with /bin/sh, its output captured in the file `log`.
CommandResult run_command(const std::string &command, const std::string &log);

// A shell command running in the background (its own process group), its
// stdout and stderr going to the file `log`; killed, with everything it
// started, when the object goes out of scope.
class BackgroundCommand {
 public:
  BackgroundCommand(const std::string &command, const std::string &log);
  ~BackgroundCommand();
  BackgroundCommand(const BackgroundCommand &) = delete;
  BackgroundCommand &operator=(const BackgroundCommand &) = delete;
  bool running();
  void signal(int signal_number);
  // Waits up to `seconds` for the command to end: its exit status, or -1 if it
  // was killed by a signal or is still running (then it is killed).
  int wait(double seconds);
  std::string output() const;

 private:
  void kill_all();  // the command and all it started, if still running
  pid_t pid_ = -1;
  int status_ = -1;
  std::string log_;
};

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

// Polls `condition` every few milliseconds until it holds (true) or
// `seconds` have passed (false).
bool wait_until(const std::function<bool()> &condition, double seconds);

// Writes the weights of a tiny generator (resnet_1blocks_cbam, ngf 4, seeded
// weights: the same file every time) to `path`, for tests of the element that
// need a model but not a good one; returns `path`.
std::string write_tiny_generator(const std::string &path);

}  // namespace gncyclegan::test
