// Gradient normalization's guarantees (Wu et al., ICCV 2021): |f_hat| < 1, and
// for a piecewise-linear discriminator (PatchGAN without norm layers) f_hat is
// 1-Lipschitz: ||grad_x f_hat|| = ||grad f||^2 / (||grad f|| + |f|)^2 <= 1.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "model/gradient_normalization.h"

namespace gncyclegan {
namespace {

std::shared_ptr<PatchGan> discriminator(DiscriminatorNorm norm, int ndf = 8) {
  DiscriminatorConfig config;
  config.in_channels = 1;
  config.ndf = ndf;
  config.norm = norm;
  return make_discriminator(config);
}

TEST(GradientNormalization, OutputIsStrictlyInsideMinusOneOne) {
  torch::manual_seed(1);
  for (auto norm : {DiscriminatorNorm::none, DiscriminatorNorm::instance}) {
    auto d = discriminator(norm);
    auto f_hat = gradient_normalized(*d, torch::randn({4, 1, 64, 64}) * 3, /*create_graph=*/false);
    EXPECT_EQ(f_hat.sizes(), (std::vector<int64_t>{4, 1, 6, 6}));
    EXPECT_LT(f_hat.abs().max().item<float>(), 1.0f) << to_string(norm);
    EXPECT_GT(f_hat.abs().max().item<float>(), 0.0f);
  }
}

TEST(GradientNormalization, IsOneLipschitzForAPiecewiseLinearPatchGan) {
  torch::manual_seed(2);
  auto d = discriminator(DiscriminatorNorm::none);
  // 24 x 24 gives a single logit per image, the scalar case the bound is about.
  auto x = torch::randn({8, 1, 24, 24}).requires_grad_(true);
  auto f_hat = gradient_normalized(*d, x, /*create_graph=*/true);
  ASSERT_EQ(f_hat.sizes(), (std::vector<int64_t>{8, 1, 1, 1}));
  // Samples are independent, so the gradient of the sum holds each one's own.
  auto gradient = torch::autograd::grad({f_hat.sum()}, {x})[0];
  auto norms = gradient.flatten(1).norm(2, {1});
  EXPECT_LE(norms.max().item<float>(), 1.0f + 1e-4f) << norms;
  EXPECT_GT(norms.min().item<float>(), 0.0f);
}

TEST(GradientNormalization, MatchesTheClosedFormForOneLogit) {
  torch::manual_seed(3);
  auto d = discriminator(DiscriminatorNorm::none);
  auto x = torch::randn({1, 1, 24, 24});
  auto probe = x.clone().requires_grad_(true);
  auto f = d->forward(probe);
  auto g = torch::autograd::grad({f.sum()}, {probe})[0].norm();
  auto expected = f / (g + f.abs());
  auto f_hat = gradient_normalized(*d, x, /*create_graph=*/false);
  EXPECT_TRUE(torch::allclose(f_hat, expected, 1e-5, 1e-7));
}

TEST(GradientNormalization, NeverMarksTheCallersTensor) {
  auto d = discriminator(DiscriminatorNorm::instance);
  auto real = torch::randn({1, 1, 32, 32});
  gradient_normalized(*d, real, /*create_graph=*/true).sum().backward();
  EXPECT_FALSE(real.requires_grad());
  EXPECT_FALSE(real.grad().defined());
}

TEST(GradientNormalization, PassesGradientsBackToAGeneratorOutput) {
  auto d = discriminator(DiscriminatorNorm::instance);
  auto source = torch::randn({1, 1, 32, 32}, torch::requires_grad());
  auto fake = torch::tanh(source * 2);  // stands in for G(x)
  gradient_normalized(*d, fake, /*create_graph=*/true).mean().backward();
  ASSERT_TRUE(source.grad().defined());
  EXPECT_GT(source.grad().abs().sum().item<float>(), 0.0f);
  // create_graph: the discriminator's weights get gradients through ||grad f|| too.
  EXPECT_TRUE(d->model[0]->as<torch::nn::Conv2d>()->weight.grad().defined());
}

}  // namespace
}  // namespace gncyclegan
