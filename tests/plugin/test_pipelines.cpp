// Every script in pipelines/ run as people run it, with a test source where a
// camera would be and the bundled default model; a run that hangs fails after
// two minutes.
#include <arpa/inet.h>
#include <gst/gst.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <regex>
#include <thread>

#include "tests/support/test_support.h"

namespace gncycleganir {
namespace {

namespace test = gncyclegan::test;
using test::wait_until;

namespace fs = std::filesystem;

class Pipelines : public ::testing::Test {
 protected:
  test::CommandResult run(const std::string &command) {
    return test::run_command("cd '" GNCYCLEGAN_SOURCE_DIR "' && " + command, dir_.file("output.txt"));
  }
  static constexpr const char *kSmallSource = "videotestsrc num-buffers=12 ! video/x-raw,width=64,height=48";
  static constexpr const char *kVp8WebM = "vp8enc deadline=1 ! webmmux";
  static constexpr const char *kH264Ts = "x264enc key-int-max=15 ! mpegtsmux";
  // A 64x48 moving ball, `frames` frames at `fps`, encoded by `encode` into `file`.
  bool write_test_video(const std::string &file, int frames, int fps, const std::string &encode) {
    return run("gst-launch-1.0 -q videotestsrc num-buffers=" + std::to_string(frames) + " pattern=ball ! video/x-raw,width=64,"
               "height=48,framerate=" + std::to_string(fps) + "/1 ! " + encode + " ! filesink location='" + file + "'")
               .status == 0;
  }
  test::TemporaryDirectory dir_;
};

TEST_F(Pipelines, Webcam) {
  const auto result = run(std::string("SOURCE='") + kSmallSource + "' SINK=fakesink timeout 120 pipelines/webcam palette=ironbow");
  EXPECT_EQ(result.status, 0) << result.output;
}

TEST_F(Pipelines, ConvertFileTurnsAVideoWithSoundIntoAnInfraredVideo) {
  const std::string in = dir_.file("in.webm"), out = dir_.file("out.mkv");
  ASSERT_EQ(run("gst-launch-1.0 -q -e webmmux name=mux ! filesink location='" + in + "' " + kSmallSource +
                " ! vp8enc ! mux. audiotestsrc num-buffers=20 ! audioconvert ! vorbisenc ! mux.")
                .status,
            0);
  const auto result = run("timeout 120 pipelines/convert-file '" + in + "' '" + out + "' palette=lava");
  ASSERT_EQ(result.status, 0) << result.output;
  ASSERT_TRUE(fs::exists(out));
  const auto decoded = run("gst-launch-1.0 -q filesrc location='" + out + "' ! decodebin ! fakesink");
  EXPECT_EQ(decoded.status, 0) << decoded.output;
}

TEST_F(Pipelines, ConvertFileExplainsItsUsage) {
  const auto result = run("pipelines/convert-file");
  EXPECT_EQ(result.status, 2);
  EXPECT_NE(result.output.find("usage: pipelines/convert-file IN OUT"), std::string::npos) << result.output;
  const auto missing = run("pipelines/convert-file /nonexistent.mp4 out.webm");
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.output.find("cannot read /nonexistent.mp4"), std::string::npos) << missing.output;
}

TEST_F(Pipelines, SideBySide) {
  const auto result = run("SOURCE='videotestsrc num-buffers=12' SINK=fakesink WIDTH=64 HEIGHT=48 timeout 120 pipelines/side-by-side");
  EXPECT_EQ(result.status, 0) << result.output;
}


// A TCP port on loopback that nothing listens on now.
int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address);
  ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

std::vector<std::string> segments(const std::string &dir) {
  std::vector<std::string> found;
  if (fs::exists(dir))
    for (const auto &entry : fs::directory_iterator(dir))
      if (std::regex_match(entry.path().filename().string(), std::regex("infrared-[0-9]{5}\\.mkv")))
        found.push_back(entry.path().string());
  std::sort(found.begin(), found.end());
  return found;
}

// Closed properly: matroskamux writes the index (Cues) after the last cluster
// only when the file is finished; a recording cut off keeps just the forward
// reference to it in its header.
bool finalised(const std::string &file) {
  std::ifstream in(file, std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(in), {}};
  const auto cues = bytes.rfind("\x1C\x53\xBB\x6B"), cluster = bytes.rfind("\x1F\x43\xB6\x75");
  return cues != std::string::npos && cluster != std::string::npos && cues > cluster;
}

