// Temporal stability: the flicker of a clip of known motion, the warping
// error of Lai et al., the clips make-clip makes, video files, and
// gncyclegan-eval video / make-clip on the command line.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "model/generator.h"
#include "model/weights.h"
#include "tests/support/test_support.h"
#include "trainer/dataset.h"
#include "trainer/motion_clip.h"
#include "trainer/temporal_metrics.h"
#include "trainer/video_evaluation.h"
#include "trainer/video_frames.h"

namespace gncyclegan::train {
namespace {

// A smooth, textured gray scene: optical flow finds its motion everywhere.
cv::Mat scene(cv::Size size) {
  cv::Mat image(size, CV_8UC1);
  for (int y = 0; y < size.height; ++y)
    for (int x = 0; x < size.width; ++x)
      image.at<uchar>(y, x) = cv::saturate_cast<uchar>(128 + 60 * std::sin(x / 6.0) * std::cos(y / 9.0) +
                                                       40 * std::sin((x + 2 * y) / 17.0));
  return image;
}

cv::Mat bgr(const cv::Mat &gray) {
  cv::Mat result;
  cv::cvtColor(gray, result, cv::COLOR_GRAY2BGR);
  return result;
}

cv::Mat noise(cv::Size size, int seed) {
  // std::mt19937: OpenCV's generator gives correlated streams for nearby seeds.
  std::mt19937 random(seed);
  cv::Mat image(size, CV_8UC1);
  for (auto &pixel : cv::Mat_<uchar>(image)) pixel = static_cast<uchar>(random() & 0xff);
  return image;
}

TEST(MotionClip, APanCopiesTheWindowItMovesTwoPixelsAFrame) {
  const cv::Mat source = scene({100, 60});
  MotionClipOptions options;
  options.frames = 5;  // travel 8 px; window 74 x 44 (0.75 of the sides, rounded down to even)
  const MotionClip clip = make_motion_clip(bgr(source), 255 - source, options);
  ASSERT_EQ(clip.visible.size(), 5u);
  ASSERT_EQ(clip.infrared[0].size(), cv::Size(74, 44));
  // The travel is centred: it starts at (100 - 74 - 8) / 2 = 9, 8 rows down.
  for (int t = 0; t < 5; ++t) {
    const cv::Rect window(9 + 2 * t, 8, 74, 44);
    EXPECT_EQ(cv::norm(clip.infrared[t], 255 - source(window), cv::NORM_INF), 0) << "frame " << t;
    EXPECT_EQ(cv::norm(clip.visible[t], bgr(source)(window), cv::NORM_INF), 0) << "frame " << t;
  }
  // Frame t+1's pixel x is frame t's pixel x + 2.
  const cv::Matx23d m = clip.next_to_previous(2);
  EXPECT_NEAR(m(0, 2), 2, 1e-12);
  EXPECT_NEAR(m(1, 2), 0, 1e-12);
  EXPECT_NEAR(m(0, 0), 1, 1e-12);
}

TEST(MotionClip, AZoomMagnifiesAboutTheCentre) {
  MotionClipOptions options;
  options.motion = Motion::zoom;
  options.frames = 3;
  options.zoom_per_frame = 1.25;
  const cv::Mat source = scene({81, 61});
  const MotionClip clip = make_motion_clip(bgr(source), source, options);
  // Frame t+1 shows the scene 1.25x larger: its pixel at d from the centre
  // was at d / 1.25 in frame t. Frame size 60 x 44, centre (29.5, 21.5).
  const cv::Matx23d m = clip.next_to_previous(0);
  EXPECT_NEAR(m(0, 0), 0.8, 1e-12);
  EXPECT_NEAR(m(1, 1), 0.8, 1e-12);
  EXPECT_NEAR(m(0, 0) * 29.5 + m(0, 2), 29.5, 1e-9);
  EXPECT_NEAR(m(1, 1) * 21.5 + m(1, 2), 21.5, 1e-9);
  // The first frame is the centred window at 1:1: (81 - 60) / 2 = 10.5 px in.
  EXPECT_NEAR(clip.frame_to_source[0](0, 2), 10.5, 1e-12);
}

TEST(MotionClip, MotionThatLeavesThePairIsRefused) {
  MotionClipOptions options;
  options.frames = 60;  // 118 px of travel in a 100-px image
  EXPECT_THROW(make_motion_clip(bgr(scene({100, 60})), scene({100, 60}), options), std::invalid_argument);
  options.motion = Motion::zoom;
  options.zoom_per_frame = 0.9;  // out to 0.9^59 of the window
  EXPECT_THROW(make_motion_clip(bgr(scene({100, 60})), scene({100, 60}), options), std::invalid_argument);
}

TEST(TemporalFlicker, AnOutputThatFollowsThePanScoresZeroAndAnOffsetOneScoresIt) {
  const cv::Mat source = scene({120, 50});
  MotionClipOptions options;
  options.frames = 2;
  const MotionClip clip = make_motion_clip(bgr(source), source, options);
  EXPECT_EQ(temporal_flicker(clip.infrared[0], clip.infrared[1], clip.next_to_previous(0)), 0.0);
  // Every pixel of the second frame 3 gray levels brighter (none saturates).
  EXPECT_NEAR(temporal_flicker(clip.infrared[0], clip.infrared[1] + 3, clip.next_to_previous(0)), 3.0, 1e-9);
  // An output that stands still while the scene pans differs by the scene's own change.
  EXPECT_GT(temporal_flicker(clip.infrared[0], clip.infrared[0], clip.next_to_previous(0)), 1.0);
}

TEST(TemporalFlicker, FramesThatShareNoPixelAreRefused) {
  const cv::Mat frame = scene({20, 20});
  EXPECT_THROW(temporal_flicker(frame, frame, cv::Matx23d(1, 0, 50, 0, 1, 0)), std::invalid_argument);
  EXPECT_THROW(temporal_flicker(frame, scene({21, 20}), cv::Matx23d(1, 0, 0, 0, 1, 0)), std::invalid_argument);
}

TEST(WarpingError, AStaticVideoScoresZeroAndNoiseScoresHigh) {
  const cv::Mat frame = bgr(scene({160, 120})), output = scene({160, 120});
  WarpingErrorMeter meter;
  const WarpingError still = meter.measure(frame, frame, output, output);
  EXPECT_LT(still.mse, 1e-3);
  EXPECT_GT(still.tracked_share, 0.95);
  // Independent uniform noise in 0..255: E[(a - b)²] = 2 · (256² - 1) / 12 ≈ 10922.
  const WarpingError noisy = meter.measure(frame, frame, noise({160, 120}, 1), noise({160, 120}, 2));
  EXPECT_NEAR(noisy.mse, 10922, 400);
}

TEST(WarpingError, TheFlowFollowsAPan) {
  const cv::Mat source = scene({200, 120});
  MotionClipOptions options;
  options.frames = 2;
  options.pan_pixels = 3;
  const MotionClip clip = make_motion_clip(bgr(source), source, options);
  WarpingErrorMeter meter;
  // The output moves with the scene: small error; one that stands still: large.
  const WarpingError following = meter.measure(clip.visible[0], clip.visible[1], clip.infrared[0], clip.infrared[1]);
  const WarpingError standing = meter.measure(clip.visible[0], clip.visible[1], clip.infrared[0], clip.infrared[0]);
  EXPECT_LT(following.mse, 2.0);
  EXPECT_GT(standing.mse, 50 * following.mse);
}

class VideoFiles : public ::testing::Test {
 protected:
  // A 2-px pan of `frames` frames over a 240 x 120 scene, written to DIR/name/.
  MotionClip write_pan(int frames, const std::string &name) {
    const cv::Mat source = scene({240, 120});
    MotionClipOptions options;
    options.frames = frames;
    MotionClip clip = make_motion_clip(bgr(source), source, options);
    write_motion_clip(clip, options, dir_.file(name));
    return clip;
  }
  test::TemporaryDirectory dir_;
};

TEST_F(VideoFiles, AStaticDecodedVideoScoresZeroAndFramesComeBackInOrder) {
  std::vector<cv::Mat> frames(5, bgr(scene({160, 120})));
  write_video(frames, dir_.file("still.avi"), 25);
  FrameReader reader(dir_.file("still.avi"));
  EXPECT_TRUE(reader.is_video());
  cv::Mat frame;
  std::string name;
  int count = 0;
  while (reader.next(frame, name)) {
    EXPECT_EQ(frame.size(), cv::Size(160, 120));
    ++count;
  }
  EXPECT_EQ(count, 5);
  EXPECT_EQ(name, "frame_0004");

  VideoEvalOptions options;
  options.baseline = Baseline::gray;
  options.input = dir_.file("still.avi");
  options.output_video = dir_.file("translated.mkv");
  const VideoEvaluation evaluation = evaluate_video(options);
  // The translated frames, encoded: as many, of the input's size.
  FrameReader translated(dir_.file("translated.mkv"));
  int written = 0;
  while (translated.next(frame, name)) {
    EXPECT_EQ(frame.size(), cv::Size(160, 120));
    ++written;
  }
  EXPECT_EQ(written, 5);
  ASSERT_EQ(evaluation.frames.size(), 5u);
  EXPECT_TRUE(std::isnan(evaluation.frames[0].warping_error)) << "the first frame has nothing to be compared with";
  EXPECT_LT(evaluation.mean(&FrameScore::warping_error), 1e-3);
  EXPECT_TRUE(std::isnan(evaluation.mean(&FrameScore::psnr))) << "no ground truth was given";
}

TEST_F(VideoFiles, AnH264PanKeepsItsMotionThroughTheCodec) {
  const MotionClip clip = write_pan(10, "clip");
  write_video(clip.visible, dir_.file("clip/visible.mp4"), 30);
  VideoEvalOptions video;
  video.baseline = Baseline::gray;
  video.input = dir_.file("clip/visible.mp4");
  video.infrared = dir_.file("clip/infrared");
  video.motion = dir_.file("clip/motion.json");
  const VideoEvaluation decoded = evaluate_video(video);
  // The decoded input shimmers only by its compression noise, and matches the
  // ground truth (the same scene in gray) closely.
  EXPECT_LT(decoded.mean(&FrameScore::flicker), 1.0);
  EXPECT_GT(decoded.mean(&FrameScore::psnr), 35.0);
  // The lossless frames: no flicker at all.
  video.input = dir_.file("clip/visible");
  EXPECT_EQ(evaluate_video(video).mean(&FrameScore::flicker), 0.0);
}

TEST_F(VideoFiles, MismatchedInputsAreNamed) {
  write_pan(4, "clip");
  write_pan(3, "short");
  VideoEvalOptions video;
  video.baseline = Baseline::gray;
  video.input = dir_.file("clip/visible");
  video.motion = dir_.file("short/motion.json");
  EXPECT_THROW(evaluate_video(video), DataError);
  video.motion.clear();
  video.infrared = dir_.file("short/infrared");
  EXPECT_THROW(evaluate_video(video), DataError);
  std::ofstream(dir_.file("not-a-video.mp4")) << "text";
  video.input = dir_.file("not-a-video.mp4");
  EXPECT_THROW(evaluate_video(video), DataError);
}

class VideoCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const char *binary = std::getenv("GNCYCLEGAN_EVAL");
    ASSERT_TRUE(binary) << "GNCYCLEGAN_EVAL must name the gncyclegan-eval binary (meson test sets it)";
    binary_ = binary;
    const cv::Mat source = scene({200, 100});
    cv::imwrite(dir_.file("visible.png"), bgr(source));
    cv::imwrite(dir_.file("infrared.png"), 255 - source);
  }
  test::CommandResult run(const std::string &arguments) {
    return test::run_command("'" + binary_ + "' " + arguments, dir_.file("output.txt"));
  }
  std::string binary_;
  test::TemporaryDirectory dir_;
};

