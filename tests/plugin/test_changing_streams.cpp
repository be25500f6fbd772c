// Streams that change under the element and input that is broken, as a
// surveillance box meets them over weeks: new caps while playing, flushing
// seeks, state churn with a shared engine, elements joining and leaving,
// buffers smaller than their caps, gaps and buffers without timestamps.
// Nothing may end a stream that can go on, and nothing may stall.
#include <gtest/gtest.h>

#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include <atomic>
#include <string>
#include <vector>

#include "tests/support/frame_bytes.h"
#include "tests/support/test_support.h"

namespace gncycleganir {
namespace {

namespace test = gncyclegan::test;
using test::wait_until;

const std::string kRgb = "video/x-raw,format=RGB,width=45,height=31,framerate=30/1";
const std::string kGray = "video/x-raw,format=GRAY8";

// Counts the buffers reaching a pad.
struct BufferCounter {
  explicit BufferCounter(GstElement *element, const char *pad_name = "sink") {
    GstPad *pad = gst_element_get_static_pad(element, pad_name);
    gst_pad_add_probe(
        pad, GST_PAD_PROBE_TYPE_BUFFER,
        [](GstPad *, GstPadProbeInfo *, gpointer count) {
          ++*static_cast<std::atomic<int> *>(count);
          return GST_PAD_PROBE_OK;
        },
        &count, nullptr);
    gst_object_unref(pad);
  }
  std::atomic<int> count{0};
};

// The texts of the warnings or errors waiting on `bus`, taken off it.
std::vector<std::string> messages(GstBus *bus, GstMessageType type) {
  std::vector<std::string> texts;
  while (GstMessage *message = gst_bus_pop_filtered(bus, type)) {
    GError *error = nullptr;
    if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_WARNING)
      gst_message_parse_warning(message, &error, nullptr);
    else
      gst_message_parse_error(message, &error, nullptr);
    texts.push_back(error ? error->message : "");
    g_clear_error(&error);
    gst_message_unref(message);
  }
  return texts;
}

class ChangingStreams : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gst_init(nullptr, nullptr); }
  void SetUp() override { model_ = test::write_tiny_generator(dir_.file("g.safetensors")); }
  void TearDown() override {
    for (GstHarness *harness : harnesses_) gst_harness_teardown(harness);
    for (GstElement *pipeline : pipelines_) {
      gst_element_set_state(pipeline, GST_STATE_NULL);
      gst_object_unref(pipeline);
    }
  }

  std::string element() const { return "gncycleganir num-threads=1 model=\"" + model_ + "\""; }

  GstHarness *harness(const std::string &properties, const std::string &in_caps) {
    GstHarness *h = gst_harness_new_parse((element() + " " + properties).c_str());
    harnesses_.push_back(h);
    gst_harness_set_src_caps_str(h, in_caps.c_str());
    gst_harness_set_sink_caps_str(h, kGray.c_str());
    return h;
  }

  static std::vector<guint8> convert(GstHarness *h, GstBuffer *frame) {
    EXPECT_EQ(gst_harness_push(h, frame), GST_FLOW_OK);
    GstBuffer *out = gst_harness_pull(h);
    std::vector<guint8> bytes;
    EXPECT_NE(out, nullptr);
    if (!out) return bytes;
    EXPECT_TRUE(test::first_plane_rows(h->sinkpad, out, bytes));
    gst_buffer_unref(out);
    return bytes;
  }

  GstElement *pipeline(const std::string &description) {
    GError *error = nullptr;
    GstElement *made = gst_parse_launch(description.c_str(), &error);
    EXPECT_NE(made, nullptr) << (error ? error->message : description);
    g_clear_error(&error);
    if (made) pipelines_.push_back(made);
    return made;
  }

  static GstElement *named(GstElement *pipeline, const char *name) {
    GstElement *element = gst_bin_get_by_name(GST_BIN(pipeline), name);
    gst_object_unref(element);  // the pipeline keeps it
    return element;
  }

  static bool reach(GstElement *pipeline, GstState state) {
    return gst_element_set_state(pipeline, state) != GST_STATE_CHANGE_FAILURE &&
           gst_element_get_state(pipeline, nullptr, nullptr, 30 * GST_SECOND) != GST_STATE_CHANGE_FAILURE;
  }

  test::TemporaryDirectory dir_;
  std::string model_;
  std::vector<GstHarness *> harnesses_;
  std::vector<GstElement *> pipelines_;
};

