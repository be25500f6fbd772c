#include "trainer/distributed.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/version.h>

#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "model/device.h"

namespace gncyclegan::train {
namespace {

// The collectives' common base: LibTorch 2 splits the process group into a
// front and per-device backends, which Gloo's and NCCL's groups now derive from.
#if TORCH_VERSION_MAJOR >= 2
using Collectives = c10d::Backend;
#else
using Collectives = c10d::ProcessGroup;
#endif

constexpr int64_t kBucketBytes = 25 << 20;  // DistributedDataParallel's default bucket size

std::string first_line(const std::string &text) { return text.substr(0, text.find('\n')); }

std::string host_name() {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  return name;
}

// Whether a process of this machine has ended: gone, or a zombie its parent
// has not reaped yet.
bool process_ended(pid_t pid) {
  if (kill(pid, 0) != 0) return errno == ESRCH;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto state = line.rfind(')');  // the state follows the command name, which may hold spaces
  return state != std::string::npos && state + 2 < line.size() && (line[state + 2] == 'Z' || line[state + 2] == 'X');
}

std::string endpoint(const DistributedOptions &o) { return o.master_addr + ":" + std::to_string(o.master_port); }

}  // namespace

void add_distributed_options(CLI::App &app, DistributedOptions &o) {
  auto *group = "Distributed (torchrun sets the environment variables)";
  app.add_option("--world-size", o.world_size,
                 "Processes training together (env WORLD_SIZE); above 1, each rank trains on its own share of every "
                 "step's images and the effective batch is WORLD_SIZE x --batch-size")
      ->envname("WORLD_SIZE")
      ->check(CLI::Range(1, 65536))
      ->group(group);
  app.add_option("--rank", o.rank, "This process's rank, 0 .. WORLD_SIZE-1 (env RANK); rank 0 writes the run")
      ->envname("RANK")
      ->check(CLI::NonNegativeNumber)
      ->group(group);
  app.add_option("--local-rank", o.local_rank,
                 "This process's rank on its machine (env LOCAL_RANK): the GPU it trains on (default: the rank "
                 "modulo the machine's GPU count)")
      ->envname("LOCAL_RANK")
      ->check(CLI::NonNegativeNumber)
      ->group(group);
  app.add_option("--master-addr", o.master_addr, "Host of rank 0's rendezvous store (env MASTER_ADDR)")
      ->envname("MASTER_ADDR")
      ->group(group);
  app.add_option("--master-port", o.master_port, "Port of rank 0's rendezvous store (env MASTER_PORT)")
      ->envname("MASTER_PORT")
      ->check(CLI::Range(1, 65535))
      ->group(group);
  app.add_option("--dist-backend", o.backend,
                 "Collectives: auto (NCCL when training on CUDA, Gloo on the CPU), gloo, nccl")
      ->check(CLI::IsMember({"auto", "gloo", "nccl"}))
      ->group(group);
  app.add_option("--dist-timeout", o.timeout_seconds,
                 "Seconds a rank waits for the others (to join, or in a collective) before the run fails with a "
                 "message naming the cause; a rank that dies is noticed at once")
      ->check(CLI::Range(1, 86400))
      ->group(group);
  if (const char *agent = std::getenv("TORCHELASTIC_USE_AGENT_STORE"))
    o.agent_store = std::string(agent) == "True" || std::string(agent) == "1";
}

void validate(const DistributedOptions &o) {
  if (!o.enabled()) return;
  const std::string world = "WORLD_SIZE is " + std::to_string(o.world_size);
  if (o.rank >= o.world_size)
    throw std::invalid_argument("RANK " + std::to_string(o.rank) + " is outside the world: " + world +
                                ", so ranks run from 0 to " + std::to_string(o.world_size - 1));
  if (o.master_addr.empty())
    throw std::invalid_argument(world + " but MASTER_ADDR is not set: launch with torchrun, or set MASTER_ADDR and "
                                "MASTER_PORT (or --master-addr, --master-port) to rank 0's host and a free port");
  if (o.master_port == 0)
    throw std::invalid_argument(world + " but MASTER_PORT is not set: launch with torchrun, or set MASTER_PORT (or "
                                "--master-port) to a free port on rank 0's host");
}

c10::Device rank_device(const std::string &device_option, const DistributedOptions &o) {
  if (!o.enabled() || (device_option != "auto" && device_option != "cuda")) return resolve_device(device_option);
  const int gpus = cuda_device_count();
  if (gpus == 0) return resolve_device(device_option);  // auto: the CPU; cuda: why not
  const int index = o.local_rank >= 0 ? o.local_rank : o.rank % gpus;
  if (index >= gpus)
    throw DeviceError("LOCAL_RANK " + std::to_string(index) + " trains on cuda:" + std::to_string(index) +
                      ", but this machine has " + std::to_string(gpus) +
                      " GPUs: start at most that many ranks per machine (torchrun --nproc_per_node)");
  return resolve_device("cuda:" + std::to_string(index));
}

struct DataParallel::Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<Collectives> collectives;
};

