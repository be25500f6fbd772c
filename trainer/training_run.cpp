#include "trainer/training_run.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/core/version.hpp>
#include <torch/version.h>

#include "model/any_size.h"
#include "model/device.h"
#include "model/hot_composite_generator.h"
#include "model/trunk_blocks.h"
#include "model/weights.h"
#include "trainer/atomic_file.h"
#include "trainer/checkpoint.h"
#include "trainer/dataset.h"
#include "trainer/export.h"
#include "trainer/image_io.h"
#include "trainer/loss_log.h"
#include "trainer/plots.h"
#include "trainer/prefetcher.h"
#include "trainer/progress.h"
#include "trainer/schedule.h"

namespace gncyclegan::train {
namespace {

namespace fs = std::filesystem;

std::atomic<int> stop_signal{0};

// The first SIGINT/SIGTERM asks for a clean stop after the current step; a
// second one, while that is under way, ends the process at once.
void on_stop_signal(int signal) {
  if (stop_signal != 0) {
    std::signal(signal, SIG_DFL);
    std::raise(signal);
  }
  stop_signal = signal;
}

// Restores the previous handlers when the run ends.
class StopSignals {
 public:
  StopSignals() {
    stop_signal = 0;
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous_int_);
    sigaction(SIGTERM, &action, &previous_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &previous_int_, nullptr);
    sigaction(SIGTERM, &previous_term_, nullptr);
  }

 private:
  struct sigaction previous_int_ {}, previous_term_ {};
};

std::vector<double> values_of(const StepLosses &l) {
  return {l.D_A,    l.D_B,   l.G_A,      l.G_B,     l.cycle_A, l.cycle_B, l.idt_A,
          l.idt_B, l.paired, l.temporal, l.distill, l.gate,    l.value};
}

bool finite(const StepLosses &l) {
  for (double value : values_of(l))
    if (!std::isfinite(value)) return false;
  return true;
}

void prepare_out_dir(const TrainOptions &options) {
  const fs::path out = options.out_dir;
  std::error_code error;
  fs::create_directories(out / "samples", error);
  if (error) throw std::runtime_error("cannot create the run directory --out " + options.out_dir + ": " + error.message());
  const fs::path probe = out / ".writable";
  if (!std::ofstream(probe)) throw std::runtime_error("cannot write into --out " + options.out_dir);
  fs::remove(probe, error);
  if (options.resume_dir.empty() && fs::exists(out / "checkpoints" / "latest"))
    throw std::runtime_error("--out " + options.out_dir +
                             " already holds a run: continue it with --resume " + options.out_dir +
                             ", or choose another --out");
}

// Copies a weights file's generator into `generator`, which must be of the same
// architecture (fine-tuning), or into a hot generator's base when the file
// holds the base's architecture (a head to train over it).
// G_A from --init-generator: a whole generator of its architecture, or a
// base under a hot generator's fresh head; --head-base then swaps the base
// under a hot file's trained head.
void start_from(Generator &generator, const TrainOptions &options) {
  const std::string &path = options.init_generator;
  const auto &have = generator.config();
  auto is_base = [&have](const GeneratorConfig &given) {
    return have.family == GeneratorFamily::hot && given.architecture() == have.base->architecture() &&
           given.ngf == have.ngf;
  };
  auto load_base = [&generator](const Generator &from, const std::string &what) {
    auto &base = *static_cast<HotCompositeGenerator &>(generator).base;
    load_module_tensors(base, module_tensors(from), what);
  };
  const auto loaded = load_generator(path);
  const auto &given = loaded.generator->config();
  if (is_base(given)) {
    if (!options.head_base.empty())
      throw WeightsError("--init-generator " + path + " is a base, and --head-base names another: give the base "
                         "once (--head-base moves a hot_ file's trained head onto a base)");
    load_base(*loaded.generator, "--init-generator " + path);
    return;
  }
  if (same_design_deeper(given, have)) {
    const auto kept = options.init_trunk_blocks.empty() ? evenly_spaced_blocks(given.n_blocks, have.n_blocks)
                                                        : options.init_trunk_blocks;
    if (static_cast<int>(kept.size()) != have.n_blocks)
      throw WeightsError("--init-trunk-blocks names " + std::to_string(kept.size()) + " blocks, and " +
                         have.architecture() + " has " + std::to_string(have.n_blocks));
    std::string list;
    for (int block : kept) list += (list.empty() ? "" : ",") + std::to_string(block);
    try {
      load_module_tensors(generator, keep_trunk_blocks(module_tensors(*loaded.generator), given, kept),
                          "--init-generator " + path);
    } catch (const std::invalid_argument &e) {
      throw WeightsError(std::string("--init-trunk-blocks: ") + e.what());
    }
    std::fprintf(stderr, "G_A's trunk is blocks %s of %s's %d\n", list.c_str(), given.architecture().c_str(),
                 given.n_blocks);
    return;
  }
  if (!options.init_trunk_blocks.empty())
    throw WeightsError("--init-trunk-blocks takes blocks of a deeper generator, and --init-generator " + path +
                       " holds a " + given.architecture() + " (ngf " + std::to_string(given.ngf) +
                       ") for this run's " + have.architecture() + " (ngf " + std::to_string(have.ngf) + ")");
  if (given.architecture() != have.architecture() || given.ngf != have.ngf ||
      given.in_channels != have.in_channels || given.out_channels != have.out_channels)
    throw WeightsError("--init-generator " + path + " holds a " + given.architecture() + " (ngf " +
                       std::to_string(given.ngf) + "), but this run trains a " + have.architecture() + " (ngf " +
                       std::to_string(have.ngf) + "): set --generator and --ngf to match");
  load_module_tensors(generator, module_tensors(*loaded.generator), "--init-generator " + path);
  if (options.head_base.empty()) return;
  const auto base = load_generator(options.head_base);
  const auto &base_config = base.generator->config();
  if (!is_base(base_config))
    throw WeightsError("--head-base " + options.head_base + " holds a " + base_config.architecture() + " (ngf " +
                       std::to_string(base_config.ngf) + "), but the head of " + have.architecture() +
                       " goes over a " + have.base->architecture() + " (ngf " + std::to_string(have.ngf) + ")");
  load_base(*base.generator, "--head-base " + options.head_base);
}

StepLosses losses_of(const std::vector<double> &v) {
  return {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12]};
}