// A decoder or source that delivers less than its caps promise: the buffer
// is dropped with a warning naming both sizes, nothing is read past its end
// (AddressSanitizer would see it), and the stream goes on. Ten such buffers
// give two warnings (the 1st and the 10th), not ten.
TEST_F(ChangingStreams, ABufferSmallerThanItsCapsIsDroppedWithAWarningNamingItsSize) {
  GstHarness *h = harness("", kRgb);
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  EXPECT_EQ(convert(h, test::random_frame(kRgb, 1)).size(), 45u * 31);

  // 45 RGB pixels are 135 bytes, rows padded to 136: 31 rows take 4216.
  EXPECT_EQ(gst_harness_push(h, gst_buffer_new_allocate(nullptr, 100, nullptr)), GST_FLOW_OK);
  EXPECT_EQ(gst_harness_buffers_in_queue(h), 0u) << "nothing comes out for it";
  auto warnings = messages(bus, GST_MESSAGE_WARNING);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("input buffer of 100 bytes: a 45x31 RGB frame takes 4216"), std::string::npos)
      << warnings[0];

  // A buffer cut short under its video meta counts the meta's planes.
  GstBuffer *cut = test::random_frame(kRgb, 2);
  gst_buffer_resize(cut, 0, 2000);
  EXPECT_EQ(gst_harness_push(h, cut), GST_FLOW_OK);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(gst_harness_push(h, gst_buffer_new_allocate(nullptr, 7, nullptr)), GST_FLOW_OK);
  EXPECT_EQ(gst_harness_buffers_in_queue(h), 0u);
  warnings = messages(bus, GST_MESSAGE_WARNING);
  ASSERT_EQ(warnings.size(), 1u) << "the 2nd to 9th are not announced";
  EXPECT_NE(warnings[0].find("(10 such buffers so far)"), std::string::npos) << warnings[0];

  EXPECT_EQ(convert(h, test::random_frame(kRgb, 3)).size(), 45u * 31) << "the stream goes on";
  EXPECT_TRUE(messages(bus, GST_MESSAGE_ERROR).empty());
  gst_element_set_bus(h->element, nullptr);
  gst_object_unref(bus);
}

// New size and format mid-stream: the output follows, the inference size is
// planned for the new frames (the harness's source is live), and the first
// frame after the change is what a fresh element makes of it (no smoothing
// with the frames before).
TEST_F(ChangingStreams, NewCapsMidStreamGiveTheNewSizeAndStartOver) {
  GstHarness *h = harness("temporal-smoothing=0.5", kRgb);
  for (unsigned seed = 1; seed <= 3; ++seed) convert(h, test::random_frame(kRgb, seed));
  const std::string i420 = "video/x-raw,format=I420,width=64,height=48,framerate=15/1";
  gst_harness_set_src_caps_str(h, i420.c_str());
  const auto after = convert(h, test::random_frame(i420, 9));
  EXPECT_EQ(after.size(), 64u * 48);
  GstElement *element = gst_harness_find_element(h, "gncycleganir");
  guint width = 0, height = 0;
  g_object_get(element, "active-inference-width", &width, "active-inference-height", &height, nullptr);
  gst_object_unref(element);
  EXPECT_GT(width, 45u) << "still planned for the old frames";
  EXPECT_LE(width, 64u);
  EXPECT_LE(height, 48u);
  GstHarness *fresh = harness("temporal-smoothing=0.5 engine-id=fresh", i420);
  EXPECT_EQ(convert(fresh, test::random_frame(i420, 9)), after);
}