TEST_F(VideoCli, MakeClipThenScoreIt) {
  const auto made = run("make-clip --visible '" + dir_.file("visible.png") + "' --infrared '" +
                        dir_.file("infrared.png") + "' --motion zoom --frames 6 --zoom-per-frame 1.02 --out '" +
                        dir_.file("clip") + "' --video '" + dir_.file("clip/visible.mkv") + "'");
  ASSERT_EQ(made.status, 0) << made.output;
  EXPECT_NE(made.output.find("wrote 6 frames of 150x74"), std::string::npos) << made.output;
  const auto scored = run("video --baseline inverted-gray --input '" + dir_.file("clip/visible.mkv") + "' --infrared '" +
                          dir_.file("clip/infrared") + "' --motion '" + dir_.file("clip/motion.json") + "' --json");
  ASSERT_EQ(scored.status, 0) << scored.output;
  const auto summary = nlohmann::json::parse(scored.output);
  EXPECT_EQ(summary["frames"], 6);
  EXPECT_GT(summary["psnr"].get<double>(), 30.0) << "the inverted gray input is this clip's infrared";
  EXPECT_LT(summary["flicker"].get<double>(), 2.0);
  EXPECT_FALSE(summary["warping_error"].is_null());
}

TEST_F(VideoCli, UsageErrorsSayWhatIsMissing) {
  const auto nothing = run("video --input '" + dir_.file("visible.png") + "'");
  EXPECT_EQ(nothing.status, 2);
  EXPECT_NE(nothing.output.find("--model FILE or --baseline"), std::string::npos) << nothing.output;
  const auto far = run("make-clip --visible '" + dir_.file("visible.png") + "' --infrared '" + dir_.file("infrared.png") +
                       "' --frames 500 --out '" + dir_.file("clip") + "'");
  EXPECT_EQ(far.status, 1);
  EXPECT_NE(far.output.find("lower the frames"), std::string::npos) << far.output;
  const auto help = run("video --help");
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.output.find("Lai et al."), std::string::npos) << help.output;
}

