#include "trainer/options.h"

#include <map>
#include <memory>
#include <set>
#include <stdexcept>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "model/config.h"
#include "trainer/hot_head_loss.h"
#include "trainer/model_option.h"

namespace gncyclegan::train {
namespace {

const std::map<std::string, GanLoss> kGanLosses{
    {"vanilla", GanLoss::vanilla}, {"lsgan", GanLoss::lsgan}, {"hinge", GanLoss::hinge}};
const std::map<std::string, Scale> kScales{{"resize", Scale::resize}, {"native", Scale::native}};

template <typename Enum>
std::string name_of(const std::map<std::string, Enum> &names, Enum value) {
  for (const auto &[name, entry] : names)
    if (entry == value) return name;
  return "?";
}

}  // namespace

void add_train_options(CLI::App &app, TrainOptions &o) {
  // Defaults shown in --help; a repeated option takes its last value, as most tools do.
  app.option_defaults()->always_capture_default()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);

  auto *data = "Data";
  // A data-group option that cannot be negative: the loss weights (0 = off) and windows.
  auto add_data_option = [&](const char *name, auto &value, const std::string &help) {
    app.add_option(name, value, help)->check(CLI::NonNegativeNumber)->group(data);
  };
  app.add_option("--visible", o.visible_dir, "Directory of visible (RGB) training images")->group(data);
  app.add_option("--infrared", o.infrared_dir,
                 "Directory of infrared training images (single channel, 8- or 16-bit; a 16-bit image is "
                 "stretched from its own minimum..maximum to 0..1)")
      ->group(data);
  // Given again (on --resume), --dataset and --datasets replace the run's
  // sets rather than add to them, as every other option does.
  auto replaced = std::make_shared<bool>(false);
  auto replace_sets = [&o, replaced] {
    if (!*replaced) {
      o.datasets.clear();
      o.datasets_file.clear();
    }
    *replaced = true;
  };
  app.add_option_function<std::vector<std::string>>(
         "--dataset",
         [&o, replace_sets](const std::vector<std::string> &specs) {
           replace_sets();
           for (const auto &spec : specs) {
             try {
               o.datasets.push_back(parse_dataset_spec(spec));
             } catch (const std::invalid_argument &error) {
               throw CLI::ValidationError("--dataset", error.what());
             }
           }
         },
         "A training set, beside --visible/--infrared (repeatable): DIR holding visible/ and infrared/, or "
         "VISIBLE_DIR,INFRARED_DIR; then optionally :weight=W (a step draws from it with chance W / the sum of "
         "the weights; default its image count, as if the folders were one), :scale=S (resize its images by S "
         "before --scale native crops, to bring two cameras' objects to one size), :name=NAME (default DIR). "
         "E.g. data/msrs/train:weight=2:scale=0.8. A step's images come from one set; pairs match by name "
         "within it. Paths holding ':' or ',' go in --datasets")
      ->type_name("SPEC")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->group(data);
  app.add_option_function<std::string>(
         "--datasets",
         [&o, replace_sets](const std::string &path) {
           replace_sets();
           o.datasets_file = path;
           for (auto &spec : read_dataset_manifest(path)) o.datasets.push_back(spec);
         },
         "Training sets from a JSON file, after any --dataset: a list of {\"visible\": DIR, \"infrared\": DIR} "
         "or {\"dir\": DIR}, each with optional \"weight\", \"scale\", \"name\" as in --dataset; relative "
         "paths are relative to the file")
      ->type_name("FILE")
      ->group(data);
  app.add_option("--load-size", o.load_size, "Resize images to this square size before cropping (--scale resize)")
      ->check(CLI::Range(16, 8192))
      ->group(data);
  app.add_option("--crop-size", o.crop_size, "Side of the random square crop trained on")
      ->check(CLI::Range(16, 8192))
      ->group(data);
  app.add_flag("!--no-flip", o.flip, "Do not flip training crops horizontally at random (flipping is on by default)")->group(data);
  app.add_option("--scale-jitter", o.scale_jitter,
                 "Scale each training item's images (both of a pair alike) by a factor drawn log-uniformly in "
                 "[1/F, F] before cropping, so people and cars are seen at more sizes than the data's cameras give; "
                 "1 = off")
      ->check(CLI::Range(1.0, 4.0))
      ->capture_default_str()
      ->group(data);
  app.add_option("--exposure-jitter", o.exposure_jitter,
                 "Multiply each visible crop by exp(u), u drawn uniformly in [-E, E] (clipped to white), and leave "
                 "the infrared as it is: a thermal image does not depend on the light; 0 = off")
      ->check(CLI::Range(0.0, 2.0))
      ->capture_default_str()
      ->group(data);
  app.add_option("--scale", o.scale,
                 "resize: square resize to --load-size, then crop (the reference); native: crop at the images' "
                 "own resolution, so training and inference see objects at one scale (an image smaller than the "
                 "crop is enlarged just enough to cover it)")
      ->transform(CLI::CheckedTransformer(kScales).description(""))
      ->type_name("{resize,native}")
      ->group(data);
  app.add_option("--workers", o.workers, "Threads that decode and augment images ahead of the training step")
      ->check(CLI::Range(1, 64))
      ->group(data);
  add_data_option("--paired-weight", o.paired_weight,
                  "Weight of an L1 loss between G_A(visible) and its aligned infrared image (and back); needs "
                  "aligned pairs with matching file names; 0 = the paper's unpaired training");
  add_data_option("--paired-ssim-weight", o.paired_ssim_weight,
                  "Weight of a (1 - SSIM) loss between G_A(visible) and its aligned infrared image (and back), SSIM "
                  "as gncyclegan-eval scores it; pairs images like --paired-weight; 0 = off");
  add_data_option("--paired-gradient-weight", o.paired_gradient_weight,
                  "Weight of an L1 loss between the Sobel gradients (x and y, on 0..1) of G_A(visible) and of its "
                  "aligned infrared image, so edges go where real infrared has them (PSNR and SSIM reward blur); "
                  "pairs images like --paired-weight; 0 = off");