// Buffers without timestamps are converted like any other; a GAP event
// reaches downstream.
TEST_F(ChangingStreams, BuffersWithoutTimestampsAndGapsPassThrough) {
  GstHarness *h = harness("", kRgb);
  for (unsigned seed = 1; seed <= 3; ++seed) {
    GstBuffer *frame = test::random_frame(kRgb, seed);
    GST_BUFFER_PTS(frame) = GST_BUFFER_DTS(frame) = GST_BUFFER_DURATION(frame) = GST_CLOCK_TIME_NONE;
    EXPECT_EQ(convert(h, frame).size(), 45u * 31);
  }
  EXPECT_TRUE(gst_harness_push_event(h, gst_event_new_gap(GST_SECOND, GST_SECOND)));
  bool gap = false;
  while (GstEvent *event = gst_harness_try_pull_event(h)) {
    gap = gap || GST_EVENT_TYPE(event) == GST_EVENT_GAP;
    gst_event_unref(event);
  }
  EXPECT_TRUE(gap);
  EXPECT_EQ(convert(h, test::random_frame(kRgb, 4)).size(), 45u * 31);
}

// A camera whose resolution changes while playing (here a capsfilter
// changed under a live source): the output follows, without an error.
TEST_F(ChangingStreams, ALiveSourceChangingResolutionWhilePlaying) {
  GstElement *p = pipeline("videotestsrc is-live=true ! capsfilter name=caps caps=video/x-raw,width=64,height=48,framerate=30/1 ! " +
                           element() + " name=ir ! fakesink name=sink");
  ASSERT_NE(p, nullptr);
  BufferCounter frames(named(p, "sink"));
  ASSERT_TRUE(reach(p, GST_STATE_PLAYING));
  ASSERT_TRUE(wait_until([&] { return frames.count >= 3; }, 30));
  GstCaps *caps = gst_caps_from_string("video/x-raw,width=96,height=72,framerate=30/1");
  g_object_set(named(p, "caps"), "caps", caps, nullptr);
  gst_caps_unref(caps);
  auto output_width = [&] {
    GstPad *pad = gst_element_get_static_pad(named(p, "sink"), "sink");
    GstCaps *current = gst_pad_get_current_caps(pad);
    gst_object_unref(pad);
    int width = 0;
    if (current) gst_structure_get_int(gst_caps_get_structure(current, 0), "width", &width);
    if (current) gst_caps_unref(current);
    return width;
  };
  EXPECT_TRUE(wait_until([&] { return output_width() == 96; }, 30)) << "output still " << output_width() << " wide";
  const int before = frames.count;
  EXPECT_TRUE(wait_until([&] { return frames.count >= before + 3; }, 30)) << "frames stopped after the change";
  guint active = 0;
  g_object_get(named(p, "ir"), "active-inference-width", &active, nullptr);
  EXPECT_GT(active, 0u);
  EXPECT_LE(active, 96u);
  GstBus *bus = gst_element_get_bus(p);
  const auto errors = messages(bus, GST_MESSAGE_ERROR);
  EXPECT_TRUE(errors.empty()) << errors.front();
  gst_object_unref(bus);
}

// A live camera whose frame rate changes (a night mode halving it, a
// capsfilter here): the adaptive inference size plans again for the new
// frame interval. At 2 frames/s the tiny generator runs at the full 640x480;
// at a claimed 1000 frames/s (under a millisecond a frame) only the ladder's
// floor, 160x120 (a short side of 120), can be chosen.
TEST_F(ChangingStreams, AFramerateChangeOnALiveSourcePlansTheInferenceSizeAgain) {
  GstElement *p = pipeline("videotestsrc is-live=true ! capsfilter name=caps caps=video/x-raw,width=640,height=480,framerate=2/1 ! " +
                           element() + " name=ir ! fakesink sync=false");
  ASSERT_NE(p, nullptr);
  auto active_width = [&] {
    guint width = 0;
    g_object_get(named(p, "ir"), "active-inference-width", &width, nullptr);
    return width;
  };
  ASSERT_TRUE(reach(p, GST_STATE_PLAYING));
  EXPECT_TRUE(wait_until([&] { return active_width() == 640; }, 30)) << "at 2 frames/s: " << active_width();
  GstCaps *caps = gst_caps_from_string("video/x-raw,width=640,height=480,framerate=1000/1");
  g_object_set(named(p, "caps"), "caps", caps, nullptr);
  gst_caps_unref(caps);
  EXPECT_TRUE(wait_until([&] { return active_width() == 160; }, 30)) << "at 1000 frames/s: " << active_width();
  GstBus *bus = gst_element_get_bus(p);
  const auto errors = messages(bus, GST_MESSAGE_ERROR);
  EXPECT_TRUE(errors.empty()) << errors.front();
  gst_object_unref(bus);
}

