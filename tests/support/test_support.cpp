#include "tests/support/test_support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>

#include <torch/torch.h>

#include "model/generator.h"
#include "model/weights.h"

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

BackgroundCommand::BackgroundCommand(const std::string &command, const std::string &log) : log_(log) {
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("cannot start a background command");
  if (pid_ == 0) {
    ::setpgid(0, 0);
    const std::string redirected = "exec " + command + " >'" + log + "' 2>&1";
    ::execl("/bin/sh", "sh", "-c", redirected.c_str(), static_cast<char *>(nullptr));
    ::_exit(127);
  }
  ::setpgid(pid_, pid_);
}

BackgroundCommand::~BackgroundCommand() { kill_all(); }

void BackgroundCommand::kill_all() {
  if (!running()) return;
  ::kill(-pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  status_ = -1;
}

bool BackgroundCommand::running() {
  if (pid_ <= 0) return false;
  int raw = 0;
  if (::waitpid(pid_, &raw, WNOHANG) == 0) return true;
  status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  pid_ = -1;
  return false;
}

void BackgroundCommand::signal(int signal_number) {
  if (running()) ::kill(pid_, signal_number);
}

int BackgroundCommand::wait(double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  kill_all();
  return status_;
}

std::string BackgroundCommand::output() const {
  std::ifstream in(log_);
  return {std::istreambuf_iterator<char>(in), {}};
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

bool wait_until(const std::function<bool()> &condition, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

std::string write_tiny_generator(const std::string &path) {
  torch::manual_seed(7);
  auto config = GeneratorConfig::from_name("resnet_1blocks_cbam");
  config.ngf = 4;
  save_generator(path, *make_generator(config));
  return path;
}

}  // namespace gncyclegan::test
