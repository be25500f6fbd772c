// The CPU's conversion loops against the LibTorch operations CUDA runs, for
// every format the element negotiates, at odd sizes (subsampled chroma with a
// half block at the edge), with every palette and both YUV ranges.
#include <gtest/gtest.h>

#include <gst/gst.h>
#include <gst/video/video.h>

#include <random>

#include "plugin/frame_conversion.h"
#include "plugin/frame_conversion_cpu.h"
#include "plugin/palette.h"

namespace gncycleganir {
namespace {

class MappedFrame {
 public:
  // A frame of `format` whose every byte (padding included) is random from `seed`.
  MappedFrame(GstVideoFormat format, int width, int height, unsigned seed, GstVideoColorRange range) {
    gst_video_info_set_format(&info_, format, width, height);
    info_.colorimetry.range = range;
    buffer_ = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info_), nullptr);
    GstMapInfo map;
    gst_buffer_map(buffer_, &map, GST_MAP_WRITE);
    std::mt19937 random(seed);
    for (gsize i = 0; i < map.size; ++i) map.data[i] = static_cast<guint8>(random());
    gst_buffer_unmap(buffer_, &map);
    EXPECT_TRUE(gst_video_frame_map(&frame_, &info_, buffer_, GST_MAP_READWRITE));
  }
  ~MappedFrame() {
    gst_video_frame_unmap(&frame_);
    gst_buffer_unref(buffer_);
  }
  GstVideoFrame *get() { return &frame_; }
  std::vector<guint8> bytes() const {
    GstMapInfo map;
    gst_buffer_map(buffer_, &map, GST_MAP_READ);
    std::vector<guint8> copy(map.data, map.data + map.size);
    gst_buffer_unmap(buffer_, &map);
    return copy;
  }

 private:
  GstVideoInfo info_;
  GstBuffer *buffer_;
  GstVideoFrame frame_;
};

class GstInit : public ::testing::Environment {
 public:
  void SetUp() override { gst_init(nullptr, nullptr); }
};
const auto *const gst_init_environment = ::testing::AddGlobalTestEnvironment(new GstInit);

GstVideoFormat format_of(const char *name) { return gst_video_format_from_string(name); }

class CpuConversion : public ::testing::TestWithParam<const char *> {};

TEST_P(CpuConversion, FrameToModelEqualsTheOperations) {
  for (auto range : {GST_VIDEO_COLOR_RANGE_16_235, GST_VIDEO_COLOR_RANGE_0_255}) {
    MappedFrame frame(format_of(GetParam()), 45, 31, 3, range);
    std::vector<torch::Tensor> staging;
    const auto expected = frame_to_model_by_ops(frame.get(), c10::Device(c10::kCPU), staging);
    const auto actual = frame_to_model_cpu(frame.get());
    ASSERT_EQ(actual.sizes(), expected.sizes());
    EXPECT_LT((actual - expected).abs().max().item<double>(), 1e-5) << GetParam() << " range " << range;
  }
}

// At another size, resized as the frame is read: what resizing the
// full-size result with at::upsample_bilinear2d gives, smaller (the element's
// inference size), at a ratio that is not a whole number, and larger.
TEST_P(CpuConversion, FrameToModelResizesAsUpsampleBilinear) {
  MappedFrame frame(format_of(GetParam()), 45, 31, 5, GST_VIDEO_COLOR_RANGE_16_235);
  const auto full = frame_to_model_cpu(frame.get());
  for (auto [width, height] : {std::pair{22, 15}, std::pair{17, 12}, std::pair{45, 15}, std::pair{60, 40}}) {
    const auto expected = at::upsample_bilinear2d(full, {height, width}, /*align_corners=*/false);
    const auto actual = frame_to_model_cpu(frame.get(), width, height);
    ASSERT_EQ(actual.sizes(), expected.sizes());
    EXPECT_LT((actual - expected).abs().max().item<double>(), 1e-5) << GetParam() << " at " << width << "x" << height;
  }
  std::vector<torch::Tensor> staging;
  const auto through_dispatch = frame_to_model(frame.get(), c10::Device(c10::kCPU), staging, FrameMemory::host, 22, 15);
  EXPECT_TRUE(torch::equal(through_dispatch, frame_to_model_cpu(frame.get(), 22, 15)));
}

// By hand: halving a 4 x 2 gray frame averages each 2 x 2 block (the
// samples fall between the pixels): levels 0 / 255 are -1 / 1, so the left
// block (three 255s, one 0) gives 0.5 and the right (two of each) 0.
TEST(CpuConversionResized, HalvingAveragesTwoByTwoBlocks) {
  MappedFrame frame(format_of("GRAY8"), 4, 2, 1, GST_VIDEO_COLOR_RANGE_0_255);
  const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(frame.get(), 0);
  auto *data = static_cast<guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(frame.get(), 0));
  const guint8 rows[2][4] = {{0, 255, 255, 0}, {255, 255, 255, 0}};
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 4; ++x) data[y * stride + x] = rows[y][x];
  const auto rgb = frame_to_model_cpu(frame.get(), 2, 1);
  ASSERT_EQ(rgb.sizes(), (std::vector<int64_t>{1, 3, 1, 2}));
  for (int c = 0; c < 3; ++c) {
    EXPECT_FLOAT_EQ(rgb[0][c][0][0].item<float>(), 0.5f);
    EXPECT_FLOAT_EQ(rgb[0][c][0][1].item<float>(), 0.0f);
  }
}