// A player seeking back and forth in a file while it converts: after each
// flushing seek no frame from before the seek position arrives, nothing
// deadlocks, and the file still plays to its end.
TEST_F(ChangingStreams, FlushingSeeksBackAndForthGiveNoStaleFrame) {
  const std::string file = dir_.file("clip.webm");
  GstElement *writer = pipeline("videotestsrc num-buffers=90 ! video/x-raw,width=64,height=48,framerate=30/1 ! vp8enc ! "
                                "webmmux ! filesink location=\"" + file + "\"");
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(reach(writer, GST_STATE_PLAYING));
  GstBus *writer_bus = gst_element_get_bus(writer);
  GstMessage *end = gst_bus_timed_pop_filtered(writer_bus, 60 * GST_SECOND, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  ASSERT_TRUE(end && GST_MESSAGE_TYPE(end) == GST_MESSAGE_EOS);
  gst_message_unref(end);
  gst_object_unref(writer_bus);

  GstElement *p = pipeline("filesrc location=\"" + file + "\" ! matroskademux ! vp8dec ! " + element() +
                           " ! fakesink name=sink sync=true");
  ASSERT_NE(p, nullptr);
  struct Watch {
    std::atomic<GstClockTime> next_seek{0}, earliest{0};
    std::atomic<int> stale{0}, frames{0};
  } watch;
  GstPad *pad = gst_element_get_static_pad(named(p, "sink"), "sink");
  gst_pad_add_probe(
      pad, GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_FLUSH),
      [](GstPad *, GstPadProbeInfo *info, gpointer data) {
        auto *watch = static_cast<Watch *>(data);
        if (!(GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER)) {
          if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_FLUSH_STOP) watch->earliest = watch->next_seek.load();
          return GST_PAD_PROBE_OK;
        }
        // Stale: shown entirely before the position of the last seek.
        GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
        const GstClockTime duration = GST_BUFFER_DURATION_IS_VALID(buffer) ? GST_BUFFER_DURATION(buffer) : 0;
        if (GST_BUFFER_PTS(buffer) + duration <= watch->earliest) ++watch->stale;
        ++watch->frames;
        return GST_PAD_PROBE_OK;
      },
      &watch, nullptr);
  gst_object_unref(pad);
  ASSERT_TRUE(reach(p, GST_STATE_PLAYING));
  for (double seconds : {2.0, 0.5, 2.5, 1.0, 0.2, 1.5}) {
    const auto position = GstClockTime(seconds * GST_SECOND);
    watch.next_seek = position;
    ASSERT_TRUE(gst_element_seek_simple(p, GST_FORMAT_TIME, GstSeekFlags(GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE),
                                        gint64(position)))
        << "seek to " << seconds << " s";
    ASSERT_NE(gst_element_get_state(p, nullptr, nullptr, 30 * GST_SECOND), GST_STATE_CHANGE_FAILURE);
    const int before = watch.frames;
    EXPECT_TRUE(wait_until([&] { return watch.frames > before; }, 30)) << "no frame after the seek to " << seconds << " s";
  }
  GstBus *bus = gst_element_get_bus(p);
  GstMessage *message = gst_bus_timed_pop_filtered(bus, 60 * GST_SECOND, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  ASSERT_NE(message, nullptr) << "no end of stream within a minute";
  EXPECT_EQ(GST_MESSAGE_TYPE(message), GST_MESSAGE_EOS);
  gst_message_unref(message);
  gst_object_unref(bus);
  EXPECT_EQ(watch.stale, 0) << "frames from before a seek position arrived after it";
}

