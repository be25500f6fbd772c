// CUDAMemory on the element's pads: what is offered where (every build, every
// machine), and on a GPU, frames that stay in LibTorch's CUDA context between
// NVIDIA's cudaupload and cudadownload, converted in place, with the result
// of the host-memory path. The GPU tests skip, saying why, without a GPU or
// without GStreamer's NVIDIA elements.
#include <gtest/gtest.h>

#include <gst/gst.h>
#include <gst/video/video.h>

#include <string>
#include <vector>

#include "model/device.h"
#include "tests/support/frame_bytes.h"
#include "tests/support/test_support.h"
#ifdef GNCYCLEGANIR_WITH_CUDA_MEMORY
#include "plugin/cuda_context.h"
#endif

namespace gncycleganir {
namespace {

namespace test = gncyclegan::test;

bool has_cuda_memory(GstCaps *caps) {
  for (guint i = 0; i < gst_caps_get_size(caps); ++i) {
    GstCapsFeatures *features = gst_caps_get_features(caps, i);
    if (features && gst_caps_features_contains(features, "memory:CUDAMemory")) return true;
  }
  return false;
}

class CudaMemory : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gst_init(nullptr, nullptr); }
  void SetUp() override { model_ = test::write_tiny_generator(dir_.file("g.safetensors")); }

  GstElement *element(const std::string &properties) {
    const std::string description = "gncycleganir num-threads=1 precision=fp32 model=\"" + model_ + "\" " + properties;
    GError *error = nullptr;
    GstElement *e = gst_parse_launch(description.c_str(), &error);
    EXPECT_EQ(error, nullptr) << (error ? error->message : "");
    return e;
  }

  test::TemporaryDirectory dir_;
  std::string model_;
};

TEST_F(CudaMemory, ThePadTemplatesOfferItExactlyWhenTheBuildCanServeIt) {
  GstElementFactory *factory = gst_element_factory_find("gncycleganir");
  ASSERT_NE(factory, nullptr);
  for (const GList *item = gst_element_factory_get_static_pad_templates(factory); item; item = item->next) {
    auto *pad_template = static_cast<GstStaticPadTemplate *>(item->data);
    GstCaps *caps = gst_static_caps_get(&pad_template->static_caps);
#ifdef GNCYCLEGANIR_WITH_CUDA_MEMORY
    EXPECT_TRUE(has_cuda_memory(caps)) << pad_template->name_template;
#else
    EXPECT_FALSE(has_cuda_memory(caps)) << pad_template->name_template << ": this build has no GStreamer CUDA library";
#endif
    gst_caps_unref(caps);
  }
  gst_object_unref(factory);
}