  add_data_option("--paired-edge-energy-weight", o.paired_edge_energy_weight,
                  "Weight of an edge energy loss: per image, |mean Sobel gradient magnitude (on 0..1) of "
                  "G_A(visible) - that of its aligned infrared image|, so the output carries real infrared's amount "
                  "of edges (the sharpness gncyclegan-eval reports) wherever it finds them likeliest; pairs images "
                  "like --paired-weight; 0 = off");
  add_data_option("--paired-edge-energy-window", o.paired_edge_energy_window,
                  "Compare the edge energy of --paired-edge-energy-weight tile by tile, over PX x PX tiles, so "
                  "edges come where real infrared has them rather than as stripes on flat regions; 0 = over the "
                  "whole image");
  app.add_flag("--paired-edge-energy-per-direction", o.paired_edge_energy_per_direction,
               "Compare the edge energies of --paired-edge-energy-weight across and down each (mean |Sobel x| and "
               "mean |Sobel y|) instead of their magnitude, so horizontal stripes cannot stand in for vertical "
               "edges")
      ->group(data);
  add_data_option("--paired-feature-matching-weight", o.paired_feature_matching_weight,
                  "Weight of a discriminator feature matching loss (pix2pixHD's): L1 between the infrared "
                  "discriminator's hidden activations on G_A(visible) and on its aligned infrared image, averaged "
                  "over its layers, so the output carries real infrared's kind of texture where real infrared has "
                  "it; pairs images like --paired-weight; 0 = off");
  add_data_option("--paired-target-weight", o.paired_target_weight,
                  "Weight of an L1 loss on the hot targets alone: the people, engines and lamps the aligned real "
                  "infrared image shows much warmer than their surroundings (gncyclegan-eval's rule: over 30 gray "
                  "levels above their 151-pixel median background), dilated by 2 pixels; the mean over their pixels, "
                  "so they count as much as the whole image's L1 however small they are; pairs images like "
                  "--paired-weight; 0 = off");
  add_data_option("--paired-target-contrast-weight", o.paired_target_contrast_weight,
                  "Weight of a target contrast loss: per image, |(mean of G_A(visible) on the hot targets - on the "
                  "ring around them) - the same on its aligned infrared image|, the target contrast ratio "
                  "gncyclegan-eval reports, as a loss; pairs images like --paired-weight; 0 = off");
  app.add_option("--target-crops", o.target_crops,
                 "Aligned pairs: draw this many random crop windows and train on the one holding the most hot-target "
                 "pixels of the infrared image (the rule of --paired-target-weight), so people and engines, a few "
                 "per cent of a frame, are in most crops; 1 = a plain random crop")
      ->check(CLI::Range(1, 64))
      ->capture_default_str()
      ->group(data);
  add_data_option("--temporal-weight", o.temporal_weight,
                  "Weight of an equivariance loss for video without shimmer: |G_A(W(visible)) - W(G_A(visible))| "
                  "for a random small camera motion W per step (shift up to 2 px, zoom up to 2 %, roll up to 1 "
                  "degree), needing no video data; 0 = off");

