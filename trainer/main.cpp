// gncyclegan-train: trains GN-CycleGAN (visible -> infrared) and exports the
// generator the gncycleganir element loads.
#include <cstdio>
#include <exception>
#include <fstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "trainer/distributed.h"
#include "trainer/export.h"
#include "trainer/options.h"
#include "trainer/training_run.h"

using namespace gncyclegan::train;

namespace {

constexpr const char *kDescription =
    "gncyclegan-train: trains GN-CycleGAN (Yi et al., Applied Sciences 2023) to turn visible images into "
    "infrared ones, on unpaired (or, with --paired-weight, aligned) image folders, and exports the "
    "visible->infrared generator for the gncycleganir GStreamer element.";

// A run's options as it was started, for --resume.
TrainOptions options_of_run(const std::string &run_dir) {
  std::ifstream in(run_dir + "/config.json");
  if (!in) throw std::runtime_error("--resume " + run_dir + ": no config.json there (not a training run?)");
  auto config = nlohmann::json::parse(in, nullptr, false);
  if (config.is_discarded() || !config.contains("options"))
    throw std::runtime_error("--resume " + run_dir + ": config.json is damaged");
  return options_from_json(config["options"]);
}

int main_or_throw(int argc, char **argv) {
  CLI::App app(kDescription, "gncyclegan-train");
  TrainOptions options;
  add_train_options(app, options);
  DistributedOptions distributed;
  add_distributed_options(app, distributed);
  app.footer(
      "Examples:\n"
      "  gncyclegan-train --visible data/train/visible --infrared data/train/infrared --out runs/paper\n"
      "  gncyclegan-train --visible V --infrared I --crop-size 128 --ngf 16 --max-steps 300 --out /tmp/run\n"
      "  gncyclegan-train --dataset data/roadscene/train --dataset data/msrs/train:weight=181:scale=0.7 --scale native \\\n"
      "      --paired-weight 50 --paired-gradient-weight 10 --out runs/two-cameras\n"
      "  torchrun --nproc_per_node 2 --no_python gncyclegan-train --visible V --infrared I --out runs/two\n"
      "      (data parallel: 2 ranks, each on half of every step's images)\n"
      "  gncyclegan-train --resume runs/paper\n"
      "  gncyclegan-train export --checkpoint runs/paper --out model.safetensors");

  std::string checkpoint, export_out;
  auto *export_command =
      app.add_subcommand("export", "Write the visible->infrared generator of a checkpoint as a weights file");
  export_command
      ->add_option("--checkpoint", checkpoint,
                   "A checkpoint directory, a run directory (its latest), or a generator weights file (copied, "
                   "with --metadata added)")
      ->required();
  export_command->add_option("--out", export_out, "The weights file to write")->required();
  std::vector<std::string> notes;
  export_command
      ->add_option("--metadata", notes,
                   "KEY=VALUE stored in the file's metadata beside the run's provenance (repeatable), e.g. "
                   "name=gncyclegan-compact or test_ssim=0.45")
      ->check([](const std::string &note) {
        return note.find('=') == std::string::npos || note.front() == '=' ? "expected KEY=VALUE, not " + note
                                                                           : std::string();
      });

  std::string storage = "fp32";
  export_command
      ->add_option("--storage", storage,
                   "How the weights are stored: fp32, or fp16 (half the file, 11 significant bits per weight; "
                   "loaded back as fp32)")
      ->check(CLI::IsMember({"fp32", "fp16"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &error) {
    return app.exit(error) == 0 ? kDone : kUsage;  // --help, or a usage error
  }

  if (export_command->parsed()) {
    gncyclegan::Metadata extra;
    for (const auto &note : notes) extra[note.substr(0, note.find('='))] = note.substr(note.find('=') + 1);
    const std::string what = export_checkpoint(checkpoint, export_out, extra,
                                               storage == "fp16" ? gncyclegan::Storage::fp16 : gncyclegan::Storage::fp32);
    std::fprintf(stderr, "wrote %s (%s)\n", export_out.c_str(), what.c_str());
    return kDone;
  }
  if (!options.resume_dir.empty()) {
    // The run's own options, then whatever this command line sets again.
    TrainOptions resumed = options_of_run(options.resume_dir);
    CLI::App again(kDescription, "gncyclegan-train");
    add_train_options(again, resumed);
    DistributedOptions launch;  // the same values again
    add_distributed_options(again, launch);
    again.add_subcommand("export");
    again.parse(argc, argv);
    resumed.resume_dir = options.resume_dir;
    resumed.out_dir = options.resume_dir;
    options = resumed;
  }
  return run_training(options, distributed);
}

}  // namespace

int main(int argc, char **argv) {
  try {
    return main_or_throw(argc, argv);
  } catch (const std::exception &error) {
    std::fprintf(stderr, "\ngncyclegan-train: error: %s\n", error.what());
    return kFailed;
  }
}
