// Every option of gncyclegan-train, with the paper's and the CycleGAN
// reference's defaults, and how they are read from the command line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "trainer/dataset_spec.h"

namespace CLI {
class App;
}

namespace gncyclegan::train {

enum class GanLoss { vanilla, lsgan, hinge };
enum class Scale { resize, native };

struct TrainOptions {
  // data: --visible/--infrared (one set), then these, all trained on together
  std::string visible_dir;
  std::string infrared_dir;
  std::vector<DatasetSpec> datasets;  // --dataset SPEC..., then --datasets FILE's
  std::string datasets_file;          // the manifest they came from, for the record
  int load_size = 286;
  int crop_size = 256;
  bool flip = true;
  Scale scale = Scale::resize;
  int workers = 2;
  int target_crops = 1;  // aligned pairs: the richest in hot targets of this many random crop windows
  double scale_jitter = 1.0;     // each item's images scaled by a factor log-uniform in [1/F, F] before the crop
  double exposure_jitter = 0.0;  // each visible crop multiplied by exp(u), u uniform in [-E, E]
  double paired_weight = 0.0;       // L1 on aligned pairs
  double paired_ssim_weight = 0.0;  // 1 - SSIM on aligned pairs
  double paired_gradient_weight = 0.0;  // L1 on Sobel gradients of aligned pairs
  double paired_edge_energy_weight = 0.0;  // |edge energy of G_A(x) - of its infrared|
  int paired_edge_energy_window = 0;  // tile size of that comparison in pixels; 0 = whole image
  bool paired_edge_energy_per_direction = false;  // compare |gx| and |gy| energies each, not the magnitude
  double paired_feature_matching_weight = 0.0;  // L1 between D_A's hidden activations on G_A(x) and its infrared
  double paired_target_weight = 0.0;  // L1 on the real infrared's hot targets (trainer/hot_target_loss.h)
  double paired_target_contrast_weight = 0.0;  // |their contrast with their ring - the real one's|
  double temporal_weight = 0.0;  // |G(W(x)) - W(G(x))| for small random camera motions W
  std::string distill_from;       // a teacher generator's weights (trainer/distillation.h)
  double distill_weight = 0.0;    // L1 between G_A(x) and the teacher's output on x
  double distill_ssim_weight = 0.0;  // 1 - SSIM between them
  bool distill_off_targets = false;  // both only off the aligned infrared's hot targets
  int distill_row_notch = 0;  // rows repeating every P pixels taken out of the teacher's output; 0 = off
  // model
  std::string generator = "resnet_9blocks_cbam";
  bool train_head = false;  // only a hot generator's head, over its frozen base (trainer/hot_head_loss.h)
  int head_width = 32;      // a hot generator's head width (model/hot_target_head.h)
  double head_gate_positive_weight = 2.0;  // --train-head: the gate's BCE weight on target pixels (kGatePositiveWeight)
  double head_gate_ring_weight = 1.0;      // --train-head: ... on the ring around them
  double head_contrast_weight = 0.0;  // --train-head: |target contrast of the output - of the infrared|
  std::string head_base;    // --train-head: the frozen base, in place of the --init-generator hot file's
  int ngf = 64;
  int ndf = 64;
  bool gradient_normalization = true;
  std::string discriminator_norm = "instance";
  // loss
  GanLoss gan_loss = GanLoss::vanilla;
  double lambda_cycle = 10.0;
  double lambda_identity = 0.5;
  // schedule
  int d_steps = 1;
  double lr = 2e-4;
  double beta1 = 0.5;
  double beta2 = 0.999;
  int epochs = 100;
  int epochs_decay = 100;
  int batch_size = 1;
  int pool_size = 50;
  int64_t max_steps = 0;  // 0 = until the schedule ends
  // run
  std::string device = "auto";
  int threads = 0;
  std::string precision = "fp32";  // or bf16: the step's forward passes under autocast
  uint64_t seed = 0;
  std::string out_dir;
  std::string resume_dir;
  std::string init_generator;  // start G_A from these weights (fine-tuning)
  std::vector<int> init_trunk_blocks;  // a deeper --init-generator's residual blocks that become G_A's trunk
  std::string export_path;
  int save_every = 5;  // epochs
  int log_every = 30;  // seconds between plain progress lines
  int samples = 4;     // rows in the sample grids

  // Whether any loss compares aligned pairs, so images are paired by name.
  bool paired() const {
    return train_head || paired_weight > 0 || paired_ssim_weight > 0 || paired_gradient_weight > 0 ||
           paired_edge_energy_weight > 0 || paired_feature_matching_weight > 0 || paired_target_weight > 0 ||
           paired_target_contrast_weight > 0;
  }
  bool distilled() const { return distill_weight > 0 || distill_ssim_weight > 0; }
};

// Registers every training option on `app`, bound to `options`.
void add_train_options(CLI::App &app, TrainOptions &options);
// Checks combinations a flag alone cannot; throws std::invalid_argument.
void validate(const TrainOptions &options);
// The sets a run trains on: --visible/--infrared when given (named by
// default_set_name), then options.datasets.
std::vector<DatasetSpec> training_sets(const TrainOptions &options);

std::string to_string(GanLoss loss);
std::string to_string(Scale scale);
nlohmann::json to_json(const TrainOptions &options);
TrainOptions options_from_json(const nlohmann::json &json);

}  // namespace gncyclegan::train
