#include "trainer/plots.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include <opencv2/imgproc.hpp>

#include "trainer/image_io.h"

namespace gncyclegan::train {
namespace {

struct Series {
  const char *name;
  std::function<double(const LossRow &)> value;
  cv::Scalar colour;  // BGR
};

std::vector<double> moving_average(const std::vector<double> &values, size_t window) {
  std::vector<double> smoothed(values.size());
  double sum = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    sum += values[i];
    if (i >= window) sum -= values[i - window];
    smoothed[i] = sum / static_cast<double>(std::min(i + 1, window));
  }
  return smoothed;
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, std::fabs(value) >= 1000 ? "%.0f" : "%.3g", value);
  return text;
}

void draw_panel(cv::Mat &canvas, cv::Rect area, const std::string &title, const std::vector<LossRow> &rows,
                const std::vector<Series> &series) {
  const cv::Scalar ink(40, 40, 40), grid(225, 225, 225);
  const int font = cv::FONT_HERSHEY_SIMPLEX;
  const cv::Rect plot(area.x + 70, area.y + 40, area.width - 90, area.height - 90);
  cv::putText(canvas, title, {area.x + 70, area.y + 25}, font, 0.6, ink, 1, cv::LINE_AA);

  // Per-step losses are noisy (batch 1): draw them faintly, and a moving
  // average over ~4% of the run on top.
  const size_t window = std::max<size_t>(1, rows.size() / 25);
  std::vector<std::vector<double>> raw, curves;
  double lowest = INFINITY, highest = -INFINITY;
  for (const auto &s : series) {
    std::vector<double> values;
    for (const auto &row : rows) values.push_back(s.value(row));
    raw.push_back(values);
    curves.push_back(moving_average(values, window));
    for (double v : raw.back()) {
      if (!std::isfinite(v)) continue;
      lowest = std::min(lowest, v);
      highest = std::max(highest, v);
    }
  }
  if (!std::isfinite(lowest)) lowest = 0, highest = 1;
  if (highest - lowest < 1e-9) highest = lowest + 1;
  const double first_step = static_cast<double>(rows.front().step);
  const double last_step = std::max(first_step + 1, static_cast<double>(rows.back().step));
  auto to_pixel = [&](double step, double value) {
    return cv::Point(plot.x + static_cast<int>((step - first_step) / (last_step - first_step) * plot.width),
                     plot.y + plot.height - static_cast<int>((value - lowest) / (highest - lowest) * plot.height));
  };

  for (int tick = 0; tick <= 4; ++tick) {
    const int y = plot.y + plot.height - tick * plot.height / 4;
    const int x = plot.x + tick * plot.width / 4;
    cv::line(canvas, {plot.x, y}, {plot.x + plot.width, y}, grid, 1);
    cv::line(canvas, {x, plot.y}, {x, plot.y + plot.height}, grid, 1);
    cv::putText(canvas, number(lowest + (highest - lowest) * tick / 4), {area.x + 5, y + 4}, font, 0.4, ink, 1,
                cv::LINE_AA);
    cv::putText(canvas, std::to_string(static_cast<long long>(std::llround(first_step + (last_step - first_step) * tick / 4))),
                {x - 12, plot.y + plot.height + 18}, font, 0.4, ink, 1, cv::LINE_AA);
  }
  cv::rectangle(canvas, plot, ink, 1);
  cv::putText(canvas, "step", {plot.x + plot.width / 2 - 15, plot.y + plot.height + 38}, font, 0.45, ink, 1,
              cv::LINE_AA);

  auto polyline = [&](const std::vector<double> &values, const cv::Scalar &colour, int thickness) {
    std::vector<cv::Point> points;
    for (size_t i = 0; i < rows.size(); ++i)
      if (std::isfinite(values[i])) points.push_back(to_pixel(static_cast<double>(rows[i].step), values[i]));
    cv::polylines(canvas, points, false, colour, thickness, cv::LINE_AA);
  };
  for (size_t s = 0; s < series.size(); ++s)
    polyline(raw[s], series[s].colour * 0.25 + cv::Scalar(191, 191, 191), 1);  // a light tint
  for (size_t s = 0; s < series.size(); ++s) polyline(curves[s], series[s].colour, 2);

  const cv::Rect legend_box(plot.x + plot.width - 175, plot.y + 6, 168, 8 + 18 * static_cast<int>(series.size()));
  cv::rectangle(canvas, legend_box, cv::Scalar(255, 255, 255), cv::FILLED);
  cv::rectangle(canvas, legend_box, grid, 1);
  for (size_t s = 0; s < series.size(); ++s) {
    const cv::Point legend(legend_box.x + 8, legend_box.y + 14 + static_cast<int>(s) * 18);
    cv::line(canvas, legend, legend + cv::Point(20, 0), series[s].colour, 3);
    cv::putText(canvas, series[s].name, legend + cv::Point(28, 5), font, 0.45, ink, 1, cv::LINE_AA);
  }
}

}  // namespace

