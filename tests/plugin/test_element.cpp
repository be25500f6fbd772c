// The gncycleganir element through GStreamer's own harness (GstHarness) and
// real pipelines: its output against the model library's forward, every
// format it negotiates, palettes, properties, state changes, errors on the
// bus, latency, QoS and memory over many frames.
#include <gtest/gtest.h>

#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <thread>

#ifdef GNCYCLEGAN_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

#include "model/any_size.h"
#include "model/device.h"
#include "model/pixels.h"
#include "model/weights.h"
#include "engine/adaptive_size.h"
#include "engine/inference_engine.h"
#include "plugin/palette.h"
#include "tests/support/frame_bytes.h"
#include "tests/support/test_support.h"

namespace gncycleganir {
namespace {

namespace test = gncyclegan::test;
using test::random_frame;

class GstEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { gst_init(nullptr, nullptr); }
};
const auto *const gst_environment = ::testing::AddGlobalTestEnvironment(new GstEnvironment);

// A small generator saved by the test: its forward is the reference.
class Element : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(7);
    auto config = gncyclegan::GeneratorConfig::from_name("resnet_1blocks_cbam");
    config.ngf = 4;
    generator_ = gncyclegan::make_generator(config);
    generator_->eval();
    model_ = dir_.file("g.safetensors");
    gncyclegan::save_generator(model_, *generator_);
  }
  void TearDown() override {
    for (GstHarness *harness : harnesses_) gst_harness_teardown(harness);
  }

  GstHarness *harness(const std::string &properties, const std::string &in_caps, const std::string &out_caps) {
    // fp32: the tests that compare against LibTorch's forward expect its result to a gray level.
    const std::string description = "gncycleganir num-threads=1 precision=fp32 model=\"" + model_ + "\" " + properties;
    GstHarness *h = gst_harness_new_parse(description.c_str());
    harnesses_.push_back(h);
    gst_harness_set_src_caps_str(h, in_caps.c_str());
    gst_harness_set_sink_caps_str(h, out_caps.c_str());
    return h;
  }

  // random_frame(caps, 1) with every byte moved by -8..8 (drawn from seed).
  static GstBuffer *nudged_frame(const std::string &caps, unsigned seed) {
    GstBuffer *buffer = random_frame(caps, 1);
    GstMapInfo map;
    gst_buffer_map(buffer, &map, GST_MAP_WRITE);
    std::mt19937 random(seed);
    for (gsize i = 0; i < map.size; ++i) map.data[i] = guint8(std::clamp(int(map.data[i]) + int(random() % 17) - 8, 0, 255));
    gst_buffer_unmap(buffer, &map);
    return buffer;
  }

  // Pushes one frame and returns the output bytes of plane 0's rows, unpadded.
  static std::vector<guint8> convert(GstHarness *h, const std::string &in_caps, unsigned seed = 1) {
    EXPECT_EQ(gst_harness_push(h, random_frame(in_caps, seed)), GST_FLOW_OK);
    return output_bytes(h);
  }

  // Pulls one output frame: the bytes of plane 0's rows, unpadded.
  static std::vector<guint8> output_bytes(GstHarness *h) {
    GstBuffer *out = gst_harness_pull(h);
    EXPECT_NE(out, nullptr);
    if (!out) return {};
    std::vector<guint8> bytes;
    EXPECT_TRUE(test::first_plane_rows(h->sinkpad, out, bytes));
    gst_buffer_unref(out);
    return bytes;
  }

  // Pushes `count` random frames of `caps` through and drops the output.
  static void convert_frames(GstHarness *h, const std::string &caps, int count) {
    for (int i = 0; i < count; ++i) {
      ASSERT_EQ(gst_harness_push(h, random_frame(caps, i)), GST_FLOW_OK);
      gst_buffer_unref(gst_harness_pull(h));
    }
  }

  test::TemporaryDirectory dir_;
  std::shared_ptr<gncyclegan::Generator> generator_;
  std::string model_;
  std::vector<GstHarness *> harnesses_;
};

const std::string kRgb = "video/x-raw,format=RGB,width=45,height=31,framerate=30/1";

TEST_F(Element, GrayOutputEqualsTheModelLibrarysForward) {
  GstHarness *h = harness("", kRgb, "video/x-raw,format=GRAY8");
  const auto output = convert(h, kRgb, 3);

  // The same frame, through the model library: RGB bytes (rows padded to 4).
  GstBuffer *frame = random_frame(kRgb, 3);
  GstMapInfo map;
  gst_buffer_map(frame, &map, GST_MAP_READ);
  const int stride = (45 * 3 + 3) / 4 * 4;
  auto pixels = torch::from_blob(map.data, {31, stride}, torch::kUInt8).slice(1, 0, 45 * 3).reshape({31, 45, 3});
  auto input = gncyclegan::pixels_to_model(pixels.permute({2, 0, 1}).unsqueeze(0).contiguous());
  auto expected = gncyclegan::model_to_u8(gncyclegan::forward_any_size(*generator_, input))[0][0];
  gst_buffer_unmap(frame, &map);
  gst_buffer_unref(frame);

  ASSERT_EQ(output.size(), size_t(45 * 31));
  auto actual = torch::from_blob(const_cast<guint8 *>(output.data()), {31, 45}, torch::kUInt8);
  const int worst = (actual.to(torch::kInt) - expected.to(torch::kInt)).abs().max().item<int>();
  EXPECT_LE(worst, 1) << "gray levels apart";
}