INSTANTIATE_TEST_SUITE_P(SinkFormats, CpuConversion,
                         ::testing::Values("YUY2", "NV12", "I420", "RGB", "BGR", "RGBx", "BGRx", "xRGB", "xBGR",
                                           "RGBA", "BGRA", "ARGB", "ABGR", "GRAY8"));

class CpuWriting : public ::testing::TestWithParam<const char *> {};

TEST_P(CpuWriting, ModelToFrameWritesTheOperationsBytes) {
  torch::manual_seed(2);
  // Values across the range, beyond it (clamped), and exactly between two levels.
  auto infrared = torch::rand({1, 1, 31, 45}) * 2.4 - 1.2;
  infrared[0][0][0][0] = (2.5 / 127.5) - 1;  // level 2.5: rounds to even (2)
  for (Palette palette : {Palette::white_hot, Palette::black_hot, Palette::ironbow, Palette::arctic}) {
    for (auto range : {GST_VIDEO_COLOR_RANGE_16_235, GST_VIDEO_COLOR_RANGE_0_255}) {
      const auto table = palette_table(palette);
      MappedFrame by_ops(format_of(GetParam()), 45, 31, 9, range), by_loops(format_of(GetParam()), 45, 31, 9, range);
      std::vector<torch::Tensor> staging;
      model_to_frame_by_ops(infrared, palette, table, by_ops.get(), staging);
      model_to_frame_cpu(infrared, palette, table, by_loops.get());
      EXPECT_EQ(by_loops.bytes(), by_ops.bytes()) << GetParam() << ", palette " << int(palette) << ", range " << range;
    }
  }
}

// An output at another size than the frame's is resized as it is written,
// as at::upsample_bilinear2d resizes: the same bytes as resizing first, but
// for a level where the two round a value within float error of a half apart.
TEST_P(CpuWriting, ModelToFrameResizesAsUpsampleBilinear) {
  torch::manual_seed(3);
  const auto infrared = torch::rand({1, 1, 13, 17}) * 2.2 - 1.1;
  for (Palette palette : {Palette::white_hot, Palette::ironbow}) {
    const auto table = palette_table(palette);
    MappedFrame resized_first(format_of(GetParam()), 45, 31, 9, GST_VIDEO_COLOR_RANGE_16_235),
        resized_writing(format_of(GetParam()), 45, 31, 9, GST_VIDEO_COLOR_RANGE_16_235);
    model_to_frame_cpu(at::upsample_bilinear2d(infrared, {31, 45}, false), palette, table, resized_first.get());
    model_to_frame_cpu(infrared, palette, table, resized_writing.get());
    const auto expected = resized_first.bytes(), actual = resized_writing.bytes();
    ASSERT_EQ(actual.size(), expected.size());
    size_t differ = 0;
    for (size_t i = 0; i < actual.size(); ++i) differ += actual[i] != expected[i];
    EXPECT_LE(differ, actual.size() / 200) << GetParam() << ", palette " << int(palette);
  }
}

INSTANTIATE_TEST_SUITE_P(SourceFormats, CpuWriting,
                         ::testing::Values("BGRx", "RGBx", "BGRA", "RGBA", "RGB", "I420", "NV12", "YUY2", "GRAY8",
                                           "GRAY16_LE"));

// By hand: [[-1, 1], [1, -1]] doubled in each direction. Along an axis the
// four outputs take (1, 0), (3/4, 1/4), (1/4, 3/4), (0, 1) of the two inputs
// (half-pixel centres, edges clamped), so output (y, x) is -d(y) * d(x) with
// d = (-1, -1/2, 1/2, 1); a level is round((value + 1) * 127.5).
TEST(CpuWritingResized, DoublesATwoByTwoAsBilinearResizingDoes) {
  const auto infrared = torch::tensor({-1.0f, 1.0f, 1.0f, -1.0f}).view({1, 1, 2, 2});
  MappedFrame frame(format_of("GRAY8"), 4, 4, 1, GST_VIDEO_COLOR_RANGE_0_255);
  model_to_frame_cpu(infrared, Palette::white_hot, palette_table(Palette::white_hot), frame.get());
  const std::vector<std::vector<int>> expected{
      {0, 64, 191, 255}, {64, 96, 159, 191}, {191, 159, 96, 64}, {255, 191, 64, 0}};
  const auto bytes = frame.bytes();
  const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(frame.get(), 0);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) EXPECT_EQ(bytes[size_t(y * stride + x)], expected[size_t(y)][size_t(x)]) << y << ", " << x;
}

}  // namespace
}  // namespace gncycleganir