DataParallel::DataParallel(const DistributedOptions &options, c10::Device device)
    : options_(options), device_(device), group_(std::make_unique<Group>()) {
  validate(options_);
  backend_ = options_.backend == "auto" ? (device.is_cuda() ? "nccl" : "gloo") : options_.backend;
  if (backend_ == "nccl" && !device.is_cuda())
    throw std::invalid_argument("--dist-backend nccl needs CUDA devices, and this rank trains on " + device.str() +
                                ": use --dist-backend gloo (or auto)");
  const auto timeout = std::chrono::milliseconds(int64_t(options_.timeout_seconds) * 1000);

  c10d::TCPStoreOptions store_options;
  store_options.port = static_cast<uint16_t>(options_.master_port);
  store_options.isServer = options_.rank == 0 && !options_.agent_store;
  store_options.numWorkers = options_.world_size;
  store_options.waitWorkers = false;
  store_options.timeout = timeout;
  try {
    group_->store = c10::make_intrusive<c10d::PrefixStore>(
        "gncyclegan", c10::make_intrusive<c10d::TCPStore>(options_.master_addr, store_options));
  } catch (const std::exception &error) {
    if (store_options.isServer)
      throw ProcessGroupError("rank 0 cannot serve the rendezvous at " + endpoint(options_) +
                              " (is the port in use? choose another MASTER_PORT): " + first_line(error.what()));
    throw ProcessGroupError("rank " + std::to_string(options_.rank) + " cannot reach the rendezvous at " +
                            endpoint(options_) + " within " + std::to_string(options_.timeout_seconds) +
                            " s (is rank 0 running, and MASTER_ADDR right?): " + first_line(error.what()));
  }
  // Who is who, so that a rank that loses a peer can name it; read back at
  // once, which also proves the store answers (another release's torchrun
  // serves a store this LibTorch may not speak to).
  const std::string me = host_name() + " " + std::to_string(getpid());
  const std::string key = "member/" + std::to_string(options_.rank);
  try {
    group_->store->set(key, std::vector<uint8_t>(me.begin(), me.end()));
    group_->store->setTimeout(std::chrono::seconds(10));
    group_->store->get(key);
    group_->store->setTimeout(timeout);
  } catch (const std::exception &error) {
    throw ProcessGroupError(
        "rank " + std::to_string(options_.rank) + ": the rendezvous store at " + endpoint(options_) +
        " does not answer" +
        (options_.agent_store ? " (torchrun serves it here: use the torchrun of the PyTorch release whose LibTorch "
                                "this trainer was built with, " TORCH_VERSION ", e.g. Debian's /usr/bin/torchrun "
                                "for a build against Debian's libtorch)"
                              : "") +
        ": " + first_line(error.what()));
  }

  try {
    if (backend_ == "gloo") {
#ifdef USE_C10D_GLOO
      auto gloo = c10d::ProcessGroupGloo::Options::create(timeout);
      const char *interface = std::getenv("GLOO_SOCKET_IFNAME");
      gloo->devices.push_back(interface && *interface
                                  ? c10d::ProcessGroupGloo::createDeviceForInterface(interface)
                                  : c10d::ProcessGroupGloo::createDefaultDevice());
      gloo->threads = 2;
      group_->collectives =
          c10::make_intrusive<c10d::ProcessGroupGloo>(group_->store, options_.rank, options_.world_size, gloo);
#else
      throw std::invalid_argument("this build has no Gloo process group (build with libgloo-dev installed)");
#endif
    } else {
#ifdef USE_C10D_NCCL
      auto nccl = c10d::ProcessGroupNCCL::Options::create();
      nccl->timeout = timeout;
      group_->collectives =
          c10::make_intrusive<c10d::ProcessGroupNCCL>(group_->store, options_.rank, options_.world_size, nccl);
#else
      throw std::invalid_argument(
          "this build has no NCCL process group (build against a CUDA LibTorch, scripts/build-cuda.sh; or use "
          "--dist-backend gloo)");
#endif
    }
  } catch (const std::invalid_argument &) {
    throw;
  } catch (const std::exception &error) {
    throw ProcessGroupError("rank " + std::to_string(options_.rank) + " could not form the " + backend_ +
                            " process group of " + std::to_string(options_.world_size) + " ranks within " +
                            std::to_string(options_.timeout_seconds) + " s (did every rank start?): " +
                            first_line(error.what()));
  }
}

DataParallel::~DataParallel() = default;

template <typename Operation>
void DataParallel::guarded(const char *what, Operation &&operation) {
  try {
    operation();
  } catch (const std::exception &error) {
    lost(what, error.what());
  }
}