const std::vector<std::string> kSinkFormats{"YUY2", "NV12", "I420", "RGB",  "BGR",  "RGBx", "BGRx",
                                          "xRGB", "xBGR", "RGBA", "BGRA", "ARGB", "ABGR", "GRAY8"};
const std::vector<std::string> kSourceFormats{"BGRx", "RGBx", "BGRA", "RGBA", "RGB",
                                              "I420", "NV12", "YUY2", "GRAY8", "GRAY16_LE"};

TEST_F(Element, EverySinkFormatMeetsEverySourceFormatAtOddSizes) {
  const auto &sink = kSinkFormats;
  const auto &source = kSourceFormats;
  for (const auto &in : sink)
    for (const auto &out : source) {
      const std::string in_caps = "video/x-raw,format=" + in + ",width=33,height=25,framerate=25/1";
      GstHarness *h = harness("", in_caps, "video/x-raw,format=" + out);
      ASSERT_EQ(gst_harness_push(h, random_frame(in_caps, 1)), GST_FLOW_OK) << in << " -> " << out;
      GstBuffer *buffer = gst_harness_pull(h);
      ASSERT_NE(buffer, nullptr) << in << " -> " << out;
      GstCaps *caps = gst_pad_get_current_caps(h->sinkpad);
      GstVideoInfo info;
      ASSERT_TRUE(gst_video_info_from_caps(&info, caps));
      EXPECT_STREQ(gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(&info)), out.c_str());
      EXPECT_EQ(GST_VIDEO_INFO_WIDTH(&info), 33);
      EXPECT_EQ(GST_VIDEO_INFO_HEIGHT(&info), 25);
      EXPECT_EQ(GST_VIDEO_INFO_FPS_N(&info), 25);
      EXPECT_GE(gst_buffer_get_size(buffer), GST_VIDEO_INFO_SIZE(&info)) << in << " -> " << out;
      gst_caps_unref(caps);
      gst_buffer_unref(buffer);
      gst_harness_teardown(h);
      harnesses_.pop_back();
    }
}

// The CUDA path (upload through pinned buffers, colour conversion, network,
// palette and download on the GPU) against the CPU path on the same frames.
// Skipped, with the reason, where no GPU is visible.
class ElementOnGpu : public Element {
 protected:
  void SetUp() override {
    if (gncyclegan::cuda_device_count() == 0)
      GTEST_SKIP() << (gncyclegan::libtorch_has_cuda() ? "no GPU visible" : "LibTorch built without CUDA")
                   << ": CUDA test not run";
    Element::SetUp();
    // Compare true fp32 convolutions with the CPU's, not TF32 ones.
    at::globalContext().setAllowTF32CuDNN(false);
  }
  void TearDown() override {
    Element::TearDown();
    at::globalContext().setAllowTF32CuDNN(true);
  }

  // The frame converted on `device`, with extra element properties.
  std::vector<guint8> on(const std::string &device, const std::string &properties, const std::string &in_caps,
                         const std::string &out_format) {
    return convert(harness("device=" + device + " " + properties, in_caps, "video/x-raw,format=" + out_format), in_caps);
  }
};

