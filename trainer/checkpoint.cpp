#include "trainer/checkpoint.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/serialize.h>

#include "model/weights.h"
#include "trainer/atomic_file.h"

namespace gncyclegan::train {
namespace {

namespace fs = std::filesystem;

constexpr const char *kPrefix = "step_";

std::string step_name(int64_t step) {
  char name[32];
  std::snprintf(name, sizeof name, "%s%08lld", kPrefix, static_cast<long long>(step));
  return name;
}

// Rank 0's pools under their names of single-process runs, rank r's under "rank<r>.".
std::string pool_prefix(int rank) { return rank == 0 ? "" : "rank" + std::to_string(rank) + "."; }

void save_pools(const std::string &path, CycleGan &model, const std::vector<RankPools> &other_ranks) {
  std::map<std::string, torch::Tensor> tensors;
  const char *names[] = {"pool_A", "pool_B"};
  auto add = [&](int rank, const std::vector<torch::Tensor> *pools[2]) {
    for (int p = 0; p < 2; ++p)
      for (size_t i = 0; i < pools[p]->size(); ++i)
        tensors[pool_prefix(rank) + names[p] + "." + std::to_string(i)] = (*pools[p])[i];
  };
  const std::vector<torch::Tensor> *own[] = {&model.pool_A().images(), &model.pool_B().images()};
  add(0, own);
  for (size_t r = 0; r < other_ranks.size(); ++r) {
    const std::vector<torch::Tensor> *theirs[] = {&other_ranks[r].pool_A, &other_ranks[r].pool_B};
    add(static_cast<int>(r) + 1, theirs);
  }
  write_weights(path, tensors, {{"role", "image-pools"}});
}

void load_pools(const std::string &path, CycleGan &model, int rank) {
  auto file = read_weights(path);
  ImagePool *pools[] = {&model.pool_A(), &model.pool_B()};
  const char *names[] = {"pool_A", "pool_B"};
  for (int p = 0; p < 2; ++p) {
    std::vector<torch::Tensor> images;
    for (size_t i = 0;; ++i) {
      auto it = file.tensors.find(pool_prefix(rank) + names[p] + "." + std::to_string(i));
      if (it == file.tensors.end()) break;
      images.push_back(it->second.to(model.device()));
    }
    pools[p]->restore(std::move(images));
  }
}

}  // namespace

std::string save_checkpoint(const std::string &run_dir, CycleGan &model, const TrainingPosition &position,
                            int keep, const std::vector<RankPools> &other_ranks) {
  const fs::path root = fs::path(run_dir) / "checkpoints";
  const fs::path final_dir = root / step_name(position.step);
  const fs::path temporary = root / ("." + step_name(position.step) + ".partial");
  std::error_code error;
  fs::create_directories(root, error);
  fs::remove_all(temporary, error);
  if (!fs::create_directories(temporary, error))
    throw CheckpointError("cannot create " + temporary.string() + ": " + error.message());
  try {
    save_generator((temporary / "G_A.safetensors").string(), model.G_A());
    save_generator((temporary / "G_B.safetensors").string(), model.G_B());
    save_discriminator((temporary / "D_A.safetensors").string(), model.D_A());
    save_discriminator((temporary / "D_B.safetensors").string(), model.D_B());
    save_pools((temporary / "pools.safetensors").string(), model, other_ranks);
    torch::save(model.optimizer_G(), (temporary / "optimizer_G.pt").string());
    torch::save(model.optimizer_D(), (temporary / "optimizer_D.pt").string());
    nlohmann::json state{{"step", position.step}, {"seconds", position.seconds}};
    if (model.scaler().enabled())
      state["grad_scaler"] = {{"scale", model.scaler().state().scale}, {"clean_steps", model.scaler().state().clean_steps}};
    write_file_atomically((temporary / "state.json").string(), state.dump(2) + "\n");
  } catch (const std::exception &failure) {
    fs::remove_all(temporary, error);
    throw CheckpointError(std::string("cannot write the checkpoint: ") + failure.what());
  }
  fs::remove_all(final_dir, error);
  fs::rename(temporary, final_dir, error);
  if (error) throw CheckpointError("cannot rename " + temporary.string() + ": " + error.message());
  try {
    write_file_atomically((root / "latest").string(), step_name(position.step) + "\n");
  } catch (const std::runtime_error &failure) {
    throw CheckpointError(failure.what());
  }

  // Keep the newest `keep`: older ones only cost disk.
  std::vector<fs::path> existing;
  for (const auto &entry : fs::directory_iterator(root, error))
    if (entry.is_directory() && entry.path().filename().string().rfind(kPrefix, 0) == 0) existing.push_back(entry.path());
  std::sort(existing.begin(), existing.end());
  for (size_t i = 0; i + keep < existing.size(); ++i) fs::remove_all(existing[i], error);
  return final_dir.string();
}

std::string latest_checkpoint(const std::string &run_dir) {
  const fs::path root = fs::path(run_dir) / "checkpoints";
  std::ifstream in(root / "latest");
  std::string name;
  if (!(in >> name) || !fs::is_directory(root / name))
    throw CheckpointError(run_dir + " has no checkpoint to resume from (no " + (root / "latest").string() + ")");
  return (root / name).string();
}

TrainingPosition load_checkpoint(const std::string &checkpoint_dir, CycleGan &model, int rank) {
  const fs::path dir = checkpoint_dir;
  try {
    load_module_tensors(model.G_A(), read_weights((dir / "G_A.safetensors").string()).tensors, checkpoint_dir + "/G_A");
    load_module_tensors(model.G_B(), read_weights((dir / "G_B.safetensors").string()).tensors, checkpoint_dir + "/G_B");
    load_module_tensors(model.D_A(), read_weights((dir / "D_A.safetensors").string()).tensors, checkpoint_dir + "/D_A");
    load_module_tensors(model.D_B(), read_weights((dir / "D_B.safetensors").string()).tensors, checkpoint_dir + "/D_B");
    load_pools((dir / "pools.safetensors").string(), model, rank);
    torch::load(model.optimizer_G(), (dir / "optimizer_G.pt").string(), model.device());
    torch::load(model.optimizer_D(), (dir / "optimizer_D.pt").string(), model.device());
    std::ifstream in(dir / "state.json");
    auto state = nlohmann::json::parse(in);
    if (model.scaler().enabled() && state.contains("grad_scaler"))
      model.scaler() = GradScaler(true, {state["grad_scaler"].at("scale").get<double>(),
                                         state["grad_scaler"].at("clean_steps").get<int64_t>()});
    return {state.at("step").get<int64_t>(), state.at("seconds").get<double>()};
  } catch (const std::exception &failure) {
    throw CheckpointError("cannot resume from " + checkpoint_dir + ": " + failure.what());
  }
}

}  // namespace gncyclegan::train