void DataParallel::lost(const char *what, const std::string &reason) {
  // Peers on this machine that no longer exist are the ones lost; a peer
  // elsewhere (or all of them, when rank 0's store went with rank 0) can only
  // be reported as unreachable.
  const std::string here = host_name();
  try {
    group_->store->setTimeout(std::chrono::seconds(5));  // a hung rank 0 serves no answer
  } catch (const std::exception &) {
  }
  std::vector<std::pair<int, pid_t>> neighbours;  // the peers on this machine
  for (int r = 0; r < options_.world_size; ++r) {
    if (r == options_.rank) continue;
    std::string member;
    try {
      const auto bytes = group_->store->get("member/" + std::to_string(r));
      member.assign(bytes.begin(), bytes.end());
    } catch (const std::exception &) {
      continue;  // the store is gone: rank 0 is
    }
    std::istringstream fields(member);
    std::string host;
    pid_t pid = 0;
    fields >> host >> pid;
    if (host == here && pid > 0) neighbours.emplace_back(r, pid);
  }
  const bool timed_out = reason.find("imed out") != std::string::npos || reason.find("imeout") != std::string::npos;
  // A dying process closes its sockets before it has ended: give it a moment.
  std::string who;
  for (int attempt = 0; who.empty() && attempt < (timed_out ? 1 : 40); ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (const auto &[r, pid] : neighbours)
      if (process_ended(pid))
        who += (who.empty() ? "" : ", ") + ("rank " + std::to_string(r) + " (pid " + std::to_string(pid) +
                                             ", which has exited)");
  }
  if (who.empty()) who = options_.rank == 0 ? "a peer rank" : "rank 0 or another peer";
  throw ProcessGroupError("rank " + std::to_string(options_.rank) + " lost " + who + " during " + what +
                          (timed_out ? " (no answer within --dist-timeout " + std::to_string(options_.timeout_seconds) +
                                           " s: a rank hung or is far slower)"
                                     : "") +
                          ": " + first_line(reason));
}

void DataParallel::exchange(const char *what, const std::vector<torch::Tensor> &tensors, bool average) {
  // Flattened buckets of one dtype: a few large messages, all in flight at
  // once, instead of one round trip per tensor.
  std::vector<std::vector<torch::Tensor>> buckets;
  int64_t bytes = kBucketBytes;
  for (const auto &tensor : tensors) {
    const int64_t size = tensor.numel() * static_cast<int64_t>(tensor.element_size());
    if (buckets.empty() || bytes + size > kBucketBytes || buckets.back().front().scalar_type() != tensor.scalar_type()) {
      buckets.emplace_back();
      bytes = 0;
    }
    buckets.back().push_back(tensor.detach());
    bytes += size;
  }
  guarded(what, [&] {
    std::vector<std::vector<at::Tensor>> flat(buckets.size());
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    for (size_t b = 0; b < buckets.size(); ++b) {
      std::vector<torch::Tensor> pieces;
      for (const auto &tensor : buckets[b]) pieces.push_back(tensor.reshape({-1}));
      flat[b] = {torch::cat(pieces)};
      c10d::BroadcastOptions from_rank_0;
      from_rank_0.rootRank = 0;
      works.push_back(average ? group_->collectives->allreduce(flat[b])
                              : group_->collectives->broadcast(flat[b], from_rank_0));
    }
    for (size_t b = 0; b < buckets.size(); ++b) {
      works[b]->wait();
      if (average) flat[b][0].div_(options_.world_size);
      int64_t offset = 0;
      for (auto &tensor : buckets[b]) {
        tensor.copy_(flat[b][0].narrow(0, offset, tensor.numel()).view_as(tensor));
        offset += tensor.numel();
      }
    }
  });
}

void DataParallel::broadcast(const std::vector<torch::Tensor> &tensors) {
  exchange("a broadcast from rank 0", tensors, /*average=*/false);
}

void DataParallel::average_gradients(const std::vector<torch::Tensor> &parameters) {
  std::vector<torch::Tensor> gradients;
  for (const auto &parameter : parameters) {
    if (!parameter.grad().defined()) parameter.mutable_grad() = torch::zeros_like(parameter);
    gradients.push_back(parameter.grad());
  }
  exchange("the gradient all-reduce", gradients, /*average=*/true);
}

std::vector<double> DataParallel::average(const std::vector<double> &values) {
  std::vector<at::Tensor> buffer{
      torch::tensor(values, torch::TensorOptions().dtype(torch::kFloat64)).to(device_)};
  guarded("the exchange of the step's losses", [&] { group_->collectives->allreduce(buffer)->wait(); });
  const auto sums = buffer[0].cpu();
  std::vector<double> means(values.size());
  for (size_t i = 0; i < values.size(); ++i) means[i] = sums[static_cast<int64_t>(i)].item<double>() / options_.world_size;
  return means;
}

std::vector<torch::Tensor> DataParallel::all_gather(const torch::Tensor &tensor) {
  std::vector<std::vector<at::Tensor>> outputs(1);
  for (int r = 0; r < options_.world_size; ++r) outputs[0].push_back(torch::empty_like(tensor));
  std::vector<at::Tensor> input{tensor.contiguous()};
  guarded("the gathering of the image pools", [&] { group_->collectives->allgather(outputs, input)->wait(); });
  return outputs[0];
}

}  // namespace gncyclegan::train