int worst_difference(const std::vector<guint8> &a, const std::vector<guint8> &b) {
  int worst = a.size() == b.size() ? 0 : 256;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

TEST_F(ElementOnGpu, EveryInputFormatGivesTheCpuResult) {
  for (const auto &format : kSinkFormats) {
    const std::string caps = "video/x-raw,format=" + format + ",width=45,height=31,framerate=30/1";
    EXPECT_LE(worst_difference(on("cpu", "", caps, "GRAY8"), on("cuda", "", caps, "GRAY8")), 1)
        << format << ": gray levels apart";
  }
}

TEST_F(ElementOnGpu, EveryOutputFormatAndPaletteGivesTheCpuResult) {
  for (const auto &format : kSourceFormats)
    for (const char *palette : {"white-hot", "black-hot", "ironbow"}) {
      const std::string properties = std::string("palette=") + palette;
      const auto cpu = on("cpu", properties, kRgb, format), gpu = on("cuda", properties, kRgb, format);
      ASSERT_EQ(cpu.size(), gpu.size()) << format << " " << palette;
      if (format == "GRAY16_LE") {  // within a quarter of an 8-bit level
        int worst = 0;
        for (size_t i = 0; i + 1 < cpu.size(); i += 2)
          worst = std::max(worst, std::abs((cpu[i] | cpu[i + 1] << 8) - (gpu[i] | gpu[i + 1] << 8)));
        EXPECT_LE(worst, 64) << palette;
        continue;
      }
      // A pixel whose level rounds the other way takes the neighbouring colour.
      size_t differing = 0;
      for (size_t i = 0; i < cpu.size(); ++i) differing += cpu[i] != gpu[i];
      EXPECT_LE(differing, cpu.size() / 100) << format << " " << palette << ": bytes that differ";
    }
}

TEST_F(ElementOnGpu, TheCudaGraphGivesTheOpByOpResult) {
  for (const char *precision : {"fp32", "fp16"}) {
    const std::string properties = std::string("precision=") + precision;
    EXPECT_LE(worst_difference(on("cuda", properties, kRgb, "GRAY8"),
                               on("cuda", properties + " cuda-graph=false", kRgb, "GRAY8")), 1)
        << precision << ": gray levels apart";
  }
}

TEST_F(ElementOnGpu, Fp16StaysWithinAFewGrayLevelsOfFp32) {
  const auto fp32 = on("cuda", "precision=fp32", kRgb, "GRAY8");
  const auto fp16 = on("cuda", "precision=fp16", kRgb, "GRAY8");
  EXPECT_LE(worst_difference(fp32, fp16), 4) << "gray levels apart";
}

TEST_F(ElementOnGpu, TheWarmedUpGeneratorReplaysACudaGraphOfTheSameForward) {
  EngineSettings settings;
  settings.model_path = model_;
  settings.device = "cuda";
  InferenceEngine engine(settings);
  engine.warm_up(45, 31);
  ASSERT_TRUE(engine.replays_cuda_graph()) << engine.cuda_graph_error();
  auto scope = engine.use_stream();
  generator_->to(engine.device());
  // Two different frames: each replay reads its own input. A frame of another size runs op by op.
  for (const auto &size : {std::array<int64_t, 2>{31, 45}, std::array<int64_t, 2>{31, 45}, std::array<int64_t, 2>{20, 30}}) {
    const auto frame = (torch::rand({1, 3, size[0], size[1]}) * 2 - 1).to(engine.device());
    const auto expected = gncyclegan::forward_any_size(*generator_, frame).cpu();
    const auto actual = engine.translate(frame).cpu();
    EXPECT_TRUE(torch::allclose(actual, expected, 1e-4, 1e-4)) << (actual - expected).abs().max();
  }
}

TEST_F(ElementOnGpu, DeviceMemoryStaysFlatOverAThousandFrames) {
#ifdef GNCYCLEGAN_WITH_CUDA
  const std::string caps = "video/x-raw,format=NV12,width=64,height=48,framerate=30/1";
  GstHarness *h = harness("device=cuda palette=ironbow", caps, "video/x-raw,format=I420");
  auto push_pull = [&](int count) { convert_frames(h, caps, count); };
  using c10::CachingAllocator::StatType;
  auto stats = [] { return c10::cuda::CUDACachingAllocator::getDeviceStats(0); };
  push_pull(50);
  const auto before = stats();
  push_pull(1000);
  const auto after = stats();
  const auto aggregate = static_cast<size_t>(StatType::AGGREGATE);
  EXPECT_EQ(after.allocated_bytes[aggregate].current, before.allocated_bytes[aggregate].current)
      << "tensors left on the GPU";
  EXPECT_LT(after.reserved_bytes[aggregate].current - before.reserved_bytes[aggregate].current, 20 << 20)
      << "bytes reserved by the CUDA allocator grew";
#endif
}

// Temporal smoothing blends the previous output into the next frame's where
// the scene holds (here: the same frame, slightly nudged); a discontinuity or
// a flush starts over from the generator's own output. Automatic (the
// default): on, except for a live source on the CPU.
TEST_F(Element, TemporalSmoothingBlendsConsecutiveFramesAndStartsOverAfterABreak) {
  const std::string caps = "video/x-raw,format=GRAY8,width=96,height=72,framerate=30/1";
  enum Break { none, discont, flush };
  auto second_output = [&](const std::string &properties, Break what, bool live = false) {
    GstHarness *h = harness(properties, caps, "video/x-raw,format=GRAY8");
    gst_harness_set_live(h, live);
    EXPECT_EQ(gst_harness_push(h, nudged_frame(caps, 0)), GST_FLOW_OK);
    output_bytes(h);
    GstBuffer *next = nudged_frame(caps, 1);
    if (what == discont) GST_BUFFER_FLAG_SET(next, GST_BUFFER_FLAG_DISCONT);
    if (what == flush) {
      EXPECT_TRUE(gst_harness_push_event(h, gst_event_new_flush_start()));
      EXPECT_TRUE(gst_harness_push_event(h, gst_event_new_flush_stop(TRUE)));
      GstSegment segment;
      gst_segment_init(&segment, GST_FORMAT_TIME);
      EXPECT_TRUE(gst_harness_push_event(h, gst_event_new_segment(&segment)));
    }
    EXPECT_EQ(gst_harness_push(h, next), GST_FLOW_OK);
    return output_bytes(h);
  };
  const auto generator = second_output("temporal-smoothing=0", none);
  size_t blended = 0;
  const auto smoothed = second_output("temporal-smoothing=0.9", none);
  for (size_t i = 0; i < generator.size(); ++i) blended += smoothed[i] != generator[i];
  EXPECT_GT(blended, generator.size() / 4) << "pixels that took part of the previous output";
  EXPECT_EQ(second_output("", none), smoothed) << "automatic: 0.9 for a source that is not live";
  EXPECT_EQ(second_output("", none, true), generator) << "automatic: off for a live source on the CPU";
  EXPECT_EQ(second_output("temporal-smoothing=0.9", none, true), smoothed);
  EXPECT_EQ(second_output("temporal-smoothing=0.9", discont), generator);
  EXPECT_EQ(second_output("temporal-smoothing=0.9", flush), generator);
}

TEST_F(Element, ColourPalettesGiveAGrayWhenWhiteHotAndRgbOtherwise) {
  auto white = convert(harness("", kRgb, "video/x-raw,format=RGB"), kRgb);
  for (size_t i = 0; i + 2 < white.size(); i += 3) {
    ASSERT_EQ(white[i], white[i + 1]);
    ASSERT_EQ(white[i], white[i + 2]);
  }
  auto ironbow = convert(harness("palette=ironbow", kRgb, "video/x-raw,format=RGB"), kRgb);
  const auto table = palette_table(Palette::ironbow);
  for (size_t i = 0; i + 2 < white.size(); i += 3)
    for (int c = 0; c < 3; ++c) ASSERT_EQ(ironbow[i + c], table[white[i]][c].item<int>()) << "pixel " << i / 3;
}

TEST_F(Element, PaddingBytesAreOpaque) {
  for (const char *format : {"BGRx", "RGBx"}) {
    const auto bytes = convert(harness("palette=ironbow", kRgb, std::string("video/x-raw,format=") + format), kRgb);
    ASSERT_EQ(bytes.size(), size_t(45 * 31 * 4));
    for (size_t i = 3; i < bytes.size(); i += 4) ASSERT_EQ(bytes[i], 255) << format << " pixel " << i / 4;
  }
}

TEST_F(Element, BlackHotIsWhiteHotInverted) {
  for (const char *format : {"GRAY8", "RGB"}) {
    const std::string out = std::string("video/x-raw,format=") + format;
    auto white = convert(harness("", kRgb, out), kRgb);
    auto black = convert(harness("palette=black-hot", kRgb, out), kRgb);
    ASSERT_EQ(white.size(), black.size());
    for (size_t i = 0; i < white.size(); ++i) ASSERT_EQ(black[i], 255 - white[i]) << format << " byte " << i;
  }
}

TEST_F(Element, Gray16CarriesTheFullPrecisionIntensity) {
  auto gray8 = convert(harness("", kRgb, "video/x-raw,format=GRAY8"), kRgb);
  auto gray16 = convert(harness("", kRgb, "video/x-raw,format=GRAY16_LE"), kRgb);
  ASSERT_EQ(gray16.size(), 2 * gray8.size());
  for (size_t i = 0; i < gray8.size(); ++i) {
    const int value = gray16[2 * i] | gray16[2 * i + 1] << 8;  // little-endian
    ASSERT_NEAR(value / 257.0, gray8[i], 0.51) << "pixel " << i;
  }
}

TEST_F(Element, PaletteEndsAreAsDocumented) {
  const std::vector<std::pair<Palette, std::array<int, 6>>> ends{
      {Palette::white_hot, {0, 0, 0, 255, 255, 255}}, {Palette::black_hot, {255, 255, 255, 0, 0, 0}},
      {Palette::ironbow, {0, 0, 0, 255, 255, 255}},   {Palette::rainbow, {0, 0, 0, 255, 255, 255}},
      {Palette::lava, {0, 0, 0, 255, 255, 255}},      {Palette::arctic, {0, 0, 0, 255, 255, 255}}};
  for (const auto &[palette, rgb] : ends) {
    const auto table = palette_table(palette);
    for (int c = 0; c < 3; ++c) {
      EXPECT_EQ(table[0][c].item<int>(), rgb[c]) << palette_name(palette);
      EXPECT_EQ(table[255][c].item<int>(), rgb[3 + c]) << palette_name(palette);
    }
  }
  // Ironbow's middle is warm: red dominates blue and green at level 160.
  const auto middle = palette_table(Palette::ironbow)[160];
  EXPECT_GT(middle[0].item<int>(), middle[1].item<int>());
  EXPECT_GT(middle[0].item<int>(), middle[2].item<int>());
  EXPECT_EQ(palette_from_name("lava"), Palette::lava);
  EXPECT_FALSE(palette_from_name("purple").has_value());
}

TEST_F(Element, PropertiesRoundTripAndBadValuesAreRefused) {
  GstElement *element = gst_element_factory_make("gncycleganir", nullptr);
  ASSERT_NE(element, nullptr);
  gboolean cuda_graph = FALSE;
  gint precision = -1, backend = -1;
  g_object_get(element, "cuda-graph", &cuda_graph, "precision", &precision, "backend", &backend, nullptr);
  EXPECT_TRUE(cuda_graph) << "on by default";
  EXPECT_EQ(precision, int(Precision::automatic));
  EXPECT_EQ(backend, int(Backend::automatic));
  gdouble smoothing = -1;
  g_object_get(element, "temporal-smoothing", &smoothing, nullptr);
  EXPECT_DOUBLE_EQ(smoothing, -1) << "automatic by default";
  g_object_set(element, "temporal-smoothing", 0.5, nullptr);
  g_object_get(element, "temporal-smoothing", &smoothing, nullptr);
  EXPECT_DOUBLE_EQ(smoothing, 0.5);
  g_object_set(element, "cuda-graph", FALSE, nullptr);
  g_object_get(element, "cuda-graph", &cuda_graph, nullptr);
  EXPECT_FALSE(cuda_graph);
  g_object_set(element, "model", "/some/file.safetensors", "device", "cuda:1", "inference-width", 320,
               "inference-height", 240, "num-threads", 3, nullptr);
  gst_util_set_object_arg(G_OBJECT(element), "palette", "lava");
  gst_util_set_object_arg(G_OBJECT(element), "precision", "bf16");
  gst_util_set_object_arg(G_OBJECT(element), "backend", "libtorch");
  gchar *model = nullptr, *device = nullptr;
  guint width = 0, height = 0, threads = 0;
  gint palette = -1;
  g_object_get(element, "model", &model, "device", &device, "inference-width", &width, "inference-height", &height,
               "num-threads", &threads, "palette", &palette, "precision", &precision, "backend", &backend, nullptr);
  EXPECT_STREQ(model, "/some/file.safetensors");
  EXPECT_STREQ(device, "cuda:1");
  EXPECT_EQ(width, 320u);
  EXPECT_EQ(height, 240u);
  EXPECT_EQ(threads, 3u);
  EXPECT_EQ(palette, int(Palette::lava));
  EXPECT_EQ(precision, int(Precision::bf16));
  EXPECT_EQ(backend, int(Backend::libtorch));
  g_free(model);
  g_free(device);

  g_object_set(element, "device", "gpu", nullptr);  // refused with a warning
  g_object_get(element, "device", &device, nullptr);
  EXPECT_STREQ(device, "cuda:1");
  g_free(device);
  gst_util_set_object_arg(G_OBJECT(element), "palette", "purple");  // not a palette
  g_object_get(element, "palette", &palette, nullptr);
  EXPECT_EQ(palette, int(Palette::lava));

  guint64 frames = 1;
  gdouble latency = 1;
  guint active_width = 1, active_height = 1;
  g_object_get(element, "frames-processed", &frames, "mean-latency", &latency, "active-inference-width",
               &active_width, "active-inference-height", &active_height, nullptr);
  EXPECT_EQ(frames, 0u);
  EXPECT_EQ(latency, 0.0);
  EXPECT_EQ(active_width, 0u) << "no size before caps";
  EXPECT_EQ(active_height, 0u);
  guint batch_size = 0, batch_timeout = 0, engine_streams = 1;
  gchar *engine_id = nullptr;
  g_object_get(element, "batch-size", &batch_size, "batch-timeout", &batch_timeout, "engine-id", &engine_id,
               "engine-streams", &engine_streams, nullptr);
  EXPECT_EQ(batch_size, 1u) << "no batching by default";
  EXPECT_EQ(batch_timeout, 10u);
  EXPECT_EQ(engine_id, nullptr) << "shared by settings by default";
  EXPECT_EQ(engine_streams, 0u) << "no engine before starting";
  g_object_set(element, "batch-size", 8, "batch-timeout", 25, "engine-id", "cameras", nullptr);
  g_object_get(element, "batch-size", &batch_size, "batch-timeout", &batch_timeout, "engine-id", &engine_id, nullptr);
  EXPECT_EQ(batch_size, 8u);
  EXPECT_EQ(batch_timeout, 25u);
  EXPECT_STREQ(engine_id, "cameras");
  g_free(engine_id);
  gst_object_unref(element);
}

// A pipeline videotestsrc ! gncycleganir ! fakesink, run to its end; returns
// the error message posted on the bus, or "" when it reached EOS.
std::string run_pipeline(const std::string &description, GstElement **keep = nullptr) {
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(description.c_str(), &error);
  if (!pipeline) {
    std::string message = error ? error->message : "cannot parse";
    g_clear_error(&error);
    return message;
  }
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *message =
      gst_bus_timed_pop_filtered(bus, 60 * GST_SECOND, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  std::string result = message ? "" : "timed out";
  if (message && GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
    gst_message_parse_error(message, &error, nullptr);
    result = error->message;
    g_clear_error(&error);
  }
  if (message) gst_message_unref(message);
  gst_object_unref(bus);
  if (keep) {
    *keep = pipeline;
    return result;
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return result;
}

// Many cameras, one model: elements set up alike share an engine, an
// engine-id keeps one apart, and sharing changes no frame.
TEST_F(Element, ElementsSetUpAlikeShareOneEngineAndAnEngineIdKeepsItsOwn) {
  GstHarness *a = harness("", kRgb, "video/x-raw,format=GRAY8");
  GstHarness *b = harness("", kRgb, "video/x-raw,format=GRAY8");
  GstHarness *own = harness("engine-id=own", kRgb, "video/x-raw,format=GRAY8");
  const auto from_a = convert(a, kRgb, 5), from_b = convert(b, kRgb, 5), from_own = convert(own, kRgb, 5);
  auto engine_streams = [](GstHarness *h) {
    GstElement *element = gst_harness_find_element(h, "gncycleganir");
    guint streams = 0;
    g_object_get(element, "engine-streams", &streams, nullptr);
    gst_object_unref(element);
    return streams;
  };
  EXPECT_EQ(engine_streams(a), 2u);
  EXPECT_EQ(engine_streams(b), 2u);
  EXPECT_EQ(engine_streams(own), 1u);
  EXPECT_EQ(from_a, from_own);
  EXPECT_EQ(from_b, from_own);
}

// Two streams pushing at once through one engine with batch-size 2: the
// frames run as batches and each stream gets its own frames' results.
TEST_F(Element, BatchedStreamsGetTheirOwnFramesResults) {
  // No smoothing: each output is its frame's alone, whatever came before.
  GstHarness *reference = harness("engine-id=reference temporal-smoothing=0", kRgb, "video/x-raw,format=GRAY8");
  std::vector<std::vector<guint8>> expected;
  for (unsigned seed = 1; seed <= 6; ++seed) expected.push_back(convert(reference, kRgb, seed));
  const std::string batched = "batch-size=2 batch-timeout=2000 temporal-smoothing=0";
  GstHarness *streams[2] = {harness(batched, kRgb, "video/x-raw,format=GRAY8"),
                            harness(batched, kRgb, "video/x-raw,format=GRAY8")};
  std::vector<guint8> results[2][3];
  std::vector<std::thread> threads;
  for (int stream = 0; stream < 2; ++stream)
    threads.emplace_back([&, stream] {
      for (int i = 0; i < 3; ++i) results[stream][i] = convert(streams[stream], kRgb, unsigned(1 + stream * 3 + i));
    });
  for (auto &thread : threads) thread.join();
  // A batch may round a gray level apart from one frame alone (LibTorch picks
  // its convolution algorithm by batch size); another frame's result is far.
  ASSERT_GT(worst_difference(expected[0], expected[1]), 16);
  for (int stream = 0; stream < 2; ++stream)
    for (int i = 0; i < 3; ++i)
      EXPECT_LE(worst_difference(results[stream][i], expected[stream * 3 + i]), 1) << stream << ", " << i;
}

// Of two streams batched together, one ends (EOS) and stops pushing: the
// other's frames go on, each held no longer than batch-timeout for company.
TEST_F(Element, AStreamThatEndsDoesNotHoldUpTheOthers) {
  const std::string batched = "batch-size=2 batch-timeout=200 temporal-smoothing=0";
  GstHarness *going_on = harness(batched, kRgb, "video/x-raw,format=GRAY8");
  GstHarness *ending = harness(batched, kRgb, "video/x-raw,format=GRAY8");
  convert(ending, kRgb, 1);
  EXPECT_TRUE(gst_harness_push_event(ending, gst_event_new_eos()));
  for (unsigned seed = 1; seed <= 3; ++seed) {
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(convert(going_on, kRgb, seed).size(), size_t(45 * 31));
    const auto waited = std::chrono::steady_clock::now() - started;
    EXPECT_GE(waited, std::chrono::milliseconds(200)) << "it waited for company, up to the timeout";
    EXPECT_LT(waited, std::chrono::milliseconds(200) + std::chrono::seconds(10)) << "and not for the stream that ended";
  }
}

TEST_F(Element, AnEngineIdInUseWithOtherSettingsIsAnErrorNamingBoth) {
  const std::string error = run_pipeline(
      "videotestsrc num-buffers=3 ! gncycleganir engine-id=cameras num-threads=1 model=\"" + model_ +
      "\" ! fakesink videotestsrc num-buffers=3 ! gncycleganir engine-id=cameras num-threads=2 model=\"" + model_ +
      "\" ! fakesink");
  EXPECT_NE(error.find("engine-id \"cameras\" is already running"), std::string::npos) << error;
}

TEST_F(Element, AMissingModelIsAnErrorOnTheBusNamingTheFile) {
  const std::string error = run_pipeline(
      "videotestsrc num-buffers=1 ! gncycleganir model=/nonexistent/model.safetensors ! fakesink");
  EXPECT_NE(error.find("/nonexistent/model.safetensors"), std::string::npos) << error;
  EXPECT_NE(error.find("does not exist"), std::string::npos) << error;
}

TEST_F(Element, ACorruptModelIsAnErrorOnTheBusNamingTheFile) {
  std::ofstream(dir_.file("corrupt.safetensors")) << "\x10\x00\x00\x00\x00\x00\x00\x00{\"a\": broken";
  const std::string error = run_pipeline("videotestsrc num-buffers=1 ! gncycleganir model=\"" +
                                         dir_.file("corrupt.safetensors") + "\" ! fakesink");
  EXPECT_NE(error.find("corrupt.safetensors"), std::string::npos) << error;
}

TEST_F(Element, AModelWithTheWrongChannelsIsRefused) {
  auto reversed = gncyclegan::GeneratorConfig::from_name("resnet_1blocks", 2, 2, 4);
  gncyclegan::save_generator(dir_.file("two.safetensors"), *gncyclegan::make_generator(reversed));
  const std::string error = run_pipeline("videotestsrc num-buffers=1 ! gncycleganir model=\"" +
                                         dir_.file("two.safetensors") + "\" ! fakesink");
  EXPECT_NE(error.find("2->2-channel"), std::string::npos) << error;
}

TEST_F(Element, CudaWithoutCudaSaysWhy) {
  const std::string error =
      run_pipeline("videotestsrc num-buffers=1 ! gncycleganir device=cuda model=\"" + model_ + "\" ! fakesink");
  if (error.empty()) GTEST_SKIP() << "a GPU is visible: device=cuda works here";
  EXPECT_TRUE(error.find("no CUDA support") != std::string::npos || error.find("no GPU is visible") != std::string::npos)
      << error;
}

TEST_F(Element, Fp16OnTheCpuIsRefused) {
  const std::string error = run_pipeline("videotestsrc num-buffers=1 ! gncycleganir device=cpu precision=fp16 model=\"" +
                                         model_ + "\" ! fakesink");
  EXPECT_NE(error.find("fp16 runs on CUDA only"), std::string::npos) << error;
}

TEST_F(Element, TwentyStateCyclesFromNullToPlaying) {
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(
      ("videotestsrc is-live=true ! video/x-raw,width=32,height=24 ! gncycleganir num-threads=1 model=\"" + model_ +
       "\" ! fakesink")
          .c_str(),
      &error);
  ASSERT_NE(pipeline, nullptr);
  for (int cycle = 0; cycle < 20; ++cycle) {
    ASSERT_NE(gst_element_set_state(pipeline, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE) << "cycle " << cycle;
    ASSERT_EQ(gst_element_get_state(pipeline, nullptr, nullptr, 30 * GST_SECOND), GST_STATE_CHANGE_SUCCESS);
    ASSERT_EQ(gst_element_set_state(pipeline, GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS) << "cycle " << cycle;
  }
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *message = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  EXPECT_EQ(message, nullptr) << "an error was posted";
  if (message) gst_message_unref(message);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
}

TEST_F(Element, LatencyQueriesIncludeTheMeasuredProcessingTime) {
  GstElement *pipeline = nullptr;
  const std::string description = "videotestsrc is-live=true num-buffers=5 ! video/x-raw,width=64,height=48 ! "
                                  "gncycleganir name=ir num-threads=1 model=\"" + model_ + "\" ! fakesink";
  ASSERT_EQ(run_pipeline(description, &pipeline), "");
  GstElement *element = gst_bin_get_by_name(GST_BIN(pipeline), "ir");
  guint64 frames = 0;
  gdouble mean_ms = 0;
  g_object_get(element, "frames-processed", &frames, "mean-latency", &mean_ms, nullptr);
  EXPECT_EQ(frames, 5u);
  EXPECT_GT(mean_ms, 0.0);

  GstQuery *query = gst_query_new_latency();
  GstPad *src = gst_element_get_static_pad(element, "src");
  ASSERT_TRUE(gst_pad_query(src, query));
  gboolean live = FALSE;
  GstClockTime min = 0, max = 0;
  gst_query_parse_latency(query, &live, &min, &max);
  EXPECT_TRUE(live);
  // videotestsrc's own latency (a frame, 1/30 s) plus a positive processing time.
  EXPECT_GT(min, GST_SECOND / 30);
  gst_query_unref(query);
  gst_object_unref(src);
  gst_object_unref(element);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
}

// What the element named "ir" ran, from its read-only properties.
struct Active {
  InferenceSize size;
  std::string model;
};

Active active(GstElement *element) {
  guint width = 0, height = 0;
  gchar *model = nullptr;
  g_object_get(element, "active-inference-width", &width, "active-inference-height", &height, "active-model", &model,
               nullptr);
  Active result{{int(width), int(height)}, model ? model : ""};
  g_free(model);
  return result;
}

Active active_after(const std::string &description) {
  GstElement *pipeline = nullptr;
  const std::string error = run_pipeline(description, &pipeline);
  EXPECT_EQ(error, "");
  if (!pipeline) return {};
  GstElement *element = gst_bin_get_by_name(GST_BIN(pipeline), "ir");
  const Active result = active(element);
  gst_object_unref(element);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return result;
}

InferenceSize active_size_after(const std::string &description) { return active_after(description).size; }

// A live source at 500 frames/s leaves 2 ms a frame, which no size of even
// this tiny model meets at 320 x 240: the element runs at the floor (a 120-pixel
// short side, 160 x 120). The same frames from a non-live source have no
// deadline and keep their size, and so does a size the user set.
TEST_F(Element, ALiveSourceOnTheCpuGetsAnInferenceSizeThatKeepsUp) {
  const std::string caps = "video/x-raw,width=320,height=240,framerate=500/1";
  const std::string element = " ! gncycleganir name=ir num-threads=1 device=cpu model=\"" + model_ + "\"";
  const auto live = active_size_after("videotestsrc is-live=true num-buffers=1500 ! " + caps + element + " ! fakesink");
  EXPECT_EQ(live, (InferenceSize{160, 120}));
  const auto file = active_size_after("videotestsrc num-buffers=20 ! " + caps + element + " ! fakesink");
  EXPECT_EQ(file, (InferenceSize{320, 240}));
  const auto fixed = active_size_after("videotestsrc is-live=true num-buffers=50 ! " + caps + element +
                                       " inference-width=200 inference-height=152 ! fakesink");
  EXPECT_EQ(fixed, (InferenceSize{200, 152}));
}

// At 5 frames/s every size fits: the live source keeps the full size.
TEST_F(Element, ALiveSourceWithTimeToSpareKeepsTheFullSize) {
  const auto live = active_size_after("videotestsrc is-live=true num-buffers=25 ! "
                                      "video/x-raw,width=320,height=240,framerate=5/1 ! gncycleganir name=ir "
                                      "num-threads=1 device=cpu model=\"" + model_ + "\" ! fakesink");
  EXPECT_EQ(live, (InferenceSize{320, 240}));
}

// With the model property unset, a live source on the CPU runs the default
// model only while it keeps up at 320 x 240 or more; 2 ms a frame is met by
// neither model at 320 x 240, so the element swaps in the real-time model at
// warm-up. A model the user named is kept, and a file has no deadline.
TEST_F(Element, TheDefaultModelMakesWayForTheRealtimeModelBelow320x240) {
  const std::string caps = "video/x-raw,width=320,height=240,framerate=500/1 ! gncycleganir name=ir device=cpu";
  const auto unset = active_after("videotestsrc is-live=true num-buffers=300 ! " + caps + " ! fakesink");
  EXPECT_EQ(unset.model, "realtime");
  EXPECT_EQ(unset.size, (InferenceSize{160, 120})) << "the adaptive size still applies";
  EXPECT_EQ(active_after("videotestsrc is-live=true num-buffers=300 ! " + caps + " model=surveillance ! fakesink").model,
            "surveillance");
  const auto file = active_after("videotestsrc num-buffers=3 ! " + caps + " ! fakesink");
  EXPECT_EQ(file.model, "surveillance");
  EXPECT_EQ(file.size, (InferenceSize{320, 240}));
}

// The swap also happens mid-stream: caps announce 1 frame/s, time to spare
// at full size, but the frames come 2 ms apart; once the measured rate
// shrinks the default model's size below 320 x 240, the real-time model runs.
TEST_F(Element, TheRealtimeModelTakesOverWhenTheDefaultFallsBehindMidStream) {
  GstHarness *h = gst_harness_new_parse("gncycleganir device=cpu");
  harnesses_.push_back(h);  // live: a harness answers latency queries as a live source
  const std::string caps = "video/x-raw,format=RGB,width=320,height=240,framerate=1/1";
  gst_harness_set_src_caps_str(h, caps.c_str());
  gst_harness_set_sink_caps_str(h, "video/x-raw,format=GRAY8");
  GstElement *element = gst_harness_find_element(h, "gncycleganir");
  std::string seen;
  for (int frame = 0; frame < 600 && active(element).model != "realtime"; ++frame) {
    GstBuffer *buffer = random_frame(caps, unsigned(frame));
    GST_BUFFER_PTS(buffer) = GstClockTime(frame) * 2 * GST_MSECOND;
    ASSERT_EQ(gst_harness_push(h, buffer), GST_FLOW_OK) << "frame " << frame;
    gst_buffer_unref(gst_harness_pull(h));
    if (frame == 0) seen = active(element).model;
  }
  EXPECT_EQ(seen, "surveillance") << "at warm-up, 1 frame/s leaves the default model its full size";
  EXPECT_EQ(active(element).model, "realtime");
  // Frames go on through the real-time model.
  GstBuffer *buffer = random_frame(caps, 1000);
  GST_BUFFER_PTS(buffer) = 2 * GST_SECOND;
  EXPECT_EQ(gst_harness_push(h, buffer), GST_FLOW_OK);
  gst_object_unref(element);
}

TEST_F(Element, LateFramesAreDroppedNotQueued) {
  const std::string caps = "video/x-raw,format=RGB,width=32,height=24,framerate=30/1";
  GstHarness *h = harness("", caps, "video/x-raw,format=GRAY8");
  GstBuffer *first = random_frame(caps, 1);
  GST_BUFFER_PTS(first) = 0;
  GST_BUFFER_DURATION(first) = GST_SECOND / 30;
  ASSERT_EQ(gst_harness_push(h, first), GST_FLOW_OK);
  gst_buffer_unref(gst_harness_pull(h));
  // The sink says it is a full second behind at 1 s: frames before 2 s are late.
  gst_harness_push_upstream_event(h, gst_event_new_qos(GST_QOS_TYPE_UNDERFLOW, 0.5, GST_SECOND, GST_SECOND));
  GstBuffer *late = random_frame(caps, 2);
  GST_BUFFER_PTS(late) = GST_SECOND;
  GST_BUFFER_DURATION(late) = GST_SECOND / 30;
  gst_harness_push(h, late);
  EXPECT_EQ(gst_harness_buffers_in_queue(h), 0u) << "a late frame was converted";
  GstBuffer *on_time = random_frame(caps, 3);
  GST_BUFFER_PTS(on_time) = 3 * GST_SECOND;
  ASSERT_EQ(gst_harness_push(h, on_time), GST_FLOW_OK);
  EXPECT_EQ(gst_harness_buffers_in_queue(h), 1u);
}

long resident_kib() {
  std::ifstream status("/proc/self/statm");
  long pages = 0, resident = 0;
  status >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

TEST_F(Element, MemoryStaysFlatOverAThousandFrames) {
#ifdef __SANITIZE_ADDRESS__
  GTEST_SKIP() << "under AddressSanitizer freed memory waits in its quarantine (256 MiB), resident";
#endif
  const std::string caps = "video/x-raw,format=I420,width=32,height=24,framerate=30/1";
  GstHarness *h = harness("palette=ironbow", caps, "video/x-raw,format=BGRx");
  auto push_pull = [&](int count) { convert_frames(h, caps, count); };
  push_pull(50);  // allocations settle
  const long before = resident_kib();
  push_pull(1000);
  const long growth = resident_kib() - before;
  EXPECT_LT(growth, 20 * 1024) << "resident memory grew by " << growth << " KiB";
}

TEST_F(Element, TheBundledModelsLoadByNameAndTheDefaultWhenNoModelIsSet) {
  for (const std::string model : {"", "model=surveillance", "model=road"}) {
    GstHarness *h = gst_harness_new_parse(("gncycleganir num-threads=1 " + model).c_str());
    harnesses_.push_back(h);
    gst_harness_set_src_caps_str(h, "video/x-raw,format=YUY2,width=64,height=48,framerate=30/1");
    gst_harness_set_sink_caps_str(h, "video/x-raw,format=BGRx");
    ASSERT_EQ(gst_harness_push(h, random_frame("video/x-raw,format=YUY2,width=64,height=48,framerate=30/1", 1)),
              GST_FLOW_OK)
        << model;
    GstBuffer *out = gst_harness_pull(h);
    ASSERT_NE(out, nullptr) << model;
    gst_buffer_unref(out);
  }
}

TEST_F(Element, AnUnknownModelNameIsAMissingFileThatListsTheBundledModels) {
  const std::string error = run_pipeline("videotestsrc num-buffers=1 ! gncycleganir model=surveilance ! fakesink");
  EXPECT_NE(error.find("surveilance does not exist"), std::string::npos) << error;
  EXPECT_NE(error.find("surveillance (the default), road, realtime"), std::string::npos) << error;
}

TEST_F(Element, GstInspectDocumentsTheElement) {
  const auto result = test::run_command("gst-inspect-1.0 gncycleganir", dir_.file("inspect.txt"));
  ASSERT_EQ(result.status, 0) << result.output;
  for (const char *text : {"Filter/Effect/Video", "model", "device", "precision", "bf16", "backend", "openvino",
                           "active-inference-width", "inference-width",
                           "inference-height", "palette", "ironbow", "num-threads", "frames-processed",
                           "mean-latency", "cuda-graph", "GRAY16_LE", "YUY2", "temporal-smoothing",
                           "surveillance", "road", "realtime", "active-model"})
    EXPECT_NE(result.output.find(text), std::string::npos) << text;
}

}  // namespace
}  // namespace gncycleganir