TEST_F(VideoCli, TheTemporalScriptTabulatesEverySplitAndMotion) {
  namespace fs = std::filesystem;
  const cv::Mat source = scene({96, 64});
  for (const char *pair : {"roadscene/test/%s/a.png", "roadscene/test/%s/b.png", "msrs/test/%s/00001N.png",
                           "msrs/test/%s/00002D.png"})
    for (const char *domain : {"visible", "infrared"}) {
      char path[128];
      std::snprintf(path, sizeof path, pair, domain);
      fs::create_directories(fs::path(dir_.file(path)).parent_path());
      cv::imwrite(dir_.file(path), std::string(domain) == "visible" ? bgr(source) : 255 - source);
    }
  GeneratorConfig config = GeneratorConfig::from_name("resnet_1blocks_cbam");
  config.ngf = 4;
  save_generator(dir_.file("g.safetensors"), *make_generator(config));
  const auto result = test::run_command("cd / && GNCYCLEGAN_EVAL='" + binary_ + "' '" GNCYCLEGAN_SOURCE_DIR
                                        "/scripts/eval-temporal.sh' --data '" + dir_.file(".") + "' --frames 3 '" +
                                            dir_.file("g.safetensors") + "' -- --threads 1",
                                        dir_.file("temporal.txt"));
  ASSERT_EQ(result.status, 0) << result.output;
  for (const char *row : {"| set | motion | clips | g.safetensors flicker / warping / PSNR / SSIM | gray flicker",
                          "| RoadScene test | pan | 2 | ", "| RoadScene test | zoom | 2 | ",
                          "| MSRS test, night | pan | 1 | ", "| MSRS test, night | zoom | 1 | "})
    EXPECT_NE(result.output.find(row), std::string::npos) << row << "\n" << result.output;
}

}  // namespace
}  // namespace gncyclegan::train