// 200 rounds of PLAYING -> PAUSED -> READY -> PLAYING while two live
// branches share one engine, each round waiting for frames to flow again.
TEST_F(ChangingStreams, TwoHundredStateCyclesWithASharedEngine) {
  const std::string branch = "videotestsrc is-live=true ! video/x-raw,width=32,height=24,framerate=30/1 ! " + element();
  GstElement *p = pipeline(branch + " name=a ! fakesink name=sink_a " + branch + " ! fakesink name=sink_b");
  ASSERT_NE(p, nullptr);
  BufferCounter a(named(p, "sink_a")), b(named(p, "sink_b"));
  for (int cycle = 0; cycle < 200; ++cycle) {
    const int before_a = a.count, before_b = b.count;
    ASSERT_TRUE(reach(p, GST_STATE_PLAYING)) << "cycle " << cycle;
    ASSERT_TRUE(wait_until([&] { return a.count > before_a && b.count > before_b; }, 30)) << "no frames in cycle " << cycle;
    guint streams = 0;
    g_object_get(named(p, "a"), "engine-streams", &streams, nullptr);
    ASSERT_EQ(streams, 2u) << "cycle " << cycle;
    ASSERT_TRUE(reach(p, GST_STATE_PAUSED)) << "cycle " << cycle;
    ASSERT_TRUE(reach(p, GST_STATE_READY)) << "cycle " << cycle;
  }
  GstBus *bus = gst_element_get_bus(p);
  const auto errors = messages(bus, GST_MESSAGE_ERROR);
  EXPECT_TRUE(errors.empty()) << errors.front();
  gst_object_unref(bus);
}

// Cameras joining and leaving a running pipeline: each new branch shares the
// engine and converts; removing it does not stop the branch that stays.
TEST_F(ChangingStreams, BranchesAddedAndRemovedWhileAnotherStreams) {
  const std::string branch = "videotestsrc is-live=true ! video/x-raw,width=32,height=24,framerate=30/1 ! " + element();
  GstElement *p = pipeline(branch + " name=staying ! fakesink name=sink");
  ASSERT_NE(p, nullptr);
  BufferCounter staying(named(p, "sink"));
  ASSERT_TRUE(reach(p, GST_STATE_PLAYING));
  for (int round = 0; round < 10; ++round) {
    GError *error = nullptr;
    GstElement *joining = gst_parse_bin_from_description((branch + " name=joining ! fakesink name=joining_sink").c_str(), FALSE, &error);
    ASSERT_NE(joining, nullptr) << (error ? error->message : "");
    BufferCounter converted(named(joining, "joining_sink"));
    ASSERT_TRUE(gst_bin_add(GST_BIN(p), joining));
    ASSERT_TRUE(gst_element_sync_state_with_parent(joining));
    EXPECT_TRUE(wait_until([&] { return converted.count >= 3; }, 30)) << "round " << round;
    guint streams = 0;
    g_object_get(named(joining, "joining"), "engine-streams", &streams, nullptr);
    EXPECT_EQ(streams, 2u);
    ASSERT_EQ(gst_element_set_state(joining, GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
    ASSERT_TRUE(gst_bin_remove(GST_BIN(p), joining));
    const int before = staying.count;
    EXPECT_TRUE(wait_until([&] { return staying.count >= before + 3; }, 30)) << "the staying branch stopped, round " << round;
  }
  guint streams = 0;
  g_object_get(named(p, "staying"), "engine-streams", &streams, nullptr);
  EXPECT_EQ(streams, 1u);
  GstBus *bus = gst_element_get_bus(p);
  const auto errors = messages(bus, GST_MESSAGE_ERROR);
  EXPECT_TRUE(errors.empty()) << errors.front();
  gst_object_unref(bus);
}

}  // namespace
}  // namespace gncycleganir
