// Every script in pipelines/ run as people run it, with a test source where a
// camera would be and the bundled default model; a run that hangs fails after
// two minutes.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/test_support.h"

namespace gncycleganir {
namespace {

namespace test = gncyclegan::test;

namespace fs = std::filesystem;

class Pipelines : public ::testing::Test {
 protected:
  test::CommandResult run(const std::string &command) {
    return test::run_command("cd '" GNCYCLEGAN_SOURCE_DIR "' && " + command, dir_.file("output.txt"));
  }
  static constexpr const char *kSmallSource = "videotestsrc num-buffers=12 ! video/x-raw,width=64,height=48";
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

TEST_F(Pipelines, SurveillanceRecordsSegments) {
  // A live source, as an RTSP camera is.
  const auto result = run(std::string("SOURCE='videotestsrc is-live=true num-buffers=12 ! video/x-raw,width=64,height=48'") +
                          " SEGMENT_SECONDS=1 timeout 120 pipelines/surveillance-rtsp " +
                          "rtsp://camera.invalid/stream '" + dir_.file("segments") + "'");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_TRUE(fs::exists(dir_.file("segments/infrared-00000.mkv")));
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
