// gncyclegan-train as people run it: --help, each bad input's message and exit
// status, SIGINT, resume and export from the command line.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "model/weights.h"
#include "tests/support/test_support.h"
#include "tests/trainer/synthetic_data.h"

namespace gncyclegan {
namespace {

namespace fs = std::filesystem;

using Result = test::CommandResult;

class TrainCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const char *binary = std::getenv("GNCYCLEGAN_TRAIN");
    ASSERT_TRUE(binary) << "GNCYCLEGAN_TRAIN must name the gncyclegan-train binary (meson test sets it)";
    binary_ = binary;
    test::make_synthetic_dataset(dir_.file("data"), 4, 72);
  }
  // Runs gncyclegan-train with `arguments` (shell words); returns exit status and output.
  Result run(const std::string &arguments, const std::string &prefix = "") {
    return test::run_command(prefix + "'" + binary_ + "' " + arguments, dir_.file("output.txt"));
  }
  std::string data_args(const std::string &out) {
    return "--visible '" + dir_.file("data/visible") + "' --infrared '" + dir_.file("data/infrared") + "' " +
           model_args(out);
  }
  std::string model_args(const std::string &out) {
    return "--load-size 72 --crop-size 64 --ngf 4 --ndf 4 --generator resnet_1blocks_cbam --workers 1 --out '" + out +
           "'";
  }
  nlohmann::json config_of(const std::string &run_dir) {
    return nlohmann::json::parse(std::ifstream(run_dir + "/config.json"));
  }
  std::string binary_;
  test::TemporaryDirectory dir_;
};

#define EXPECT_FAILS_WITH(result, text)                                          \
  do {                                                                           \
    EXPECT_EQ((result).status, 1) << (result).output;                            \
    EXPECT_NE((result).output.find(text), std::string::npos) << (result).output; \
  } while (0)

TEST_F(TrainCli, HelpDocumentsTheOptionsWithTheirDefaults) {
  Result help = run("--help");
  EXPECT_EQ(help.status, 0);
  for (const char *text : {"--visible", "--infrared", "--load-size INT:INT in [16 - 8192]=286", "--crop-size",
                           "--no-flip", "--generator TEXT=resnet_9blocks_cbam", "--ngf", "--ndf", "--no-gn",
                           "--gan-loss {vanilla,lsgan,hinge}=vanilla", "--lambda-cycle FLOAT:NONNEGATIVE=10",
                           "--lambda-identity FLOAT:NONNEGATIVE=0.5", "--d-steps INT:INT in [1 - 100]=1",
                           "--lr FLOAT:POSITIVE=0.0002", "--epochs INT:INT in [0 - 100000]=100", "--epochs-decay",
                           "--batch-size", "--device TEXT=auto", "--seed", "--max-steps", "--out", "--resume",
                           "--export", "--paired-weight", "--scale", "--init-generator", "export", "--dataset SPEC",
                           "--train-head", "--head-base",
                           ":weight=W", ":scale=S", "--datasets FILE", "--paired-gradient-weight"})
    EXPECT_NE(help.output.find(text), std::string::npos) << text;
}

TEST_F(TrainCli, AnUnknownOptionIsAUsageError) {
  Result result = run("--visibel x");
  EXPECT_EQ(result.status, 2) << result.output;
  EXPECT_NE(result.output.find("--visibel"), std::string::npos) << result.output;
}

TEST_F(TrainCli, AMissingDirectoryIsNamed) {
  EXPECT_FAILS_WITH(run("--visible /nonexistent --infrared /nonexistent --out '" + dir_.file("r") + "'"),
                    "--visible /nonexistent: no such directory");
}

TEST_F(TrainCli, AnEmptyDirectoryIsNamed) {
  fs::create_directories(dir_.file("empty"));
  EXPECT_FAILS_WITH(run("--visible '" + dir_.file("empty") + "' --infrared '" + dir_.file("data/infrared") +
                        "' --out '" + dir_.file("r") + "'"),
                    "holds no images");
}