void draw_loss_curves(const std::vector<LossRow> &rows, const std::string &path) {
  if (rows.empty()) return;
  cv::Mat canvas(420, 1200, CV_8UC3, cv::Scalar(255, 255, 255));
  if (rows.back().losses.gate > 0 || rows.back().losses.value > 0) {  // a --train-head run
    draw_panel(canvas, {0, 0, 600, 420}, "hot-target head: gate (BCE + Dice)", rows,
               {{"gate", [](const LossRow &r) { return r.losses.gate; }, {200, 90, 30}}});
    draw_panel(canvas, {600, 0, 600, 420}, "hot-target head: value (L1)", rows,
               {{"value", [](const LossRow &r) { return r.losses.value; }, {40, 40, 210}}});
    write_image(path, canvas);
    return;
  }
  draw_panel(canvas, {0, 0, 600, 420}, "cycle-consistency loss (x lambda)", rows,
             {{"cycle_A (G_B o G_A)", [](const LossRow &r) { return r.losses.cycle_A; }, {200, 90, 30}},
              {"cycle_B (G_A o G_B)", [](const LossRow &r) { return r.losses.cycle_B; }, {40, 40, 210}}});
  draw_panel(canvas, {600, 0, 600, 420}, "adversarial losses", rows,
             {{"G_A", [](const LossRow &r) { return r.losses.G_A; }, {200, 90, 30}},
              {"G_B", [](const LossRow &r) { return r.losses.G_B; }, {40, 40, 210}},
              {"D_A", [](const LossRow &r) { return r.losses.D_A; }, {60, 170, 60}},
              {"D_B", [](const LossRow &r) { return r.losses.D_B; }, {0, 150, 230}}});
  write_image(path, canvas);
}

void write_sample_grid(const Batch &batch, const Translation &translation, const std::string &path) {
  const int64_t rows = batch.visible.size(0);
  const int side = static_cast<int>(batch.visible.size(2));
  const int header = 24;
  const char *cyclegan_titles[] = {"visible", "fake infrared", "reconstructed", "real infrared", "fake visible"};
  const char *head_titles[] = {"visible", "output", "base", "real infrared", "gate"};
  const char *const *titles = translation.head ? head_titles : cyclegan_titles;
  cv::Mat canvas(header + static_cast<int>(rows) * side, 5 * side, CV_8UC3, cv::Scalar(255, 255, 255));
  for (int column = 0; column < 5; ++column)
    cv::putText(canvas, titles[column], {column * side + 4, 17}, cv::FONT_HERSHEY_SIMPLEX, 0.45, {40, 40, 40}, 1,
                cv::LINE_AA);
  for (int64_t r = 0; r < rows; ++r) {
    const torch::Tensor tiles[] = {batch.visible[r], translation.fake_infrared[r], translation.reconstructed_visible[r],
                                   batch.infrared[r], translation.fake_visible[r]};
    for (int column = 0; column < 5; ++column)
      tensor_to_bgr8(tiles[column]).copyTo(canvas(cv::Rect(column * side, header + static_cast<int>(r) * side, side, side)));
  }
  write_image(path, canvas);
}

}  // namespace gncyclegan::train