TEST_F(CudaMemory, AnElementRunningOnTheCpuNeverNegotiatesIt) {
  GstElement *e = element("device=cpu");
  ASSERT_NE(e, nullptr);
  ASSERT_NE(gst_element_set_state(e, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
  for (const char *pad_name : {"sink", "src"}) {
    GstPad *pad = gst_element_get_static_pad(e, pad_name);
    GstCaps *caps = gst_pad_query_caps(pad, nullptr);
    EXPECT_FALSE(gst_caps_is_empty(caps)) << pad_name;
    EXPECT_FALSE(has_cuda_memory(caps)) << pad_name << " offers CUDA memory with the model on the CPU";
    GstCaps *cuda = gst_caps_from_string(
        "video/x-raw(memory:CUDAMemory),format=NV12,width=64,height=48,framerate=30/1");
    EXPECT_FALSE(gst_pad_query_accept_caps(pad, cuda)) << pad_name;
    gst_caps_unref(cuda);
    gst_caps_unref(caps);
    gst_object_unref(pad);
  }
  gst_element_set_state(e, GST_STATE_NULL);
  gst_object_unref(e);
}

// A pipeline run to its end: the bytes of plane 0 of every frame reaching
// the fakesink named "out" (rows unpadded, read through host memory).
struct PipelineRun {
  std::vector<std::vector<guint8>> frames;
  int in_libtorch_context = 0, out_libtorch_context = 0;  // buffers around the element named "ir"
  std::string error;
};

#ifdef GNCYCLEGANIR_WITH_CUDA_MEMORY
GstPadProbeReturn copy_frame(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
  auto *run = static_cast<PipelineRun *>(data);
  std::vector<guint8> bytes;
  if (test::first_plane_rows(pad, GST_PAD_PROBE_INFO_BUFFER(info), bytes)) run->frames.push_back(std::move(bytes));
  return GST_PAD_PROBE_OK;
}

struct ContextCount {
  const LibTorchCudaContext *context;
  int *count;
};

GstPadProbeReturn count_in_context(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *counter = static_cast<ContextCount *>(data);
  if (counter->context->holds(GST_PAD_PROBE_INFO_BUFFER(info))) ++*counter->count;
  return GST_PAD_PROBE_OK;
}

PipelineRun run_pipeline(const std::string &launch, const LibTorchCudaContext &libtorch) {
  PipelineRun result;
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(launch.c_str(), &error);
  if (!pipeline) {
    result.error = error ? error->message : "could not build the pipeline";
    g_clear_error(&error);
    return result;
  }
  GstElement *out = gst_bin_get_by_name(GST_BIN(pipeline), "out");
  GstElement *ir = gst_bin_get_by_name(GST_BIN(pipeline), "ir");
  GstPad *out_pad = gst_element_get_static_pad(out, "sink");
  gst_pad_add_probe(out_pad, GST_PAD_PROBE_TYPE_BUFFER, copy_frame, &result, nullptr);
  ContextCount in{&libtorch, &result.in_libtorch_context}, produced{&libtorch, &result.out_libtorch_context};
  GstPad *ir_sink = gst_element_get_static_pad(ir, "sink"), *ir_src = gst_element_get_static_pad(ir, "src");
  gst_pad_add_probe(ir_sink, GST_PAD_PROBE_TYPE_BUFFER, count_in_context, &in, nullptr);
  gst_pad_add_probe(ir_src, GST_PAD_PROBE_TYPE_BUFFER, count_in_context, &produced, nullptr);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *message = gst_bus_timed_pop_filtered(bus, 60 * GST_SECOND, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  if (!message) {
    result.error = "no end of stream within 60 s";
  } else if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
    GError *failure = nullptr;
    gst_message_parse_error(message, &failure, nullptr);
    result.error = failure->message;
    g_error_free(failure);
  }
  if (message) gst_message_unref(message);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  for (GstPad *pad : {out_pad, ir_sink, ir_src}) gst_object_unref(pad);
  gst_object_unref(bus);
  gst_object_unref(out);
  gst_object_unref(ir);
  gst_object_unref(pipeline);
  return result;
}
#endif

TEST_F(CudaMemory, OnAGpuFramesStayInLibTorchsContextBetweenNvidiaElements) {
#ifndef GNCYCLEGANIR_WITH_CUDA_MEMORY
  GTEST_SKIP() << (gncyclegan::libtorch_has_cuda() ? "built without GStreamer's CUDA library (scripts/install-deps.sh --cuda)"
                                                   : "LibTorch built without CUDA")
               << ": CUDA memory test not run";
#else
  if (gncyclegan::cuda_device_count() == 0) GTEST_SKIP() << "no GPU visible: CUDA memory test not run";
  for (const char *name : {"cudaupload", "cudadownload"})
    if (GstElementFactory *factory = gst_element_factory_find(name))
      gst_object_unref(factory);
    else
      GTEST_SKIP() << name << " is missing (gstreamer1.0-plugins-bad's nvcodec, which needs the NVIDIA driver)";
  const LibTorchCudaContext libtorch(0);
  const std::string source = "videotestsrc num-buffers=4 pattern=smpte ! video/x-raw,format=NV12,width=64,height=48 ! ";
  const std::string ir = "gncycleganir name=ir device=cuda num-threads=1 precision=fp32 model=\"" + model_ + "\"";
  const std::string sink = " ! video/x-raw,format=BGRx ! fakesink name=out sync=false";
  const PipelineRun host = run_pipeline(source + ir + sink, libtorch);
  const PipelineRun device = run_pipeline(source + "cudaupload ! video/x-raw(memory:CUDAMemory) ! " + ir +
                             " ! video/x-raw(memory:CUDAMemory),format=BGRx ! cudadownload" + sink,
                         libtorch);
  ASSERT_EQ(host.error, "");
  ASSERT_EQ(device.error, "");
  ASSERT_EQ(host.frames.size(), 4u);
  ASSERT_EQ(device.frames.size(), host.frames.size());
  EXPECT_EQ(host.in_libtorch_context, 0);
  EXPECT_EQ(device.in_libtorch_context, 4) << "cudaupload did not allocate in LibTorch's context";
  EXPECT_EQ(device.out_libtorch_context, 4) << "the output left in another context's memory";
  for (size_t f = 0; f < host.frames.size(); ++f) {
    ASSERT_EQ(device.frames[f].size(), host.frames[f].size());
    int worst = 0;
    for (size_t i = 0; i < host.frames[f].size(); ++i)
      worst = std::max(worst, std::abs(int(host.frames[f][i]) - int(device.frames[f][i])));
    EXPECT_LE(worst, 1) << "frame " << f << ": gray levels apart from the host-memory path";
  }
#endif
}

}  // namespace
}  // namespace gncycleganir