  auto *distillation = "Distillation";
  app.add_option("--distill-from", o.distill_from,
                 "A trained visible->infrared generator (a weights file or bundled model: " +
                     gncycleganir::bundled_model_names() +
                     "), any architecture, whose output on each step's visible crop G_A learns beside the real "
                     "infrared: a cheaper student learning what a larger teacher draws; needs --distill-weight or "
                     "--distill-ssim-weight")
      ->transform(model_file())
      ->group(distillation);
  app.add_option("--distill-weight", o.distill_weight,
                 "Weight of an L1 loss between G_A(visible) and --distill-from's output on it, on every step's "
                 "visible crop (paired or not); 0 = off")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(distillation);
  app.add_option("--distill-ssim-weight", o.distill_ssim_weight,
                 "Weight of a (1 - SSIM) loss between G_A(visible) and --distill-from's output on it; 0 = off")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(distillation);
  app.add_flag("--distill-off-targets", o.distill_off_targets,
               "Compare G_A with the teacher only off the aligned infrared's hot targets (dilated, as target PSNR "
               "scores them): the background learnt from the teacher, the people and engines from the real "
               "infrared's target losses alone; needs a paired loss")
      ->group(distillation);
  app.add_option("--distill-row-notch", o.distill_row_notch,
                 "Take rows repeating every P pixels out of the teacher's output before comparing (a band-stop "
                 "down each column): the horizontal stripes of a teacher with stride-2 transposed convolutions "
                 "(P = 4 for two, as resnet generators have) are then not learnt; 0 = off, else 2-32")
      ->check(CLI::IsMember({0}) | CLI::Range(2, 32))
      ->capture_default_str()
      ->group(distillation);

