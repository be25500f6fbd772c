// A synthetic unpaired visible/infrared data set, made on disk by the tests:
// coloured shapes on a dark background, whose infrared intensity is a known
// function of their colour (red hot, green warm, blue cold).
#pragma once

#include <string>

#include "trainer/options.h"

namespace gncyclegan::test {

// Writes `count` visible PNGs to DIR/visible and `count` infrared PNGs to
// DIR/infrared, `size` x `size` pixels. Visible and infrared images show
// different random scenes (unpaired) unless `paired`, when image i of both
// folders shows one scene under one file name.
void make_synthetic_dataset(const std::string &dir, int count, int size, bool paired = false, unsigned seed = 1);

// Options for a training run of seconds: two synthetic 72-px images (unpaired)
// written to DIR/data, 64-px crops, the generator `generator` of width `ngf`,
// discriminators of width 4, no progress lines.
train::TrainOptions tiny_run(const std::string &dir, const std::string &generator, int ngf);

// The infrared intensity (0..255) of a shape of the given RGB colour.
int infrared_of(int red, int green, int blue);

}  // namespace gncyclegan::test