TEST_F(TrainCli, AFolderOfUnreadableImagesIsRefused) {
  fs::create_directories(dir_.file("broken"));
  std::ofstream(dir_.file("broken/a.png")) << "not a png";
  EXPECT_FAILS_WITH(run("--visible '" + dir_.file("broken") + "' --infrared '" + dir_.file("data/infrared") +
                        "' --out '" + dir_.file("r") + "'"),
                    "none of its 1 images can be read");
}

TEST_F(TrainCli, ACorruptFileIsSkippedNamedAndCounted) {
  std::ofstream(dir_.file("data/visible/zz_corrupt.jpg")) << "\xff\xd8 truncated jpeg";
  Result result = run(data_args(dir_.file("r")) + " --max-steps 1");
  EXPECT_EQ(result.status, 0) << result.output;
  EXPECT_NE(result.output.find("warning: skipped 1 unreadable image(s)"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("zz_corrupt.jpg"), std::string::npos) << result.output;
}

TEST_F(TrainCli, ImagesSmallerThanANativeCropAreEnlargedAndNamed) {
  Result result = run(data_args(dir_.file("r")) + " --scale native --crop-size 128 --max-steps 1");
  EXPECT_EQ(result.status, 0) << result.output;
  EXPECT_NE(result.output.find("8 image(s) smaller than --crop-size 128 are enlarged to cover it"), std::string::npos)
      << result.output;
}

TEST_F(TrainCli, AnUnwritableRunDirectoryIsNamed) {
  std::ofstream(dir_.file("a-file")) << "x";
  EXPECT_FAILS_WITH(run(data_args(dir_.file("a-file/run"))), "cannot create the run directory");
}

TEST_F(TrainCli, CudaWithoutCudaSaysWhy) {
  Result result = run(data_args(dir_.file("r")) + " --device cuda");
  if (result.status == 0) GTEST_SKIP() << "a GPU is visible";
  EXPECT_EQ(result.status, 1);
  EXPECT_TRUE(result.output.find("no CUDA support") != std::string::npos ||
              result.output.find("no GPU is visible") != std::string::npos)
      << result.output;
}

TEST_F(TrainCli, AnUnknownArchitectureIsNamed) {
  EXPECT_FAILS_WITH(run(data_args(dir_.file("r")) + " --generator resnet_x"), "unknown generator architecture");
}

TEST_F(TrainCli, ARunIsNotOverwrittenByAccident) {
  ASSERT_EQ(run(data_args(dir_.file("r")) + " --max-steps 1").status, 0);
  EXPECT_FAILS_WITH(run(data_args(dir_.file("r")) + " --max-steps 1"), "already holds a run");
}

TEST_F(TrainCli, InterruptCheckpointsThenResumeAndExportContinue) {
  const std::string out = dir_.file("r");
  // SIGINT mid-run, once a few steps are logged (however loaded the machine):
  // finish the step, checkpoint, exit 130. A run that never logs is stopped after 120 s.
  const std::string log = out + "/losses.csv";
  Result interrupted = test::run_command(
      "{ '" + binary_ + "' " + data_args(out) + " --max-steps 100000 & pid=$!; for i in $(seq 600); do "
      "[ -f '" + log + "' ] && [ \"$(wc -l < '" + log + "')\" -gt 3 ] && break; kill -0 $pid 2>/dev/null || break; "
      "sleep 0.2; done; kill -INT $pid; wait $pid; }",
      dir_.file("output.txt"));
  EXPECT_EQ(interrupted.status, 130) << interrupted.output;
  EXPECT_NE(interrupted.output.find("continue with: --resume"), std::string::npos) << interrupted.output;
  ASSERT_TRUE(fs::exists(out + "/checkpoints/latest"));

  std::ifstream latest(out + "/checkpoints/latest");
  std::string name;
  latest >> name;
  const int reached = std::stoi(name.substr(5));
  Result resumed = run("--resume '" + out + "' --max-steps " + std::to_string(reached + 2));
  EXPECT_EQ(resumed.status, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resuming"), std::string::npos) << resumed.output;

  Result exported = run("export --checkpoint '" + out + "' --out '" + dir_.file("g.safetensors") + "'");
  EXPECT_EQ(exported.status, 0) << exported.output;
  auto generator = load_generator(dir_.file("g.safetensors"));
  EXPECT_EQ(generator.metadata.at("steps"), std::to_string(reached + 2));
  EXPECT_EQ(generator.metadata.at("architecture"), "resnet_1blocks_cbam");
}

// A full disk: the run stops with the system's reason, and what it had
// written before (the first checkpoint, the loss log) is intact and usable.
TEST_F(TrainCli, AFullDiskStopsTheRunWithoutCorruptingIt) {
  const std::string mount_point = dir_.file("small-disk");
  fs::create_directories(mount_point);
  if (std::system(("mount -t tmpfs -o size=1500k tmpfs '" + mount_point + "' 2>/dev/null").c_str()) != 0)
    GTEST_SKIP() << "cannot mount a small tmpfs here (needs root): full-disk behaviour not tested";
  struct Unmount {
    std::string path;
    ~Unmount() { std::system(("umount '" + path + "'").c_str()); }
  } unmount{mount_point};

  const std::string out = mount_point + "/run";
  ASSERT_EQ(run(data_args(out) + " --max-steps 1").status, 0);
  Result full = run("--resume '" + out + "' --max-steps 400");
  EXPECT_FAILS_WITH(full, "No space left on device");

  std::ifstream latest(out + "/checkpoints/latest");
  std::string name;
  latest >> name;
  EXPECT_EQ(name, "step_00000001");
  Result exported = run("export --checkpoint '" + out + "' --out '" + dir_.file("g.safetensors") + "'");
  EXPECT_EQ(exported.status, 0) << exported.output;
  EXPECT_EQ(load_generator(dir_.file("g.safetensors")).metadata.at("steps"), "1");
}

TEST_F(TrainCli, SeveralSetsAreTrainedOnAndRecorded) {
  test::make_synthetic_dataset(dir_.file("more"), 6, 72, false, 7);
  const std::string out = dir_.file("r");
  Result result = run("--dataset '" + dir_.file("data") + "' --dataset '" + dir_.file("more") +
                      ":weight=12:name=more' --max-steps 1 " + model_args(out));
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_NE(result.output.find("set more: 6 visible, 6 infrared images, 75.0% of the draws"), std::string::npos)
      << result.output;
  const auto config = config_of(out);
  ASSERT_EQ(config["options"]["datasets"].size(), 2u);
  EXPECT_EQ(config["options"]["datasets"][1]["weight"], 12.0);
  const auto &sets = config["data"]["sets"];
  ASSERT_EQ(sets.size(), 2u);
  EXPECT_EQ(sets[0]["name"], dir_.file("data"));
  EXPECT_EQ(sets[0]["visible"], dir_.file("data/visible"));
  EXPECT_EQ(sets[0]["weight"], 4.0) << "its image count";
  EXPECT_EQ(sets[0]["visible_images"], 4);
  EXPECT_EQ(sets[1]["name"], "more");
  EXPECT_EQ(sets[1]["scale"], 1.0);
  EXPECT_EQ(sets[1]["infrared_images"], 6);
  EXPECT_EQ(config["data"]["sampling"], "weighted");
  EXPECT_EQ(config["data"]["visible_images"], 10);

  const auto metadata = load_generator(out + "/generator.safetensors").metadata;
  const auto recorded = nlohmann::json::parse(metadata.at("training_sets"));
  ASSERT_EQ(recorded.size(), 2u);
  EXPECT_EQ(recorded[1]["name"], "more");
  EXPECT_EQ(recorded[1]["weight"], 12.0);
  EXPECT_EQ(metadata.at("training_visible_images"), "10");
  EXPECT_EQ(metadata.count("training_visible_dir"), 0u) << "several sets: training_sets says where";

  // The same from a manifest, its paths relative to it.
  std::ofstream(dir_.file("sets.json")) << R"([{"dir": "data"}, {"visible": "more/visible", "infrared": "more/infrared", "weight": 12, "name": "more"}])";
  Result manifest = run("--datasets '" + dir_.file("sets.json") + "' --max-steps 1 " + model_args(dir_.file("m")));
  ASSERT_EQ(manifest.status, 0) << manifest.output;
  const auto from_manifest = config_of(dir_.file("m"));
  EXPECT_EQ(from_manifest["data"]["sets"], sets);
  EXPECT_EQ(from_manifest["options"]["datasets_file"], dir_.file("sets.json"));
}

TEST_F(TrainCli, OneSetKeepsItsOldMetadataKeys) {
  const std::string out = dir_.file("r");
  ASSERT_EQ(run(data_args(out) + " --max-steps 1").status, 0);
  const auto metadata = load_generator(out + "/generator.safetensors").metadata;
  EXPECT_EQ(metadata.at("training_visible_dir"), dir_.file("data/visible"));
  EXPECT_EQ(metadata.at("training_infrared_dir"), dir_.file("data/infrared"));
  EXPECT_EQ(nlohmann::json::parse(metadata.at("training_sets")).size(), 1u);
  EXPECT_EQ(config_of(out)["data"]["sampling"], "concatenated");
}

TEST_F(TrainCli, BadSetsAreClearErrors) {
  const std::string data = dir_.file("data");
  auto with = [&](const std::string &sets) { return run(sets + " --max-steps 1 " + model_args(dir_.file("r"))); };
  // Malformed on the command line: a usage error (2).
  for (const auto &[spec, message] : std::vector<std::pair<std::string, std::string>>{
           {data + ":weight=0", "weight must be above 0"},
           {data + ":weight=-1", "weight must be above 0"},
           {data + ":colour=red", "unknown key 'colour'"},
           {data + ":weight", "'weight' is not KEY=VALUE"},
           {"a,b,c", "more than two folders"}}) {
    Result result = with("--dataset '" + spec + "'");
    EXPECT_EQ(result.status, 2) << spec << ": " << result.output;
    EXPECT_NE(result.output.find("--dataset: " + spec + ": " + message), std::string::npos) << result.output;
  }
  // Wrong data: an error (1) naming what is missing.
  EXPECT_FAILS_WITH(with("--dataset /nonexistent"), "set /nonexistent: visible folder /nonexistent/visible: no such directory");
  EXPECT_FAILS_WITH(with("--dataset '" + data + "' --dataset '" + data + "'"), "two training sets are named " + data);
  EXPECT_FAILS_WITH(with("--dataset '" + data + "' --visible '" + data + "/visible'"), "go together");
  EXPECT_FAILS_WITH(with("--dataset '" + data + ":scale=0.5' --scale resize"), ":scale applies to --scale native");
  std::ofstream(dir_.file("bad.json")) << "[{\"dir\": ";
  EXPECT_FAILS_WITH(with("--datasets '" + dir_.file("bad.json") + "'"), "bad.json: not valid JSON");
  std::ofstream(dir_.file("zero.json")) << R"([{"dir": "data", "weight": 0}])";
  EXPECT_FAILS_WITH(with("--datasets '" + dir_.file("zero.json") + "'"), "zero.json, set 1: weight must be above 0");
}

TEST_F(TrainCli, ARunFromBeforeSeveralSetsStillResumes) {
  const std::string out = dir_.file("r");
  ASSERT_EQ(run(data_args(out) + " --max-steps 1").status, 0);
  // config.json as the trainer wrote it before sets, weights and the edge loss.
  auto config = config_of(out);
  for (const char *key : {"datasets", "datasets_file", "paired_gradient_weight"}) config["options"].erase(key);
  for (const char *key : {"sets", "sampling"}) config["data"].erase(key);
  std::ofstream(out + "/config.json") << config.dump(2);
  Result resumed = run("--resume '" + out + "' --max-steps 2");
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  EXPECT_EQ(config_of(out)["data"]["sets"].size(), 1u);
  EXPECT_EQ(load_generator(out + "/generator.safetensors").metadata.at("steps"), "2");
}

TEST_F(TrainCli, ExportOfSomethingElseIsAClearError) {
  EXPECT_FAILS_WITH(run("export --checkpoint '" + dir_.file("data") + "' --out '" + dir_.file("g.safetensors") + "'"),
                    "neither a checkpoint directory, a run directory nor a weights file");
}

// --train-head: the base the file holds stays as it was, bit for bit (no
// gradients, its CBAM BatchNorms in eval mode); the head moves from its
// initial state (gate bias -3); the result is one hot_ file.
TEST_F(TrainCli, TrainHeadTrainsOnlyTheHeadOverTheGivenBase) {
  test::make_synthetic_dataset(dir_.file("pairs"), 4, 72, /*paired=*/true);
  ASSERT_EQ(run(data_args(dir_.file("base")) + " --max-steps 1").status, 0);
  const std::string base = dir_.file("base/generator.safetensors");
  const std::string head_args = "--dataset '" + dir_.file("pairs") +
                                "' --scale native --crop-size 64 --ngf 4 --workers 1 --batch-size 2 --max-steps 3 "
                                "--lr 1e-3 --init-generator '" + base + "' --out '";
  Result trained = run("--train-head --generator hot_half_resnet_1blocks_cbam " + head_args + dir_.file("head") + "'");
  ASSERT_EQ(trained.status, 0) << trained.output;
  EXPECT_NE(trained.output.find("final losses gate"), std::string::npos) << trained.output;
  const auto result = read_weights(dir_.file("head/generator.safetensors"));
  EXPECT_EQ(result.metadata.at("architecture"), "hot_half_resnet_1blocks_cbam");
  EXPECT_EQ(result.metadata.at("train_head"), "true");
  EXPECT_EQ(result.metadata.at("base_architecture"), "resnet_1blocks_cbam") << "the base's record travels along";
  EXPECT_EQ(result.metadata.count("lambda_cycle"), 0u) << "no CycleGAN loss trained this file";

  // A second stage on the first: the base's record stays base_*, the first stage's is init_*.
  ASSERT_EQ(run("--train-head --generator hot_half_resnet_1blocks_cbam " +
                std::string(head_args).replace(head_args.find(base), base.size(), dir_.file("head/generator.safetensors")) +
                dir_.file("again") + "'")
                .status,
            0);
  const auto again = read_weights(dir_.file("again/generator.safetensors")).metadata;
  EXPECT_EQ(again.at("base_architecture"), "resnet_1blocks_cbam");
  EXPECT_EQ(again.at("init_architecture"), "hot_half_resnet_1blocks_cbam");
  EXPECT_EQ(again.at("init_steps"), "3");
  for (const auto &[name, tensor] : read_weights(base).tensors) {
    ASSERT_TRUE(result.tensors.count("base." + name)) << name;
    EXPECT_TRUE(torch::equal(result.tensors.at("base." + name), tensor)) << "the base moved: " << name;
  }
  EXPECT_NE(result.tensors.at("head.out.bias")[0].item<float>(), -3.0f) << "the head did not train";

  ASSERT_EQ(run("--train-head --head-width 8 --generator hot_resnet_1blocks_cbam " + head_args + dir_.file("narrow") + "'").status, 0);
  EXPECT_EQ(load_generator(dir_.file("narrow/generator.safetensors")).metadata.at("head_width"), "8");
  EXPECT_FAILS_WITH(run("--head-width 8 " + data_args(dir_.file("w")) + " --max-steps 1"), "has none");
  EXPECT_FAILS_WITH(run("--train-head --generator resnet_1blocks_cbam " + head_args + dir_.file("x") + "'"),
                    "give --generator hot_half_<base>");
  EXPECT_FAILS_WITH(run("--train-head --generator hot_resnet_1blocks_cbam --dataset '" + dir_.file("pairs") +
                        "' --ngf 4 --out '" + dir_.file("y") + "'"),
                    "give it with --init-generator");
  EXPECT_FAILS_WITH(run("--train-head --generator hot_resnet_1blocks_cbam --paired-weight 10 " + head_args +
                        dir_.file("z") + "'"),
                    "the head's own losses");
}

// --head-base: a trained head carried onto another base. With a learning
// rate of 1e-9 one step leaves the head's parameters at the hot file's, and
// the base is --head-base's bit for bit; the records say which is which.
TEST_F(TrainCli, HeadBaseCarriesATrainedHeadOntoAnotherBase) {
  test::make_synthetic_dataset(dir_.file("pairs"), 4, 72, /*paired=*/true);
  ASSERT_EQ(run(data_args(dir_.file("base1")) + " --max-steps 1").status, 0);
  ASSERT_EQ(run(data_args(dir_.file("base2")) + " --max-steps 2 --seed 9").status, 0);
  const std::string base1 = dir_.file("base1/generator.safetensors"), base2 = dir_.file("base2/generator.safetensors");
  const std::string common = "--train-head --generator hot_half_resnet_1blocks_cbam --dataset '" + dir_.file("pairs") +
                             "' --scale native --crop-size 64 --ngf 4 --workers 1 --batch-size 2 ";
  ASSERT_EQ(run(common + "--max-steps 3 --lr 1e-3 --init-generator '" + base1 + "' --out '" + dir_.file("head") + "'").status, 0);
  const std::string head = dir_.file("head/generator.safetensors");
  Result moved = run(common + "--max-steps 1 --lr 1e-9 --head-contrast-weight 2 --head-gate-positive-weight 5 --head-gate-ring-weight 3 --init-generator '" + head +
                     "' --head-base '" + base2 + "' --out '" + dir_.file("moved") + "'");
  ASSERT_EQ(moved.status, 0) << moved.output;
  const auto result = read_weights(dir_.file("moved/generator.safetensors"));
  for (const auto &[name, tensor] : read_weights(base2).tensors)
    EXPECT_TRUE(torch::equal(result.tensors.at("base." + name), tensor)) << "not --head-base's base: " << name;
  for (const auto &[name, tensor] : read_weights(head).tensors) {
    if (name.rfind("head.", 0) != 0 || name.find("running_") != std::string::npos ||
        name.find("num_batches") != std::string::npos)
      continue;  // BatchNorm statistics follow the data, not the learning rate
    EXPECT_TRUE(torch::allclose(result.tensors.at(name), tensor, 0, 1e-6)) << "the head did not come along: " << name;
  }
  EXPECT_EQ(result.metadata.at("base_file"), "generator.safetensors");
  EXPECT_EQ(result.metadata.at("base_steps"), "2") << "the base's record is --head-base's";
  EXPECT_EQ(result.metadata.at("init_steps"), "3") << "the head's earlier stage is init_*";
  EXPECT_EQ(result.metadata.at("head_contrast_weight"), "2");
  EXPECT_EQ(read_weights(head).metadata.count("head_contrast_weight"), 0u) << "recorded only when used";
  EXPECT_EQ(result.metadata.at("head_gate_positive_weight"), "5");
  EXPECT_EQ(read_weights(head).metadata.count("head_gate_positive_weight"), 0u) << "recorded only when not the default";
  EXPECT_EQ(result.metadata.at("head_gate_ring_weight"), "3");

  EXPECT_FAILS_WITH(run(data_args(dir_.file("a")) + " --max-steps 1 --head-base '" + base2 + "'"), "add --train-head");
  EXPECT_FAILS_WITH(run(data_args(dir_.file("a")) + " --max-steps 1 --head-contrast-weight 1"), "add --train-head");
  EXPECT_FAILS_WITH(run(data_args(dir_.file("a")) + " --max-steps 1 --head-gate-positive-weight 4"), "add --train-head");
  EXPECT_FAILS_WITH(run(data_args(dir_.file("a")) + " --max-steps 1 --head-gate-ring-weight 4"), "add --train-head");
  EXPECT_FAILS_WITH(run(common + "--max-steps 1 --init-generator '" + base1 + "' --head-base '" + base2 + "' --out '" +
                        dir_.file("b") + "'"),
                    "give the base once");
  EXPECT_FAILS_WITH(run(common + "--max-steps 1 --init-generator '" + head + "' --head-base '" + head + "' --out '" +
                        dir_.file("c") + "'"),
                    "goes over a resnet_1blocks_cbam");
}

TEST_F(TrainCli, ExportAddsMetadataGivenOnTheCommandLine) {
  const std::string out = dir_.file("r");
  ASSERT_EQ(run(data_args(out) + " --max-steps 1").status, 0);
  Result exported = run("export --checkpoint '" + out + "' --out '" + dir_.file("g.safetensors") +
                        "' --metadata name=compact --metadata 'test_ssim=0.5 (20 pairs)' --metadata steps=7");
  ASSERT_EQ(exported.status, 0) << exported.output;
  const auto metadata = load_generator(dir_.file("g.safetensors")).metadata;
  EXPECT_EQ(metadata.at("name"), "compact");
  EXPECT_EQ(metadata.at("test_ssim"), "0.5 (20 pairs)");
  EXPECT_EQ(metadata.at("steps"), "7") << "given keys override the provenance";
  EXPECT_EQ(metadata.at("architecture"), "resnet_1blocks_cbam");

  Result restamped = run("export --checkpoint '" + dir_.file("g.safetensors") + "' --out '" + dir_.file("h.safetensors") +
                         "' --metadata test_ssim=0.6");
  ASSERT_EQ(restamped.status, 0) << restamped.output;
  const auto copied = load_generator(dir_.file("h.safetensors")).metadata;
  EXPECT_EQ(copied.at("test_ssim"), "0.6");
  EXPECT_EQ(copied.at("name"), "compact") << "a weights file keeps its metadata";

  Result bad = run("export --checkpoint '" + out + "' --out '" + dir_.file("h.safetensors") + "' --metadata oops");
  EXPECT_EQ(bad.status, 2) << bad.output;
  EXPECT_NE(bad.output.find("expected KEY=VALUE"), std::string::npos) << bad.output;
}

TEST_F(TrainCli, ExportStoresFp16WhenAsked) {
  const std::string out = dir_.file("r");
  ASSERT_EQ(run(data_args(out) + " --max-steps 1").status, 0);
  Result exported = run("export --storage fp16 --checkpoint '" + out + "' --out '" + dir_.file("half.safetensors") + "'");
  ASSERT_EQ(exported.status, 0) << exported.output;
  const auto full = read_weights(out + "/generator.safetensors"), half = read_weights(dir_.file("half.safetensors"));
  for (const auto &[name, tensor] : half.tensors) {
    ASSERT_EQ(tensor.scalar_type(), torch::kHalf) << name;
    EXPECT_TRUE(torch::allclose(tensor.to(torch::kFloat), full.tensors.at(name), 1e-3, 1e-4)) << name;
  }
  EXPECT_LT(fs::file_size(dir_.file("half.safetensors")), fs::file_size(out + "/generator.safetensors") * 6 / 10);
  EXPECT_EQ(run("export --storage fp8 --checkpoint '" + out + "' --out '" + dir_.file("x.safetensors") + "'").status, 2);
}

TEST_F(TrainCli, InitGeneratorStartsFromGivenWeights) {
  ASSERT_EQ(run(data_args(dir_.file("first")) + " --max-steps 2").status, 0);
  const std::string start = dir_.file("first/generator.safetensors");
  // A learning rate so small that one step leaves the weights where they started.
  Result tuned = run(data_args(dir_.file("second")) + " --max-steps 1 --lr 1e-12 --init-generator '" + start + "'");
  ASSERT_EQ(tuned.status, 0) << tuned.output;
  EXPECT_NE(tuned.output.find("G_A starts from"), std::string::npos) << tuned.output;
  auto before = load_generator(start).generator, after = load_generator(dir_.file("second/generator.safetensors")).generator;
  const auto tuned_parameters = after->named_parameters();  // (BatchNorm statistics do move in a step)
  for (const auto &parameter : before->named_parameters())
    EXPECT_TRUE(torch::allclose(parameter.value(), tuned_parameters[parameter.key()], 1e-5, 1e-6)) << parameter.key();

  std::string wider = data_args(dir_.file("third"));
  wider.replace(wider.find("--ngf 4"), 7, "--ngf 8");
  EXPECT_FAILS_WITH(run(wider + " --max-steps 1 --init-generator '" + start + "'"), "set --generator and --ngf to match");
}

// A shallower generator from chosen blocks of a deeper one's trunk; with a
// learning rate of 1e-12 one step leaves them where they started.
TEST_F(TrainCli, InitTrunkBlocksTakesBlocksOfADeeperGenerator) {
  auto with_blocks = [this](const std::string &out, int blocks) {
    std::string args = data_args(dir_.file(out));
    return args.replace(args.find("resnet_1blocks"), 14, "resnet_" + std::to_string(blocks) + "blocks");
  };
  ASSERT_EQ(run(with_blocks("deep", 3) + " --max-steps 1").status, 0);
  const std::string deep = dir_.file("deep/generator.safetensors");
  Result shallow = run(with_blocks("shallow", 2) + " --max-steps 1 --lr 1e-12 --init-generator '" + deep +
                       "' --init-trunk-blocks 0,2");
  ASSERT_EQ(shallow.status, 0) << shallow.output;
  EXPECT_NE(shallow.output.find("G_A's trunk is blocks 0,2 of resnet_3blocks_cbam's 3"), std::string::npos)
      << shallow.output;
  const auto from = read_weights(deep).tensors, to = read_weights(dir_.file("shallow/generator.safetensors")).tensors;
  // resnet: blocks are model.10, 11, ...; the layers after them follow.
  for (const auto &[new_name, old_name] : std::vector<std::pair<std::string, std::string>>{
           {"model.1.weight", "model.1.weight"},
           {"model.10.conv_block.1.weight", "model.10.conv_block.1.weight"},
           {"model.11.conv_block.5.weight", "model.12.conv_block.5.weight"},
           {"model.11.cbam.mlp.0.weight", "model.12.cbam.mlp.0.weight"},
           {"model.12.weight", "model.13.weight"},
           {"model.19.weight", "model.20.weight"}})
    EXPECT_TRUE(torch::allclose(to.at(new_name), from.at(old_name), 1e-5, 1e-6)) << new_name << " from " << old_name;
  Result spread = run(with_blocks("spread", 2) + " --max-steps 1 --init-generator '" + deep + "'");
  ASSERT_EQ(spread.status, 0) << spread.output;
  EXPECT_NE(spread.output.find("blocks 0,2 of"), std::string::npos) << "the first and the last by default";

  EXPECT_FAILS_WITH(run(with_blocks("a", 2) + " --max-steps 1 --init-generator '" + deep + "' --init-trunk-blocks 0,1,2"),
                    "names 3 blocks, and resnet_2blocks_cbam has 2");
  EXPECT_FAILS_WITH(run(with_blocks("b", 2) + " --max-steps 1 --init-generator '" + deep + "' --init-trunk-blocks 2,0"),
                    "increasing order");
  EXPECT_FAILS_WITH(run(with_blocks("c", 2) + " --max-steps 1 --init-trunk-blocks 0,2"), "give --init-generator too");
  EXPECT_FAILS_WITH(run(with_blocks("d", 3) + " --max-steps 1 --init-generator '" + deep + "' --init-trunk-blocks 0,1,2"),
                    "takes blocks of a deeper generator");
}

}  // namespace
}  // namespace gncyclegan
