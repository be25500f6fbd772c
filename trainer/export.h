// Writing the visible->infrared generator for the element, with its provenance
// in the weights file's metadata.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/config.h"
#include "model/weights.h"
#include "trainer/dataset_spec.h"
#include "trainer/options.h"

namespace gncyclegan::train {

struct RunFacts {
  int64_t visible_images = 0;
  int64_t infrared_images = 0;
  int64_t steps = 0;
  int64_t steps_per_epoch = 1;
  std::vector<SetRecord> sets;  // empty for runs from before several sets
  int world_size = 1;             // data-parallel ranks
};

// Metadata describing how a generator was trained (string values, as
// safetensors requires): data, image counts, steps, epochs, GN, loss, scale...
// The sets are in training_sets (JSON: name, visible, infrared, weight,
// scale, counts); one set also gives training_visible_dir and
// training_infrared_dir, as before. A --train-head run records the head's
// schedule instead of the CycleGAN losses, and its base's own metadata as
// base_<key> (read from --init-generator when that file is at hand; a hot_
// file's own keys, an earlier stage's, as init_<key>).
Metadata provenance(const TrainOptions &options, const RunFacts &facts);

// `gncyclegan-train export`: the G_A of a checkpoint (a checkpoint directory,
// or a run directory for its latest one) to `path`; given a generator weights
// file instead, a copy of it with `extra` added to its metadata. Returns what was written,
// for the message. `extra` (a model's name, its test scores) is stored beside
// the provenance and overrides keys of the same name, except the
// configuration's.
std::string export_checkpoint(const std::string &checkpoint_or_run, const std::string &path,
                              const Metadata &extra = {}, Storage storage = Storage::fp32);

}  // namespace gncyclegan::train
