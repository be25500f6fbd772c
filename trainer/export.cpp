#include "trainer/export.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "model/weights.h"
#include "trainer/checkpoint.h"
#include "trainer/hot_head_loss.h"

namespace gncyclegan::train {
namespace {

namespace fs = std::filesystem;

std::string decimal(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

}  // namespace

Metadata provenance(const TrainOptions &o, const RunFacts &facts) {
  Metadata metadata{
      {"trainer", "gncyclegan-train"},
      {"training_visible_images", std::to_string(facts.visible_images)},
      {"training_infrared_images", std::to_string(facts.infrared_images)},
      {"steps", std::to_string(facts.steps)},
      {"epochs", decimal(static_cast<double>(facts.steps) / static_cast<double>(facts.steps_per_epoch))},
      {"scale", to_string(o.scale)},
      {"load_size", std::to_string(o.load_size)},
      {"crop_size", std::to_string(o.crop_size)},
      {"target_crops", std::to_string(o.target_crops)},
      {"batch_size", std::to_string(o.batch_size)},
      {"precision", o.precision},
      {"seed", std::to_string(o.seed)}};
  if (o.scale_jitter != 1.0) metadata["scale_jitter"] = decimal(o.scale_jitter);
  if (o.exposure_jitter != 0.0) metadata["exposure_jitter"] = decimal(o.exposure_jitter);
  if (o.train_head) {
    // The head's losses are fixed (trainer/hot_head_loss.h); the base's own
    // record travels along under base_*, so the file still says how all of it was made.
    metadata["train_head"] = "true";
    metadata["lr"] = decimal(o.lr);
    metadata["beta1"] = decimal(o.beta1);
    metadata["epochs_schedule"] = std::to_string(o.epochs) + "+" + std::to_string(o.epochs_decay);
    if (o.head_gate_positive_weight != kGatePositiveWeight)
      metadata["head_gate_positive_weight"] = decimal(o.head_gate_positive_weight);
    if (o.head_gate_ring_weight != 1.0) metadata["head_gate_ring_weight"] = decimal(o.head_gate_ring_weight);
    if (o.head_contrast_weight > 0) metadata["head_contrast_weight"] = decimal(o.head_contrast_weight);
    const std::string &base_file = o.head_base.empty() ? o.init_generator : o.head_base;
    metadata["base_file"] = fs::path(base_file).filename().string();
    try {
      // A hot_ file to train on carries its base's base_* keys and its own
      // (the head's earlier stage), which become init_*; under --head-base
      // the base's record is that file's instead.
      const Metadata init = read_weights(o.init_generator).metadata;
      const auto architecture = init.find("architecture");
      const bool hot = architecture != init.end() && architecture->second.rfind("hot_", 0) == 0;
      const Metadata base = o.head_base.empty() ? Metadata{} : read_weights(o.head_base).metadata;
      for (const auto &[key, value] : init) {
        if (key == "format" || key == "role") continue;
        const bool base_key = key.rfind("base_", 0) == 0;
        if (!hot) metadata["base_" + key] = value;
        else if (!base_key) metadata["init_" + key] = value;
        else if (o.head_base.empty()) metadata[key] = value;
      }
      for (const auto &[key, value] : base)
        if (key != "format" && key != "role") metadata["base_" + key] = value;
    } catch (const WeightsError &) {
      // Exported where the base file is not: its name is what is left.
    }
  } else {
    const Metadata cyclegan{
        {"gradient_normalization", o.gradient_normalization ? "on" : "off"},
        {"gan_loss", to_string(o.gan_loss)},
        {"lambda_cycle", decimal(o.lambda_cycle)},
        {"lambda_identity", decimal(o.lambda_identity)},
        {"paired_weight", decimal(o.paired_weight)},
        {"paired_ssim_weight", decimal(o.paired_ssim_weight)},
        {"paired_gradient_weight", decimal(o.paired_gradient_weight)},
        {"paired_edge_energy_weight", decimal(o.paired_edge_energy_weight)},
        {"paired_edge_energy_window", std::to_string(o.paired_edge_energy_window)},
        {"paired_edge_energy_per_direction", o.paired_edge_energy_per_direction ? "true" : "false"},
        {"paired_feature_matching_weight", decimal(o.paired_feature_matching_weight)},
        {"paired_target_weight", decimal(o.paired_target_weight)},
        {"paired_target_contrast_weight", decimal(o.paired_target_contrast_weight)},
        {"temporal_weight", decimal(o.temporal_weight)},
        {"distill_weight", decimal(o.distill_weight)},
        {"distill_ssim_weight", decimal(o.distill_ssim_weight)},
        {"distill_off_targets", o.distill_off_targets ? "true" : "false"},
        {"distill_row_notch", std::to_string(o.distill_row_notch)},
        {"d_steps", std::to_string(o.d_steps)},
        {"discriminator_norm", o.discriminator_norm}};
    metadata.insert(cyclegan.begin(), cyclegan.end());
  }
  if (facts.sets.size() <= 1) {
    const bool recorded = facts.sets.size() == 1;
    metadata["training_visible_dir"] = recorded ? facts.sets[0].spec.visible_dir : o.visible_dir;
    metadata["training_infrared_dir"] = recorded ? facts.sets[0].spec.infrared_dir : o.infrared_dir;
  }
  if (!facts.sets.empty()) metadata["training_sets"] = nlohmann::json(facts.sets).dump();
  if (!o.distill_from.empty()) metadata["distill_from"] = o.distill_from;
  if (facts.world_size > 1) metadata["world_size"] = std::to_string(facts.world_size);  // batch_size is per rank
  return metadata;
}

std::string export_checkpoint(const std::string &checkpoint_or_run, const std::string &path,
                              const Metadata &extra, Storage storage) {
  if (fs::is_regular_file(checkpoint_or_run)) {  // a weights file: copy it, metadata and all, adding `extra`
    auto weights = load_generator(checkpoint_or_run);
    Metadata metadata = weights.metadata;
    for (const auto &[key, value] : extra) metadata[key] = value;
    save_generator(path, *weights.generator, metadata, storage);
    return weights.generator->config().architecture() + " from " + checkpoint_or_run;
  }
  std::string checkpoint = checkpoint_or_run;
  if (fs::exists(fs::path(checkpoint_or_run) / "checkpoints")) checkpoint = latest_checkpoint(checkpoint_or_run);
  if (!fs::exists(fs::path(checkpoint) / "G_A.safetensors"))
    throw CheckpointError(checkpoint_or_run + " is neither a checkpoint directory, a run directory nor a weights file");
  auto generator = load_generator((fs::path(checkpoint) / "G_A.safetensors").string());

  // The run's options and the checkpoint's step, when the run directory is there.
  Metadata metadata;
  const fs::path run = fs::path(checkpoint).parent_path().parent_path();
  std::ifstream config_file(run / "config.json"), state_file(fs::path(checkpoint) / "state.json");
  if (config_file && state_file) {
    auto config = nlohmann::json::parse(config_file, nullptr, false);
    auto state = nlohmann::json::parse(state_file, nullptr, false);
    if (!config.is_discarded() && !state.is_discarded() && config.contains("options")) {
      RunFacts facts;
      facts.visible_images = config["data"].value("visible_images", 0);
      facts.infrared_images = config["data"].value("infrared_images", 0);
      facts.steps_per_epoch = std::max<int64_t>(1, config["data"].value("steps_per_epoch", 1));
      facts.steps = state.value("step", 0);
      facts.sets = config["data"].value("sets", std::vector<SetRecord>{});
      metadata = provenance(options_from_json(config["options"]), facts);
    }
  }
  for (const auto &[key, value] : extra) metadata[key] = value;
  save_generator(path, *generator.generator, metadata, storage);
  return generator.generator->config().architecture() + " from " + checkpoint;
}

}  // namespace gncyclegan::train