// The other ranks' image pools, for rank 0's checkpoint: every rank's pools
// fill alike (one batch size), so each travels as one tensor.
std::vector<RankPools> gather_pools(DataParallel *parallel, CycleGan &model) {
  if (parallel == nullptr) return {};
  std::vector<RankPools> others(parallel->world_size() - 1);
  auto gather = [&](const ImagePool &pool, std::vector<torch::Tensor> RankPools::*member) {
    if (pool.images().empty()) return;
    const auto all = parallel->all_gather(torch::stack(pool.images()));
    for (size_t r = 1; r < all.size(); ++r) others[r - 1].*member = all[r].unbind(0);
  };
  gather(model.pool_A(), &RankPools::pool_A);
  gather(model.pool_B(), &RankPools::pool_B);
  return others;
}

}  // namespace

int run_training(const TrainOptions &options, const DistributedOptions &distributed) {
  validate(options);
  validate(distributed);
  set_cpu_threads(options.threads);
  const c10::Device device = rank_device(options.device, distributed);
  // The loader threads are the parallelism of image work; OpenCV's own pool
  // would only compete with them and with LibTorch.
  cv::setNumThreads(0);
  std::unique_ptr<DataParallel> parallel;
  if (distributed.enabled()) parallel = std::make_unique<DataParallel>(distributed, device);
  // Rank 0 writes the run (logs, pictures, checkpoints, weights); the other ranks only train.
  const bool writer = parallel == nullptr || parallel->is_main();
  const int rank = parallel ? parallel->rank() : 0;
  TrainingData data(options, parallel ? Shard{parallel->rank(), parallel->world_size()} : Shard{});
  if (writer) {
    for (const auto &warning : data.warnings()) std::fprintf(stderr, "warning: %s\n", warning.c_str());
    prepare_out_dir(options);
  }
  const fs::path out = options.out_dir;

  const int64_t steps_per_epoch = data.steps_per_epoch();
  const int64_t schedule_steps = steps_per_epoch * (options.epochs + options.epochs_decay);
  const int64_t end_step = options.max_steps > 0 && (schedule_steps == 0 || options.max_steps < schedule_steps)
                               ? options.max_steps
                               : schedule_steps;

  CycleGan model(options, device);
  TrainingPosition position;
  if (!options.resume_dir.empty()) {
    // Every rank reads the checkpoint: the optimizer states, and its own pools.
    const std::string checkpoint = latest_checkpoint(options.resume_dir);
    position = load_checkpoint(checkpoint, model, rank);
    if (writer)
      std::fprintf(stderr, "resuming %s at step %lld\n", checkpoint.c_str(), static_cast<long long>(position.step));
  } else if (!options.init_generator.empty() && writer) {
    start_from(model.G_A(), options);  // the other ranks receive it from rank 0
    std::fprintf(stderr, "G_A starts from %s\n", options.init_generator.c_str());
    if (!options.head_base.empty()) std::fprintf(stderr, "its head goes over %s\n", options.head_base.c_str());
  }
  if (parallel) model.use_data_parallel(*parallel);
  if (options.train_head) {
    // The base is frozen: its output on each training image is computed once.
    Generator &base = *static_cast<HotCompositeGenerator &>(model.G_A()).base;
    data.cache_base([&base, device](const torch::Tensor &visible) {
      torch::NoGradGuard no_grad;
      return forward_any_size(base, visible.to(device));
    });
  }

  nlohmann::json config{
      {"options", to_json(options)},
      {"versions", {{"gncycleganir", GNCYCLEGAN_VERSION}, {"libtorch", TORCH_VERSION}, {"opencv", CV_VERSION}}},
      {"device", describe_device(device)},
      {"data",
       {{"visible_images", data.visible_images()},
        {"infrared_images", data.infrared_images()},
        {"sets", data.records()},
        {"sampling", data.concatenated() ? "concatenated" : "weighted"},
        {"warnings", data.warnings()},
        {"paired", data.paired()},
        {"steps_per_epoch", steps_per_epoch},
        {"total_steps", end_step}}}};
  if (parallel)
    config["distributed"] = {{"world_size", parallel->world_size()},
                             {"backend", parallel->backend()},
                             {"images_per_step", parallel->world_size() * options.batch_size}};
  std::optional<LossLog> log;
  std::optional<Progress> progress;
  Batch fixed;
  if (writer) {
    write_file_atomically((out / "config.json").string(), config.dump(2) + "\n");
    log.emplace((out / "losses.csv").string(), position.step);
    fixed = data.fixed_batch(options.samples);
    const std::string what = options.train_head ? "the head of " + options.generator + " over its frozen base"
                                                : options.generator + (options.gradient_normalization ? " (GN on)" : " (GN off)");
    std::fprintf(stderr,
                 "training %s on %s: %lld visible, %lld infrared images, %lld steps/epoch, steps %lld..%lld\n",
                 what.c_str(),
                 describe_device(device).c_str(), static_cast<long long>(data.visible_images()),
                 static_cast<long long>(data.infrared_images()), static_cast<long long>(steps_per_epoch),
                 static_cast<long long>(position.step), static_cast<long long>(end_step));
    if (parallel)
      std::fprintf(stderr, "data parallel: %d ranks (%s), %d images per step, %d on each rank\n",
                   parallel->world_size(), parallel->backend().c_str(), parallel->world_size() * options.batch_size,
                   options.batch_size);
    if (data.sets().size() > 1) {
      double total = 0;
      for (const auto &set : data.sets()) total += set.spec.weight;
      for (const auto &set : data.sets())
        std::fprintf(stderr, "  set %s: %zu visible, %zu infrared images, %.1f%% of the draws, scale %g\n",
                     set.spec.name.c_str(), set.visible.paths.size(), set.infrared.paths.size(),
                     100 * set.spec.weight / total, set.spec.scale);
    }
    progress.emplace(position.step, end_step, options.log_every);
  }
  RunFacts facts{data.visible_images(), data.infrared_images(), position.step, steps_per_epoch, data.records(),
                 parallel ? parallel->world_size() : 1};

  StopSignals signals;
  Prefetcher prefetcher(data, position.step, end_step, options.d_steps, options.workers);
  const auto started = std::chrono::steady_clock::now();
  const double seconds_before = position.seconds;
  auto seconds_now = [&] {
    return seconds_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  auto epoch_pictures = [&](int64_t epoch) {
    if (!writer) return;
    draw_loss_curves(log->rows(), (out / "loss_curves.png").string());
    char name[32];
    std::snprintf(name, sizeof name, "epoch_%03lld.png", static_cast<long long>(epoch + 1));
    write_sample_grid(fixed, model.translate(fixed), (out / "samples" / name).string());
  };
  // Every rank takes part (the pools are gathered); rank 0 writes it.
  auto checkpoint = [&](int64_t step) {
    auto others = gather_pools(parallel.get(), model);
    return writer ? save_checkpoint(options.out_dir, model, {step, seconds_now()}, 2, others) : std::string();
  };

  StepLosses losses;
  int64_t step = position.step;
  bool stopping = stop_signal != 0;
  try {
    while (step < end_step && !stopping) {
      const int64_t epoch = step / steps_per_epoch;
      const double lr = learning_rate(options, epoch);
      model.set_learning_rate(lr);
      losses = model.step(prefetcher.next(), step);
      stopping = stop_signal != 0;
      if (parallel) {
        // The ranks' mean losses, and whether any rank was asked to stop: all stop after the same step.
        auto values = values_of(losses);
        values.push_back(stopping ? 1.0 : 0.0);
        values = parallel->average(values);
        losses = losses_of(values);
        stopping = values.back() > 0;
      }
      if (!finite(losses)) {
        if (progress) progress->interrupt();
        throw std::runtime_error("the losses stopped being finite at step " + std::to_string(step + 1) +
                                 "; the last checkpoint is intact (try a lower --lr)");
      }
      ++step;
      if (writer) {
        log->append({step, epoch, lr, losses, seconds_now()});
        progress->update(step, epoch, losses);
      }
      if (step % steps_per_epoch == 0) {
        epoch_pictures(epoch);
        if ((step / steps_per_epoch) % options.save_every == 0) checkpoint(step);
      }
    }
  } catch (const ProcessGroupError &error) {
    if (progress) progress->interrupt();
    const bool saved = fs::exists(out / "checkpoints" / "latest");
    throw ProcessGroupError(std::string(error.what()) +
                            (saved ? "\nthe run's last checkpoint is intact: once every rank can run, continue with "
                                     "--resume " + options.out_dir
                                   : "\nno checkpoint had been written yet"));
  }
  if (progress) progress->interrupt();

  const std::string saved = checkpoint(step);
  if (step % steps_per_epoch != 0) epoch_pictures(step / steps_per_epoch);
  if (stopping) {
    if (writer)
      std::fprintf(stderr, "stopped by %s after step %lld; checkpoint %s\ncontinue with: --resume %s\n",
                   stop_signal != 0 ? ("signal " + std::to_string(stop_signal.load())).c_str() : "another rank's signal",
                   static_cast<long long>(step), saved.c_str(), options.out_dir.c_str());
    return kInterrupted;
  }
  if (!writer) return kDone;

  facts.steps = step;
  const Metadata metadata = provenance(options, facts);
  const std::string weights = (out / "generator.safetensors").string();
  save_generator(weights, model.G_A(), metadata);
  if (!options.export_path.empty()) save_generator(options.export_path, model.G_A(), metadata);
  char final_losses[160];
  if (options.train_head)
    std::snprintf(final_losses, sizeof final_losses, "gate %.3f value %.3f", losses.gate, losses.value);
  else
    std::snprintf(final_losses, sizeof final_losses, "D_A %.3f D_B %.3f G_A %.3f G_B %.3f cycle_A %.3f cycle_B %.3f",
                  losses.D_A, losses.D_B, losses.G_A, losses.G_B, losses.cycle_A, losses.cycle_B);
  std::fprintf(stderr,
               "done: %lld steps in %s; final losses %s\n"
               "weights: %s%s%s\nrun: %s (losses.csv, loss_curves.png, samples/, checkpoints/)\n",
               static_cast<long long>(step), Progress::duration(seconds_now()).c_str(), final_losses, weights.c_str(),
               options.export_path.empty() ? "" : " and ", options.export_path.c_str(), options.out_dir.c_str());
  return kDone;
}

}  // namespace gncyclegan::train
