// The pictures a run leaves: loss curves (as the paper's Figures 6-7) and
// per-epoch sample grids.
#pragma once

#include <string>
#include <vector>

#include "trainer/cyclegan.h"
#include "trainer/loss_log.h"

namespace gncyclegan::train {

// Two panels against step: the cycle losses of both generators, and the
// adversarial terms (moving averages). Throws on a write failure.
void draw_loss_curves(const std::vector<LossRow> &rows, const std::string &path);

// A row per image: visible | fake infrared | reconstructed visible | real
// infrared | fake visible.
void write_sample_grid(const Batch &batch, const Translation &translation, const std::string &path);

}  // namespace gncyclegan::train
