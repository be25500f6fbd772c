// Device selection, and the CUDA path where a GPU is visible (skipped, with the
// reason, where there is none).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <fstream>
#include <sstream>

#include "model/autocast.h"
#include "model/device.h"
#include "model/generator.h"
#include "model/gradient_normalization.h"
#include "model/layers.h"

namespace gncyclegan {
namespace {

std::string device_error(const std::string &spec) {
  try {
    resolve_device(spec);
  } catch (const DeviceError &error) {
    return error.what();
  }
  return "(no error)";
}

TEST(Device, CpuAndAutoAlwaysResolve) {
  EXPECT_TRUE(resolve_device("cpu").is_cpu());
  EXPECT_EQ(resolve_device("auto").is_cuda(), cuda_device_count() > 0);
}

TEST(Device, MalformedNamesAreRefused) {
  for (const char *spec : {"gpu", "cuda:", "cuda:x", "cuda:-1", "CPU", ""})
    EXPECT_NE(device_error(spec).find("not valid"), std::string::npos) << spec;
}

// The build links LibTorch's CUDA backend exactly when it was configured to:
// a linker that drops libtorch_cuda.so would make CUDA silently unavailable.
TEST(Device, TheCudaBackendIsLinkedWhenConfigured) {
#ifdef GNCYCLEGAN_WITH_CUDA
  EXPECT_TRUE(libtorch_has_cuda());
#else
  EXPECT_FALSE(libtorch_has_cuda());
#endif
}

TEST(Device, AskingForCudaWithoutItSaysWhy) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a GPU is visible; this checks machines without one";
  const std::string message = device_error("cuda");
  if (libtorch_has_cuda())
    EXPECT_NE(message.find("no GPU is visible"), std::string::npos) << message;
  else
    EXPECT_NE(message.find("no CUDA support"), std::string::npos) << message;
}

TEST(Device, DescribesTheCpu) {
  set_cpu_threads(2);
  EXPECT_EQ(describe_device(resolve_device("cpu")), "cpu (2 threads)");
}

// The kernel's own reading of CPUID, as an independent account of the bf16
// instructions that decide the default precision.
TEST(Device, NativeBf16AgreesWithTheKernelsCpuFlags) {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  bool found = false, listed = false;
  while (!found && std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    found = true;
    std::istringstream flags(line.substr(line.find(':') + 1));
    for (std::string flag; flags >> flag;) listed = listed || flag == "avx512_bf16" || flag == "amx_bf16";
  }
  if (!found) GTEST_SKIP() << "no x86 flags line in /proc/cpuinfo";
  EXPECT_EQ(cpu_has_native_bf16(), listed);
}

class OnGpu : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cuda_device_count() == 0)
      GTEST_SKIP() << (libtorch_has_cuda() ? "no GPU visible" : "LibTorch built without CUDA")
                   << ": CUDA test not run";
    // Compare true fp32 convolutions, not TF32 ones.
    at::globalContext().setAllowTF32CuDNN(false);
  }
};

TEST_F(OnGpu, OutOfRangeIndexIsRefused) {
  EXPECT_NE(device_error("cuda:" + std::to_string(cuda_device_count())).find("does not exist"), std::string::npos);
  EXPECT_NE(describe_device(resolve_device("cuda")).find("GiB"), std::string::npos);
}

TEST_F(OnGpu, GeneratorGivesTheCpuResult) {
  torch::NoGradGuard no_grad;
  auto generator = make_generator(GeneratorConfig::from_name("resnet_9blocks_cbam", 3, 1, 16));
  generator->eval();
  auto input = torch::rand({1, 3, 64, 96}) * 2 - 1;
  auto on_cpu = generator->forward(input);
  generator->to(resolve_device("cuda"));
  auto on_gpu = generator->forward(input.to(resolve_device("cuda"))).cpu();
  EXPECT_TRUE(torch::allclose(on_cpu, on_gpu, 1e-4, 1e-4)) << (on_cpu - on_gpu).abs().max();
}

// The CUDA path of our InstanceNorm (one var_mean reduction) against ATen's
// instance_norm, forward and backward, at a video-like shape.
TEST_F(OnGpu, InstanceNormMatchesAtensOnTheGpu) {
  auto x = torch::randn({1, 8, 120, 160}, torch::Device(torch::kCUDA)).mul(3).add(1).requires_grad_(true);
  auto ours = instance_norm(8)->forward(x);
  auto theirs = torch::instance_norm(x, {}, {}, {}, {}, true, 0.1, 1e-5, false);
  EXPECT_TRUE(torch::allclose(ours, theirs, 1e-4, 1e-5)) << (ours - theirs).abs().max();
  const auto weights = torch::randn_like(x);
  const auto grad_ours = torch::autograd::grad({(ours * weights).sum()}, {x})[0];
  const auto grad_theirs = torch::autograd::grad({(theirs * weights).sum()}, {x})[0];
  EXPECT_TRUE(torch::allclose(grad_ours, grad_theirs, 1e-3, 1e-5)) << (grad_ours - grad_theirs).abs().max();
}

TEST_F(OnGpu, GradientNormalizationDifferentiatesTwice) {
  DiscriminatorConfig config;
  config.ndf = 16;
  auto discriminator = make_discriminator(config);
  discriminator->to(resolve_device("cuda"));
  auto input = torch::randn({2, 1, 64, 64}, torch::Device(torch::kCUDA));
  auto f_hat = gradient_normalized(*discriminator, input, /*create_graph=*/true);
  EXPECT_LT(f_hat.abs().max().item<float>(), 1.0f);
  f_hat.mean().backward();
  EXPECT_TRUE(discriminator->model[0]->as<torch::nn::Conv2d>()->weight.grad().defined());
}

}  // namespace
}  // namespace gncyclegan
