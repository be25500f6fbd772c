// Interop with the real `safetensors` Python package. Runs where the
// environment variable GNCYCLEGAN_PYTHON names a Python that has `safetensors`
// and `numpy` (CI always provides one); skips, saying so, elsewhere.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "model/weights.h"
#include "tests/support/test_support.h"

#ifndef GNCYCLEGAN_SOURCE_DIR
#error "GNCYCLEGAN_SOURCE_DIR must name the source tree"
#endif

namespace gncyclegan {
namespace {

std::string python_with_safetensors() {
  const char *python = std::getenv("GNCYCLEGAN_PYTHON");
  if (!python || !*python) return "";
  std::string probe = std::string("'") + python + "' -c 'import safetensors, numpy' >/dev/null 2>&1";
  return std::system(probe.c_str()) == 0 ? python : "";
}

class SafetensorsPackage : public ::testing::Test {
 protected:
  void SetUp() override {
    python_ = python_with_safetensors();
    if (python_.empty())
      GTEST_SKIP() << "GNCYCLEGAN_PYTHON is not set to a Python with safetensors and numpy "
                      "(scripts/python-env.sh makes one): interop with the Python package not tested";
    torch::manual_seed(11);
    generator_ = make_generator(GeneratorConfig::from_name("resnet_2blocks_cbam", 3, 1, 8));
    save_generator(dir_.file("ours.safetensors"), *generator_, {{"steps", "42"}});
    const std::string command = "'" + python_ + "' '" GNCYCLEGAN_SOURCE_DIR "/tests/model/safetensors_interop.py' '" +
                                dir_.file("ours.safetensors") + "' '" + dir_.path().string() + "'";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }

  std::string python_;
  test::TemporaryDirectory dir_;
  std::shared_ptr<Generator> generator_;
};

TEST_F(SafetensorsPackage, ReadsOurFilesWithTheSameValues) {
  std::ifstream in(dir_.file("summary.json"));
  auto summary = nlohmann::json::parse(in);
  EXPECT_EQ(summary["metadata"]["architecture"], "resnet_2blocks_cbam");
  EXPECT_EQ(summary["metadata"]["steps"], "42");
  auto tensors = module_tensors(*generator_);
  ASSERT_EQ(summary["tensors"].size(), tensors.size());
  for (const auto &[name, tensor] : tensors) {
    const auto &entry = summary["tensors"][name];
    EXPECT_EQ(entry["dtype"], "float32") << name;
    EXPECT_EQ(entry["shape"].get<std::vector<int64_t>>(), tensor.sizes().vec()) << name;
    EXPECT_NEAR(entry["sum"].get<double>(), tensor.to(torch::kFloat64).sum().item<double>(), 1e-9) << name;
  }
}

TEST_F(SafetensorsPackage, ItsFilesLoadHereIdentically) {
  auto copy = load_generator(dir_.file("copy.safetensors"));
  auto original = module_tensors(*generator_);
  for (const auto &[name, tensor] : module_tensors(*copy.generator))
    EXPECT_TRUE(torch::equal(tensor, original.at(name))) << name;
  EXPECT_EQ(copy.metadata.at("steps"), "42");

  for (const auto &[name, tensor] : module_tensors(*load_generator(dir_.file("half.safetensors")).generator))
    EXPECT_TRUE(torch::equal(tensor, original.at(name).to(torch::kFloat16).to(torch::kFloat32))) << name;

  auto bare = load_generator(dir_.file("bare.safetensors"));
  EXPECT_EQ(bare.generator->config().architecture(), "resnet_2blocks_cbam");
  for (const auto &[name, tensor] : module_tensors(*bare.generator))
    EXPECT_TRUE(torch::equal(tensor, original.at(name))) << name;
}

}  // namespace
}  // namespace gncyclegan