// Frames decodebin decodes from a file, -1 when decoding ends in an error.
int decoded_frames(const std::string &file) {
  gst_init(nullptr, nullptr);
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(
      ("filesrc location=\"" + file + "\" ! decodebin ! fakesink name=sink sync=false").c_str(), &error);
  if (!pipeline) {
    g_clear_error(&error);
    return -1;
  }
  int frames = 0;
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  GstPad *pad = gst_element_get_static_pad(sink, "sink");
  gst_pad_add_probe(
      pad, GST_PAD_PROBE_TYPE_BUFFER,
      [](GstPad *, GstPadProbeInfo *, gpointer count) {
        ++*static_cast<int *>(count);
        return GST_PAD_PROBE_OK;
      },
      &frames, nullptr);
  gst_object_unref(pad);
  gst_object_unref(sink);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *message =
      gst_bus_timed_pop_filtered(bus, 30 * GST_SECOND, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  const bool ended = message && GST_MESSAGE_TYPE(message) == GST_MESSAGE_EOS;
  if (message) gst_message_unref(message);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return ended ? frames : -1;
}

bool has_elements(std::initializer_list<const char *> names) {
  gst_init(nullptr, nullptr);
  for (const char *name : names) {
    GstElementFactory *factory = gst_element_factory_find(name);
    if (!factory) return false;
    gst_object_unref(factory);
  }
  return true;
}

// Overwrites 5 % of an MPEG-TS file's bytes at each of `where` (fractions of
// its length), keeping the 4-byte TS packet headers: the demuxer stays in
// step and the H.264 decoder meets the damage, as from a failing camera or
// a damaged recording.
void garble_transport_stream(const std::string &file, std::initializer_list<double> where) {
  std::string bytes;
  {
    std::ifstream in(file, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  constexpr size_t kPacket = 188;
  for (double fraction : where) {
    const size_t start = size_t(double(bytes.size()) * fraction) / kPacket * kPacket;
    const size_t end = std::min(bytes.size(), start + bytes.size() / 20 / kPacket * kPacket);
    for (size_t packet = start; packet + kPacket <= end; packet += kPacket)
      for (size_t i = packet + 4; i < packet + kPacket; ++i) bytes[i] = char((i * 131 + 17) % 256);
  }
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
}

constexpr const char *kNoH264 =
    "no H.264 encoder and decoder (x264enc from gstreamer1.0-plugins-ugly, avdec_h264 from gstreamer1.0-libav; "
    "scripts/install-deps.sh installs them)";

// A recording with damaged stretches: the decoder skips what it cannot
// decode, and every frame it can decode is converted; nothing ends early.
TEST_F(Pipelines, ConvertFileConvertsEveryDecodableFrameOfACorruptH264File) {
  if (!has_elements({"x264enc", "avdec_h264"})) GTEST_SKIP() << kNoH264;
  const std::string in = dir_.file("in.ts"), out = dir_.file("out.mkv");
  ASSERT_TRUE(write_test_video(in, 300, 15, kH264Ts));
  ASSERT_EQ(decoded_frames(in), 300);
  garble_transport_stream(in, {0.3, 0.6});
  const int decodable = decoded_frames(in);
  ASSERT_GT(decodable, 100);
  ASSERT_LT(decodable, 300) << "the damage should cost frames";
  const auto result = run("timeout 120 pipelines/convert-file '" + in + "' '" + out + "'");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_TRUE(finalised(out)) << result.output;
  EXPECT_EQ(decoded_frames(out), decodable);
}

// A file cut off (a copy interrupted, a disk full): the output holds every
// frame before the cut and is closed properly.
TEST_F(Pipelines, ConvertFileOfATruncatedFileKeepsEveryDecodableFrame) {
  const std::string in = dir_.file("in.webm"), out = dir_.file("out.mkv");
  ASSERT_TRUE(write_test_video(in, 300, 30, kVp8WebM));
  fs::resize_file(in, fs::file_size(in) / 2);
  const int decodable = decoded_frames(in);
  ASSERT_GT(decodable, 50);
  ASSERT_LT(decodable, 300);
  const auto result = run("timeout 120 pipelines/convert-file '" + in + "' '" + out + "'");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_TRUE(finalised(out)) << result.output;
  EXPECT_EQ(decoded_frames(out), decodable);
}

// Ctrl-C in the middle of a long conversion: the output written so far is
// finished (end of stream on interrupt), closed and playable.
TEST_F(Pipelines, ConvertFileInterruptedFinishesAPlayableFile) {
  const std::string in = dir_.file("in.webm"), out = dir_.file("out.mkv");
  constexpr int kFrames = 3000;
  ASSERT_TRUE(write_test_video(in, kFrames, 30, kVp8WebM));
  test::BackgroundCommand converter("'" GNCYCLEGAN_SOURCE_DIR "/pipelines/convert-file' '" + in + "' '" + out + "'",
                                    dir_.file("converter.txt"));
  ASSERT_TRUE(wait_until([&] { return fs::exists(out) && fs::file_size(out) > 4096; }, 60)) << converter.output();
  ASSERT_TRUE(converter.running()) << "ended before it could be interrupted\n" << converter.output();
  converter.signal(SIGINT);
  EXPECT_EQ(converter.wait(60), 0) << converter.output();
  EXPECT_TRUE(finalised(out)) << converter.output();
  const int frames = decoded_frames(out);
  EXPECT_GT(frames, 0);
  EXPECT_LT(frames, kFrames) << "the conversion was meant to be interrupted";
}

// A live source, as an RTSP camera is, that ends after 12 frames; run twice,
// as a recorder restarted: the second run numbers on instead of overwriting.
TEST_F(Pipelines, SurveillanceRecordsSegments) {
  const std::string command = std::string("SOURCE='videotestsrc is-live=true num-buffers=12 ! video/x-raw,width=64,height=48'") +
                              " SEGMENT_SECONDS=1 timeout 120 pipelines/surveillance-rtsp " +
                              "rtsp://camera.invalid/stream '" + dir_.file("segments") + "'";
  ASSERT_EQ(run(command).status, 0);
  const auto first = segments(dir_.file("segments"));
  ASSERT_EQ(first.size(), 1u);
  const auto first_size = fs::file_size(first[0]);
  const auto result = run(command);
  ASSERT_EQ(result.status, 0) << result.output;
  const auto both = segments(dir_.file("segments"));
  ASSERT_EQ(both.size(), 2u) << result.output;
  EXPECT_EQ(fs::path(both[1]).filename(), "infrared-00001.mkv");
  EXPECT_EQ(fs::file_size(both[0]), first_size);
  for (const auto &segment : both) {
    EXPECT_TRUE(finalised(segment)) << segment;
    EXPECT_GT(decoded_frames(segment), 0) << segment;
  }
}

// A camera served by gst-rtsp-server on loopback is killed mid-recording, as a
// camera losing power would go, and comes back on the same address: the
// recorder stays up, closes the segment that was open, reconnects and records
// on, and every segment plays.
TEST_F(Pipelines, SurveillanceRecordsThroughACameraDrop) {
  if (run("/usr/bin/python3 -c 'import gi; gi.require_version(\"GstRtspServer\", \"1.0\")'").status != 0)
    GTEST_SKIP() << "gir1.2-gst-rtsp-server-1.0 is not installed (scripts/install-deps.sh installs it)";
  const std::string port = std::to_string(free_loopback_port());
  const std::string camera_command =
      "/usr/bin/python3 '" GNCYCLEGAN_SOURCE_DIR "/tests/support/rtsp_camera.py' " + port;
  const std::string recordings = dir_.file("segments");
  auto camera = std::make_unique<test::BackgroundCommand>(camera_command, dir_.file("camera.txt"));
  ASSERT_TRUE(wait_until([&] { return camera->output().find("serving") != std::string::npos; }, 30))
      << camera->output();

  test::BackgroundCommand recorder("'" GNCYCLEGAN_SOURCE_DIR "/pipelines/surveillance-rtsp' --segment-seconds 1 "
                                   "--max-backoff 2 rtsp://127.0.0.1:" + port + "/stream '" + recordings + "'",
                                   dir_.file("recorder.txt"));
  ASSERT_TRUE(wait_until([&] { return segments(recordings).size() >= 2; }, 90)) << recorder.output();

  camera->signal(SIGKILL);
  camera->wait(10);
  ASSERT_TRUE(wait_until([&] { return recorder.output().find("reconnecting") != std::string::npos; }, 30))
      << recorder.output();
  std::this_thread::sleep_for(std::chrono::seconds(2));  // a failed attempt or two while the camera is away
  ASSERT_TRUE(recorder.running()) << recorder.output();
  const size_t before_return = segments(recordings).size();

  camera = std::make_unique<test::BackgroundCommand>(camera_command, dir_.file("camera.txt"));
  ASSERT_TRUE(wait_until([&] { return segments(recordings).size() >= before_return + 2; }, 90)) << recorder.output();
  recorder.signal(SIGINT);
  EXPECT_EQ(recorder.wait(30), 0) << recorder.output();

  const auto recorded = segments(recordings);
  ASSERT_GE(recorded.size(), before_return + 2);
  for (size_t i = 0; i < recorded.size(); ++i) {
    char expected[32];
    std::snprintf(expected, sizeof expected, "infrared-%05zu.mkv", i);
    EXPECT_EQ(fs::path(recorded[i]).filename(), expected) << "segments are numbered on, none overwritten";
    EXPECT_TRUE(finalised(recorded[i])) << recorded[i] << " was not closed properly\n" << recorder.output();
    EXPECT_GT(decoded_frames(recorded[i]), 0) << recorded[i] << " does not play";
  }
}

// A camera sending H.264 with damaged stretches (here an MPEG-TS file with
// two, 3 and 6 s in, served in real time): the decoder skips what it cannot
// decode, and the recorder neither stops nor reconnects; the segments after
// the damage hold frames too. (The file lasts 30 s, beyond the test: its end
// would be a camera drop.)
TEST_F(Pipelines, SurveillanceRecordsOnPastCorruptH264FromTheCamera) {
  if (run("/usr/bin/python3 -c 'import gi; gi.require_version(\"GstRtspServer\", \"1.0\")'").status != 0)
    GTEST_SKIP() << "gir1.2-gst-rtsp-server-1.0 is not installed (scripts/install-deps.sh installs it)";
  if (!has_elements({"x264enc", "avdec_h264"})) GTEST_SKIP() << kNoH264;
  const std::string stream = dir_.file("camera.ts"), recordings = dir_.file("segments");
  ASSERT_TRUE(write_test_video(stream, 450, 15, kH264Ts));
  garble_transport_stream(stream, {0.1, 0.2});
  ASSERT_LT(decoded_frames(stream), 450) << "the damage should cost frames";
  const std::string port = std::to_string(free_loopback_port());
  test::BackgroundCommand camera("/usr/bin/python3 '" GNCYCLEGAN_SOURCE_DIR "/tests/support/rtsp_camera.py' " + port +
                                 " --h264-file '" + stream + "'", dir_.file("camera.txt"));
  ASSERT_TRUE(wait_until([&] { return camera.output().find("serving") != std::string::npos; }, 30)) << camera.output();
  test::BackgroundCommand recorder("'" GNCYCLEGAN_SOURCE_DIR "/pipelines/surveillance-rtsp' --segment-seconds 2 "
                                   "rtsp://127.0.0.1:" + port + "/stream '" + recordings + "'",
                                   dir_.file("recorder.txt"));
  // Five 2-second segments closed: 10 s recorded, past both damaged stretches.
  ASSERT_TRUE(wait_until([&] { return segments(recordings).size() >= 6; }, 90)) << recorder.output();
  ASSERT_TRUE(recorder.running()) << recorder.output();
  recorder.signal(SIGINT);
  EXPECT_EQ(recorder.wait(30), 0) << recorder.output();
  EXPECT_EQ(recorder.output().find("reconnecting"), std::string::npos) << recorder.output();
  for (const auto &segment : segments(recordings)) {
    EXPECT_TRUE(finalised(segment)) << segment << "\n" << recorder.output();
    EXPECT_GT(decoded_frames(segment), 0) << segment << " holds no frame\n" << recorder.output();
  }
}

// Bad input ends the recorder with one message; a missing model is not a
// camera drop to retry.
TEST_F(Pipelines, SurveillanceRecorderExplainsBadInput) {
  const auto missing_model =
      run("timeout 60 pipelines/surveillance-rtsp rtsp://127.0.0.1:1/stream '" + dir_.file("r") + "' model=/no/such.safetensors");
  EXPECT_EQ(missing_model.status, 1) << missing_model.output;
  EXPECT_NE(missing_model.output.find("/no/such.safetensors does not exist"), std::string::npos) << missing_model.output;
  const auto misspelt = run("timeout 60 pipelines/surveillance-rtsp rtsp://127.0.0.1:1/stream '" + dir_.file("r") + "' palete=ironbow");
  EXPECT_EQ(misspelt.status, 1) << misspelt.output;
  EXPECT_NE(misspelt.output.find("no property \"palete\""), std::string::npos) << misspelt.output;
  const auto result = run("pipelines/surveillance-rtsp");
  EXPECT_EQ(result.status, 2) << result.output;
  EXPECT_NE(result.output.find("usage:"), std::string::npos) << result.output;
  const auto negative = run("pipelines/surveillance-rtsp --stall-seconds 0 rtsp://camera.invalid/stream /tmp/x");
  EXPECT_EQ(negative.status, 2) << negative.output;
  EXPECT_NE(negative.output.find("--stall-seconds must be positive"), std::string::npos) << negative.output;
}

TEST_F(Pipelines, EmbeddingInPython) {
  if (run("/usr/bin/python3 -c 'import gi; gi.require_version(\"Gst\", \"1.0\")'").status != 0)
    GTEST_SKIP() << "python3-gst-1.0 is not installed";
  const auto result = run(std::string("timeout 120 /usr/bin/python3 pipelines/embed.py '") + kSmallSource + "'");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_NE(result.output.find("12 frames"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace gncycleganir
