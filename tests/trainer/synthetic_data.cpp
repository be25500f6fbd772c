#include "tests/trainer/synthetic_data.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace gncyclegan::test {

int infrared_of(int red, int green, int blue) {
  return std::clamp((red * 200 + green * 110 + blue * 20) / 255 + 30, 0, 255);
}

namespace {

struct Scene {
  cv::Mat visible, infrared;
};

Scene make_scene(std::mt19937 &random, int size) {
  Scene scene{cv::Mat(size, size, CV_8UC3, cv::Scalar(30, 30, 30)), cv::Mat(size, size, CV_8UC1, cv::Scalar(infrared_of(30, 30, 30)))};
  const cv::Scalar palette[] = {{0, 0, 230}, {0, 200, 0}, {220, 0, 0}, {0, 200, 230}};  // BGR: red, green, blue, yellow
  std::uniform_int_distribution<int> position(0, size - 1), radius(size / 10, size / 4), colour(0, 3), kind(0, 1);
  for (int shape = 0; shape < 4; ++shape) {
    const cv::Scalar bgr = palette[colour(random)];
    const cv::Scalar ir(infrared_of(static_cast<int>(bgr[2]), static_cast<int>(bgr[1]), static_cast<int>(bgr[0])));
    const cv::Point centre(position(random), position(random));
    const int r = radius(random);
    if (kind(random) == 0) {
      cv::circle(scene.visible, centre, r, bgr, cv::FILLED);
      cv::circle(scene.infrared, centre, r, ir, cv::FILLED);
    } else {
      const cv::Rect box(centre.x - r, centre.y - r, 2 * r, r);
      cv::rectangle(scene.visible, box, bgr, cv::FILLED);
      cv::rectangle(scene.infrared, box, ir, cv::FILLED);
    }
  }
  return scene;
}

}  // namespace

void make_synthetic_dataset(const std::string &dir, int count, int size, bool paired, unsigned seed) {
  namespace fs = std::filesystem;
  fs::create_directories(fs::path(dir) / "visible");
  fs::create_directories(fs::path(dir) / "infrared");
  std::mt19937 visible_random(seed), infrared_random(seed + 1000);
  for (int i = 0; i < count; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "scene_%03d.png", i);
    Scene scene = make_scene(visible_random, size);
    cv::imwrite((fs::path(dir) / "visible" / name).string(), scene.visible);
    if (!paired) scene = make_scene(infrared_random, size);
    cv::imwrite((fs::path(dir) / "infrared" / name).string(), scene.infrared);
  }
}

train::TrainOptions tiny_run(const std::string &dir, const std::string &generator, int ngf) {
  make_synthetic_dataset(dir + "/data", 2, 72);
  train::TrainOptions o;
  o.visible_dir = dir + "/data/visible";
  o.infrared_dir = dir + "/data/infrared";
  o.load_size = 72;
  o.crop_size = 64;
  o.ngf = ngf;
  o.ndf = 4;
  o.generator = generator;
  o.log_every = 3600;
  return o;
}

}  // namespace gncyclegan::test
