// Data-parallel training over PyTorch's c10d: the ranks join a process group
// (Gloo on CPUs, NCCL on NVIDIA GPUs) through a TCPStore at MASTER_ADDR:
// MASTER_PORT, as torchrun and Kubeflow's PyTorchJob describe them in the
// environment (WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR, MASTER_PORT).
// Every rank trains on its own share of each step's images; the gradients are
// averaged over the ranks before every optimizer step, so the ranks' weights
// stay identical and the step is that of one process with the whole batch.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <c10/core/Device.h>
#include <torch/types.h>

namespace CLI {
class App;
}

namespace gncyclegan::train {

// How this process takes part in a data-parallel run; set per launch (never
// stored in the run's config.json, so a run may resume on another number of
// ranks).
struct DistributedOptions {
  int world_size = 1;
  int rank = 0;
  int local_rank = -1;  // -1: not given (the GPU is then the rank modulo the machine's GPU count)
  std::string master_addr;
  int master_port = 0;
  std::string backend = "auto";  // auto (NCCL on CUDA, Gloo on the CPU), gloo, nccl
  int timeout_seconds = 300;     // a collective or the rendezvous waiting longer fails the run
  // torchrun 2.x hosts the store itself (TORCHELASTIC_USE_AGENT_STORE=True):
  // rank 0 then joins it as a client instead of serving it.
  bool agent_store = false;

  bool enabled() const { return world_size > 1; }
};

// The --world-size, --rank, --local-rank, --master-addr, --master-port options,
// read from torchrun's environment variables when not given, and
// --dist-backend, --dist-timeout.
void add_distributed_options(CLI::App &app, DistributedOptions &options);
// Throws std::invalid_argument naming what is missing or inconsistent (a rank
// outside the world, WORLD_SIZE without MASTER_ADDR...).
void validate(const DistributedOptions &options);

// The device a rank trains on: with --device auto or cuda, the GPU of its
// local rank (cuda:LOCAL_RANK; without LOCAL_RANK, as in a Kubernetes pod per
// rank, the rank modulo the machine's GPUs); otherwise what --device says.
c10::Device rank_device(const std::string &device_option, const DistributedOptions &options);

// A peer rank died, hung past the timeout, or could not be reached.
class ProcessGroupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class DataParallel {
 public:
  // Joins the process group; returns once every rank has joined. Throws
  // ProcessGroupError when the rendezvous fails (port in use, rank 0 not
  // reachable within the timeout) and std::invalid_argument for a backend
  // that cannot serve `device`.
  DataParallel(const DistributedOptions &options, c10::Device device);
  ~DataParallel();
  DataParallel(const DataParallel &) = delete;
  DataParallel &operator=(const DataParallel &) = delete;

  int rank() const { return options_.rank; }
  int world_size() const { return options_.world_size; }
  bool is_main() const { return options_.rank == 0; }
  const std::string &backend() const { return backend_; }

  // Rank 0's values of `tensors`, copied in place on every rank (flattened
  // as the gradients below).
  void broadcast(const std::vector<torch::Tensor> &tensors);
  // Every parameter's gradient replaced by its mean over the ranks. The
  // gradients travel flattened in buckets of at most 25 MiB, all in flight at
  // once; a parameter without a gradient counts as a zero one.
  void average_gradients(const std::vector<torch::Tensor> &parameters);
  // The mean of each value over the ranks.
  std::vector<double> average(const std::vector<double> &values);
  // Every rank's `tensor` (one shape on every rank), in rank order.
  std::vector<torch::Tensor> all_gather(const torch::Tensor &tensor);

 private:
  struct Group;
  template <typename Operation>
  void guarded(const char *what, Operation &&operation);
  // Rank 0's `tensors` (average false) or their mean over the ranks, in place.
  void exchange(const char *what, const std::vector<torch::Tensor> &tensors, bool average);
  [[noreturn]] void lost(const char *what, const std::string &reason);

  DistributedOptions options_;
  c10::Device device_;
  std::string backend_;
  std::unique_ptr<Group> group_;
};

}  // namespace gncyclegan::train
