#include <gtest/gtest.h>

#include <torch/torch.h>

#include "model/pixels.h"

namespace gncyclegan {
namespace {

TEST(Pixels, EightBitMapsOntoMinusOneOne) {
  auto values = pixels_to_model(torch::tensor({0, 51, 255}, torch::kUInt8));
  EXPECT_NEAR(values[0].item<float>(), -1.0f, 1e-7);
  EXPECT_NEAR(values[1].item<float>(), 51 / 127.5f - 1, 1e-7);  // -0.6
  EXPECT_NEAR(values[2].item<float>(), 1.0f, 1e-7);
}

TEST(Pixels, OutputRoundsToNearestAndClamps) {
  auto pixels = model_to_u8(torch::tensor({-2.0f, -1.0f, 0.0f, 0.5f, 0.999f, 1.0f, 3.0f}));
  // (y + 1) * 127.5: 0, 0, 127.5 -> 128 (tie to even), 191.25 -> 191, 254.87 -> 255.
  EXPECT_TRUE(torch::equal(pixels, torch::tensor({0, 0, 128, 191, 255, 255, 255}, torch::kUInt8))) << pixels;
}

TEST(Pixels, EveryEightBitValueSurvivesTheRoundTrip) {
  auto all = torch::arange(256, torch::kInt32).to(torch::kUInt8);
  EXPECT_TRUE(torch::equal(model_to_u8(pixels_to_model(all)), all));
}

TEST(Pixels, SixteenBitUsesTheFullRange) {
  auto values = model_to_u16(torch::tensor({-1.0f, 0.0f, 1.0f}));
  // 32767.5 -> 32768 (tie to even).
  EXPECT_TRUE(torch::equal(values, torch::tensor({0, 32768, 65535}, torch::kInt32))) << values;
  auto back = pixels_to_model(torch::tensor({0, 65535}, torch::kInt32));
  EXPECT_NEAR(back[0].item<float>(), -1.0f, 1e-7);
  EXPECT_NEAR(back[1].item<float>(), 1.0f, 1e-7);
  EXPECT_THROW(pixels_to_model(torch::tensor({0.5f})), std::invalid_argument);
}

}  // namespace
}  // namespace gncyclegan
