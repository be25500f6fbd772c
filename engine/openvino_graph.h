// The generator rebuilt as an OpenVINO graph from the tensors of a loaded
// LibTorch generator, so OpenVINO runs the very weights file the element
// loads (no exported model, no second file). ResNet and unshuffle generators
// (every `resnet_<N>blocks[_cbam][_resizeconv]` and `unshuffle<S>_<N>blocks[_cbam]`)
// and hot-target heads over them (`hot[_half]_<base>`); U-Nets stay on LibTorch.
#pragma once

#include <memory>
#include <string>

#include <openvino/core/model.hpp>

#include "model/generator.h"

namespace gncycleganir {

// Batch size of a graph that runs any batch size.
constexpr int64_t kAnyBatch = -1;

// A graph with one f32 input of shape batch x in_channels x height x width
// (multiples of the size multiple) and one f32 output batch x out_channels x
// height x width, computing what generator.forward computes in eval mode;
// batch kAnyBatch gives a graph whose batch size is set by each input.
// Throws std::invalid_argument for an architecture it cannot build (see
// openvino_builds in engine/openvino_backend.h).
std::shared_ptr<ov::Model> build_openvino_graph(gncyclegan::Generator &generator, int64_t batch, int64_t height,
                                                int64_t width);

}  // namespace gncycleganir