  auto *model = "Model";
  app.add_option("--generator", o.generator,
                 "Generator architecture: resnet_9blocks_cbam (the paper's), resnet_9blocks, resnet_6blocks, "
                 "resnet_<N>blocks[_cbam][_resizeconv] (resize + convolution upsampling, no checkerboards), unet_128, unet_256, "
                 "unshuffle<2|4|8>_<N>blocks[_cbam] (the residual trunk at 1/2, 1/4 or 1/8 of the side; ngf a multiple of 8), "
                 "hot[_half]_<a resnet or unshuffle name> (that generator with a hot-target head over it; ngf is the base's)")
      ->group(model);
  app.add_flag("--train-head", o.train_head,
               "Train only the hot-target head of a hot_ or hot_half_ --generator, over the base --init-generator "
               "holds (frozen: the output stays the base's where the gate is shut), with the head's own losses: "
               "a detector of the aligned infrared's hot targets (BCE + Dice) and a painter of their brightness "
               "(L1 on and around them). Needs aligned pairs; the CycleGAN losses and networks are not used")
      ->group(model);
  app.add_option("--head-width", o.head_width,
                 "Width of a hot generator's head (its first stage's channels; the arithmetic grows with its square)")
      ->check(CLI::Range(4, 256))
      ->group(model);
  app.add_option("--head-gate-positive-weight", o.head_gate_positive_weight,
                 "With --train-head: how much more a missed target pixel costs the gate's cross-entropy than a false "
                 "alarm (higher: the gate opens on more of the targets, and on more that are not)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str()
      ->group(model);
  app.add_option("--head-gate-ring-weight", o.head_gate_ring_weight,
                 "With --train-head: how much the gate's opening on the ring around a target (what the target "
                 "contrast is measured against) costs its cross-entropy, against an opening elsewhere (higher: a "
                 "tighter outline)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str()
      ->group(model);
  app.add_option("--head-contrast-weight", o.head_contrast_weight,
                 "With --train-head: also ask the output's hot targets to stand out from their surroundings as "
                 "much as in the infrared (|target contrast of the output - of the infrared|, the numerator of "
                 "gncyclegan-eval's target contrast ratio), through both the gate and the value; 0 = off")
      ->check(CLI::NonNegativeNumber)
      ->group(model);
  app.add_option("--head-base", o.head_base,
                 "With --train-head and a hot_ --init-generator: put its head over this base instead (a file or "
                 "bundled model of the base's architecture and --ngf), e.g. to carry a trained head onto a retrained base")
      ->transform(model_file())
      ->group(model);
  app.add_option("--ngf", o.ngf, "Generator width (filters in the first layer)")->check(CLI::Range(1, 1024))->group(model);
  app.add_option("--ndf", o.ndf, "Discriminator width")->check(CLI::Range(1, 1024))->group(model);
  app.add_flag("--gn,!--no-gn", o.gradient_normalization,
               "Gradient normalization of the discriminators (GN-CycleGAN), on by default; --no-gn gives the plain "
               "CycleGAN")
      ->group(model);
  app.add_option("--d-norm", o.discriminator_norm, "Discriminator normalisation: instance or none")
      ->check(CLI::IsMember({"instance", "none"}))
      ->group(model);

  auto *loss = "Loss";
  app.add_option("--gan-loss", o.gan_loss,
                 "Adversarial loss: vanilla (the paper's log loss, as BCE on logits), lsgan, hinge")
      ->transform(CLI::CheckedTransformer(kGanLosses).description(""))
      ->type_name("{vanilla,lsgan,hinge}")
      ->group(loss);
  app.add_option("--lambda-cycle", o.lambda_cycle, "Weight of the cycle-consistency L1 losses")
      ->check(CLI::NonNegativeNumber)
      ->group(loss);
  app.add_option("--lambda-identity", o.lambda_identity,
                 "Identity loss weight, relative to --lambda-cycle (0 = off). With 3-channel visible and "
                 "1-channel infrared, G_A gets the infrared image repeated to 3 channels and G_B the visible "
                 "image's luma")
      ->check(CLI::NonNegativeNumber)
      ->group(loss);

  auto *schedule = "Schedule";
  app.add_option("--d-steps", o.d_steps, "Discriminator updates per generator update (the paper's K)")
      ->check(CLI::Range(1, 100))
      ->group(schedule);
  app.add_option("--lr", o.lr, "Adam learning rate")->check(CLI::PositiveNumber)->group(schedule);
  app.add_option("--beta1", o.beta1, "Adam beta1")->check(CLI::Range(0.0, 1.0))->group(schedule);
  app.add_option("--beta2", o.beta2, "Adam beta2")->check(CLI::Range(0.0, 1.0))->group(schedule);
  app.add_option("--epochs", o.epochs, "Epochs at the initial learning rate")->check(CLI::Range(0, 100000))->group(schedule);
  app.add_option("--epochs-decay", o.epochs_decay, "Epochs of linear decay to 0 that follow")
      ->check(CLI::Range(0, 100000))
      ->group(schedule);
  app.add_option("--batch-size", o.batch_size, "Images per step")->check(CLI::Range(1, 1024))->group(schedule);
  app.add_option("--pool-size", o.pool_size, "Generated images kept per discriminator (0 = no pool)")
      ->check(CLI::Range(0, 10000))
      ->group(schedule);
  app.add_option("--max-steps", o.max_steps, "Stop after this many generator steps (0 = at the schedule's end)")
      ->check(CLI::NonNegativeNumber)
      ->group(schedule);

  auto *run = "Run";
  app.add_option("--device", o.device, "auto (CUDA when available), cpu, cuda or cuda:N")->group(run);
  app.add_option("--threads", o.threads, "CPU threads for LibTorch (0 = every core)")
      ->check(CLI::Range(0, 1024))
      ->group(run);
  app.add_option("--precision", o.precision,
                 "Arithmetic of the training step: fp32, bf16 (autocast: convolutions in bfloat16, "
                 "normalisations, reductions, the weights and the optimizer in fp32; on CPUs with native bf16, "
                 "AVX512-BF16 or AMX, about 1.3x faster there; on CUDA GPUs of compute capability 8.0 and up), or "
                 "fp16 (the same in float16 with dynamic loss scaling; CUDA only)")
      ->check(CLI::IsMember({"fp32", "bf16", "fp16"}))
      ->group(run);
  app.add_option("--seed", o.seed, "Seed of every random choice (weights, crops, flips, pairing, pools)")->group(run);
  app.add_option("--out", o.out_dir, "Run directory: config, losses, curves, samples, checkpoints, weights")->group(run);
  app.add_option("--resume", o.resume_dir,
                 "Continue the run in this directory from its latest checkpoint (its options are reused; "
                 "--max-steps, --epochs-decay... given here override)")
      ->group(run);
  app.add_option("--init-generator", o.init_generator,
                 "Start the visible->infrared generator from this weights file (or bundled model: " +
                     gncycleganir::bundled_model_names() +
                     ") instead of random weights, for fine-tuning; it must have the --generator architecture and "
                     "--ngf, or be the same design with more residual blocks (see --init-trunk-blocks)")
      ->transform(model_file())
      ->group(run);
  app.add_option("--init-trunk-blocks", o.init_trunk_blocks,
                 "When --init-generator has more residual blocks than --generator: which of its blocks (from 0, "
                 "increasing, comma-separated) make the new trunk; its other layers are taken as they are. "
                 "Default: as many as --generator has, spread evenly, the first and last among them")
      ->delimiter(',')
      ->check(CLI::NonNegativeNumber)
      ->group(run);
  app.add_option("--export", o.export_path,
                 "Also write the visible->infrared generator here at the end (always written to OUT/generator.safetensors)")
      ->group(run);
  app.add_option("--save-every", o.save_every, "Checkpoint every N epochs (and always at the end)")
      ->check(CLI::Range(1, 100000))
      ->group(run);
  app.add_option("--log-every", o.log_every, "Seconds between progress lines when the output is not a terminal")
      ->check(CLI::Range(1, 86400))
      ->group(run);
  app.add_option("--samples", o.samples, "Rows in each epoch's sample grid")->check(CLI::Range(1, 32))->group(run);
}

std::vector<DatasetSpec> training_sets(const TrainOptions &o) {
  std::vector<DatasetSpec> sets;
  if (!o.visible_dir.empty() || !o.infrared_dir.empty()) {
    DatasetSpec first;
    first.visible_dir = o.visible_dir;
    first.infrared_dir = o.infrared_dir;
    first.name = default_set_name(o.visible_dir, o.infrared_dir);
    sets.push_back(first);
  }
  sets.insert(sets.end(), o.datasets.begin(), o.datasets.end());
  return sets;
}

void validate(const TrainOptions &o) {
  if (o.datasets.empty() && (o.visible_dir.empty() || o.infrared_dir.empty()))
    throw std::invalid_argument(
        "--visible DIR and --infrared DIR are required, or --dataset SPEC / --datasets FILE (or --resume RUN_DIR)");
  if (o.visible_dir.empty() != o.infrared_dir.empty())
    throw std::invalid_argument("--visible DIR and --infrared DIR go together: give both, or neither");
  std::set<std::string> names;
  for (const auto &set : training_sets(o)) {
    if (!names.insert(set.name).second)
      throw std::invalid_argument("two training sets are named " + set.name + ": give one another :name=NAME");
    if (o.scale == Scale::resize && set.scale != 1.0)
      throw std::invalid_argument("set " + set.name +
                                  ": :scale applies to --scale native crops; with --scale resize every image is "
                                  "resized to --load-size");
  }
  if ((o.paired_edge_energy_window > 0 || o.paired_edge_energy_per_direction) && o.paired_edge_energy_weight == 0)
    throw std::invalid_argument(
        "--paired-edge-energy-window and --paired-edge-energy-per-direction shape the edge energy loss, which is "
        "off: give --paired-edge-energy-weight too");
  if (o.target_crops > 1 && !o.paired())
    throw std::invalid_argument(
        "--target-crops chooses crops by the aligned infrared image's hot targets, and this run is unpaired: give a "
        "paired loss too (e.g. --paired-weight or --paired-target-weight)");
  const bool hot = GeneratorConfig::from_name(o.generator, 3, 1, o.ngf).family == GeneratorFamily::hot;
  if (o.head_gate_positive_weight != kGatePositiveWeight && !o.train_head)
    throw std::invalid_argument("--head-gate-positive-weight weighs the loss of the head --train-head trains: add --train-head");
  if (o.head_gate_ring_weight != 1.0 && !o.train_head)
    throw std::invalid_argument("--head-gate-ring-weight weighs the loss of the head --train-head trains: add --train-head");
  if (o.head_contrast_weight > 0 && !o.train_head)
    throw std::invalid_argument("--head-contrast-weight is a loss of the head --train-head trains: add --train-head");
  if (!o.head_base.empty() && !o.train_head)
    throw std::invalid_argument("--head-base is the frozen base under the head --train-head trains: add --train-head");
  if (o.head_width != 32 && !hot)
    throw std::invalid_argument("--head-width is the width of a hot generator's head, and --generator " + o.generator +
                                " has none");
  if (o.train_head) {
    if (!hot)
      throw std::invalid_argument("--train-head trains the head of a hot-target generator, and --generator is " +
                                  o.generator + ": give --generator hot_half_<base> (e.g. hot_half_resnet_6blocks_cbam)");
    if (o.init_generator.empty() && o.resume_dir.empty())
      throw std::invalid_argument("--train-head paints over a trained base generator: give it with --init-generator "
                                  "(a file of the base's architecture, or a hot_ file whose head to train on)");
    if (o.paired_weight > 0 || o.paired_ssim_weight > 0 || o.paired_gradient_weight > 0 ||
        o.paired_edge_energy_weight > 0 || o.paired_feature_matching_weight > 0 || o.paired_target_weight > 0 ||
        o.paired_target_contrast_weight > 0 || o.temporal_weight > 0 || !o.distill_from.empty())
      throw std::invalid_argument("--train-head trains with the head's own losses: the --paired-*, --temporal-* and "
                                  "--distill-* losses are for whole generators, drop them");
  }
  if (!o.init_trunk_blocks.empty() && o.init_generator.empty())
    throw std::invalid_argument("--init-trunk-blocks chooses blocks of the --init-generator's trunk: give "
                                "--init-generator too");
  if (o.distilled() && o.distill_from.empty())
    throw std::invalid_argument("--distill-weight and --distill-ssim-weight pull G_A towards a teacher: name it with "
                                "--distill-from MODEL");
  if (o.distill_off_targets && !(o.distilled() && o.paired()))
    throw std::invalid_argument(
        "--distill-off-targets finds the hot targets in the aligned infrared image: give --distill-weight (or "
        "--distill-ssim-weight) and a paired loss (e.g. --paired-target-contrast-weight)");
  if (o.distill_row_notch > 0 && o.distill_from.empty())
    throw std::invalid_argument("--distill-row-notch filters a teacher's output: name the teacher with --distill-from");
  if (!o.distill_from.empty() && !o.distilled())
    throw std::invalid_argument("--distill-from " + o.distill_from +
                                " needs a weight: give --distill-weight (L1, e.g. 50) or --distill-ssim-weight");
  if (o.out_dir.empty()) throw std::invalid_argument("--out DIR is required: where the run is written");
  if (o.scale == Scale::resize && o.crop_size > o.load_size)
    throw std::invalid_argument("--crop-size " + std::to_string(o.crop_size) + " is larger than --load-size " +
                                std::to_string(o.load_size));
  const auto config = GeneratorConfig::from_name(o.generator, 3, 1, o.ngf);  // throws for unknown names
  if (o.crop_size % config.size_multiple() != 0)
    throw std::invalid_argument("--crop-size " + std::to_string(o.crop_size) + " must be a multiple of " +
                                std::to_string(config.size_multiple()) + " for " + o.generator);
  if (o.epochs + o.epochs_decay == 0 && o.max_steps == 0)
    throw std::invalid_argument("--epochs and --epochs-decay are both 0: nothing to train (or give --max-steps)");
}

std::string to_string(GanLoss loss) { return name_of(kGanLosses, loss); }
std::string to_string(Scale scale) { return name_of(kScales, scale); }

NLOHMANN_JSON_SERIALIZE_ENUM(GanLoss, {{GanLoss::vanilla, "vanilla"}, {GanLoss::lsgan, "lsgan"}, {GanLoss::hinge, "hinge"}})
NLOHMANN_JSON_SERIALIZE_ENUM(Scale, {{Scale::resize, "resize"}, {Scale::native, "native"}})
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TrainOptions, visible_dir, infrared_dir, datasets, datasets_file, load_size, crop_size, flip, scale, workers, target_crops, scale_jitter, exposure_jitter,
                                   paired_weight, paired_ssim_weight, paired_gradient_weight, paired_edge_energy_weight, paired_edge_energy_window, paired_edge_energy_per_direction, paired_feature_matching_weight, paired_target_weight, paired_target_contrast_weight, temporal_weight, distill_from, distill_weight, distill_ssim_weight, distill_off_targets, distill_row_notch, generator, train_head, head_width, head_gate_positive_weight, head_gate_ring_weight, head_contrast_weight, head_base, ngf, ndf, gradient_normalization, discriminator_norm,
                                   gan_loss, lambda_cycle, lambda_identity, d_steps, lr, beta1, beta2, epochs,
                                   epochs_decay, batch_size, pool_size, max_steps, device, threads, precision, seed, out_dir,
                                   resume_dir, init_generator, init_trunk_blocks, export_path, save_every, log_every, samples)

nlohmann::json to_json(const TrainOptions &options) { return options; }
TrainOptions options_from_json(const nlohmann::json &json) { return json.get<TrainOptions>(); }

}  // namespace gncyclegan::train
