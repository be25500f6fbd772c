#include "engine/openvino_graph.h"

#include <map>
#include <stdexcept>

#include <openvino/op/add.hpp>
#include <openvino/op/avg_pool.hpp>
#include <openvino/op/batch_norm.hpp>
#include <openvino/op/concat.hpp>
#include <openvino/op/constant.hpp>
#include <openvino/op/convolution.hpp>
#include <openvino/op/depth_to_space.hpp>
#include <openvino/op/interpolate.hpp>
#include <openvino/op/matmul.hpp>
#include <openvino/op/multiply.hpp>
#include <openvino/op/mvn.hpp>
#include <openvino/op/pad.hpp>
#include <openvino/op/parameter.hpp>
#include <openvino/op/reduce_max.hpp>
#include <openvino/op/reduce_mean.hpp>
#include <openvino/op/relu.hpp>
#include <openvino/op/reshape.hpp>
#include <openvino/op/result.hpp>
#include <openvino/op/sigmoid.hpp>
#include <openvino/op/slice.hpp>
#include <openvino/op/space_to_depth.hpp>
#include <openvino/op/subtract.hpp>
#include <openvino/op/tanh.hpp>

#include "engine/openvino_backend.h"
#include "model/any_size.h"
#include "model/hot_target_head.h"
#include "model/weights.h"

namespace gncycleganir {
namespace {

using ov::Output;
using ov::Node;
namespace op = ov::op;

// The generator's tensors by state-dict name, as OpenVINO constants; a
// scoped view reads one part's (`base.`, `head.`) by the part's own names.
class Weights {
 public:
  explicit Weights(const torch::nn::Module &module)
      : tensors_(std::make_shared<const std::map<std::string, torch::Tensor>>(gncyclegan::module_tensors(module))) {}

  Weights scoped(const std::string &prefix) const {
    Weights part = *this;
    part.prefix_ += prefix;
    return part;
  }

  std::shared_ptr<op::v0::Constant> operator()(const std::string &name) const {
    auto it = tensors_->find(prefix_ + name);
    if (it == tensors_->end()) throw std::invalid_argument("the generator has no tensor " + prefix_ + name);
    const torch::Tensor tensor = it->second.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    ov::Shape shape(tensor.sizes().begin(), tensor.sizes().end());
    // (const void *: a float * would pick the constructor that fills with one value)
    return std::make_shared<op::v0::Constant>(ov::element::f32, shape, static_cast<const void *>(tensor.data_ptr<float>()));
  }
  // A bias of C values shaped 1 x C x 1 x 1, to add to an N x C x H x W map.
  std::shared_ptr<op::v0::Constant> bias(const std::string &name) const {
    auto constant = (*this)(name);
    const size_t channels = ov::shape_size(constant->get_shape());
    return std::make_shared<op::v0::Constant>(*constant, ov::Shape{1, channels, 1, 1});
  }

 private:
  std::shared_ptr<const std::map<std::string, torch::Tensor>> tensors_;
  std::string prefix_;
};

std::shared_ptr<op::v0::Constant> integers(const std::vector<int64_t> &values) {
  return op::v0::Constant::create(ov::element::i64, ov::Shape{values.size()}, values);
}

Output<Node> reflect_pad(const Output<Node> &x, int64_t pad) {
  return std::make_shared<op::v12::Pad>(x, integers({0, 0, pad, pad}), integers({0, 0, pad, pad}),
                                        ov::op::PadMode::REFLECT);
}

Output<Node> slice(const Output<Node> &x, int64_t axis, int64_t begin, int64_t end) {
  return std::make_shared<op::v8::Slice>(x, integers({begin}), integers({end}), integers({1}), integers({axis}));
}

// A convolution whose bias is added only when it matters: before an
// InstanceNorm a per-channel constant is subtracted again with the mean.
Output<Node> conv(const Weights &w, const std::string &name, const Output<Node> &x, size_t stride, int64_t pad,
                  bool with_bias, size_t dilation = 1) {
  Output<Node> y = std::make_shared<op::v1::Convolution>(x, w(name + ".weight"), ov::Strides{stride, stride},
                                                         ov::CoordinateDiff{pad, pad}, ov::CoordinateDiff{pad, pad},
                                                         ov::Strides{dilation, dilation});
  if (with_bias) y = std::make_shared<op::v1::Add>(y, w.bias(name + ".bias"));
  return y;
}

// InstanceNorm without affine parameters: per sample and channel over H, W.
Output<Node> instance_norm(const Output<Node> &x) {
  return std::make_shared<op::v6::MVN>(x, integers({2, 3}), true, 1e-5f, ov::op::MVNEpsMode::INSIDE_SQRT);
}

Output<Node> relu(const Output<Node> &x) { return std::make_shared<op::v0::Relu>(x); }

// BatchNorm with its running statistics (eval mode).
Output<Node> batch_norm(const Weights &w, const std::string &prefix, const Output<Node> &x) {
  return std::make_shared<op::v5::BatchNormInference>(x, w(prefix + "weight"), w(prefix + "bias"),
                                                      w(prefix + "running_mean"), w(prefix + "running_var"), 1e-5);
}

// CBAM (model/cbam.h): channel gate through a shared MLP on the average- and
// max-pooled features, then a spatial gate from a 7x7 convolution and
// BatchNorm (its running statistics: eval mode) on [max_c; mean_c].
Output<Node> cbam(const Weights &w, const std::string &prefix, const Output<Node> &x) {
  auto mlp = [&](const Output<Node> &pooled) {
    Output<Node> hidden = std::make_shared<op::v0::MatMul>(pooled, w(prefix + "mlp.0.weight"), false, true);
    hidden = relu(std::make_shared<op::v1::Add>(hidden, w(prefix + "mlp.0.bias")));
    Output<Node> out = std::make_shared<op::v0::MatMul>(hidden, w(prefix + "mlp.2.weight"), false, true);
    return std::make_shared<op::v1::Add>(out, w(prefix + "mlp.2.bias"));
  };
  auto spatial_axes = integers({2, 3});
  auto average = std::make_shared<op::v1::ReduceMean>(x, spatial_axes, false);
  auto maximum = std::make_shared<op::v1::ReduceMax>(x, spatial_axes, false);
  auto attention = std::make_shared<op::v0::Sigmoid>(std::make_shared<op::v1::Add>(mlp(average), mlp(maximum)));
  auto as_map = std::make_shared<op::v1::Reshape>(attention, integers({0, -1, 1, 1}), true);
  auto gated = std::make_shared<op::v1::Multiply>(x, as_map);

  auto channel_axis = integers({1});
  auto pooled = std::make_shared<op::v0::Concat>(
      ov::OutputVector{std::make_shared<op::v1::ReduceMax>(gated, channel_axis, true),
                       std::make_shared<op::v1::ReduceMean>(gated, channel_axis, true)},
      1);
  auto normed = batch_norm(w, prefix + "spatial.bn.", conv(w, prefix + "spatial.conv", pooled, 1, 3, false));
  return std::make_shared<op::v1::Multiply>(gated, std::make_shared<op::v0::Sigmoid>(normed));
}

Output<Node> resnet_block(const Weights &w, const std::string &prefix, const Output<Node> &x, bool with_cbam) {
  Output<Node> y = relu(instance_norm(conv(w, prefix + "conv_block.1", reflect_pad(x, 1), 1, 0, false)));
  y = instance_norm(conv(w, prefix + "conv_block.5", reflect_pad(y, 1), 1, 0, false));
  if (with_cbam) y = cbam(w, prefix + "cbam.", y);
  return std::make_shared<op::v1::Add>(x, y);
}

// 2x upsampling: the reference's ConvTranspose2d(3, stride 2, padding 1,
// output_padding 1), or nearest-neighbour resize + reflection pad + 3x3
// convolution (the _resizeconv variant). Followed by InstanceNorm, so no bias.
Output<Node> upsample(const Weights &w, const std::string &prefix, const Output<Node> &x, bool resize_conv) {
  if (!resize_conv)
    return std::make_shared<op::v1::ConvolutionBackpropData>(x, w(prefix + ".weight"), ov::Strides{2, 2},
                                                             ov::CoordinateDiff{1, 1}, ov::CoordinateDiff{1, 1},
                                                             ov::Strides{1, 1}, ov::op::PadType::EXPLICIT,
                                                             ov::CoordinateDiff{1, 1});
  op::util::InterpolateBase::InterpolateAttrs attrs;
  attrs.mode = op::util::InterpolateBase::InterpolateMode::NEAREST;
  attrs.shape_calculation_mode = op::util::InterpolateBase::ShapeCalcMode::SCALES;
  // PyTorch's nearest upsampling: output pixel i reads input pixel floor(i / 2).
  attrs.coordinate_transformation_mode = op::util::InterpolateBase::CoordinateTransformMode::ASYMMETRIC;
  attrs.nearest_mode = op::util::InterpolateBase::NearestMode::FLOOR;
  auto scales = op::v0::Constant::create(ov::element::f32, ov::Shape{2}, {2.0f, 2.0f});
  auto resized = std::make_shared<op::v11::Interpolate>(x, scales, integers({2, 3}), attrs);
  return conv(w, prefix + ".conv", reflect_pad(resized, 1), 1, 0, false);
}

// conv(w, name, reflect_pad(concat(a, b), 1)) for a 3x3 convolution, as the
// sum of a convolution over each part: no concatenation of a few channels at
// full size, which OpenVINO's CPU plugin copies with its reference kernel.
Output<Node> fuse_conv(const Weights &w, const std::string &name, const Output<Node> &a, const Output<Node> &b) {
  const auto weight = w(name + ".weight");
  const int64_t a_channels = a.get_partial_shape()[1].get_length();
  const int64_t all = static_cast<int64_t>(weight->get_shape()[1]);
  auto part = [&](const Output<Node> &x, int64_t begin, int64_t end) {
    return std::make_shared<op::v1::Convolution>(reflect_pad(x, 1), slice(weight, 1, begin, end), ov::Strides{1, 1},
                                                 ov::CoordinateDiff{0, 0}, ov::CoordinateDiff{0, 0}, ov::Strides{1, 1});
  };
  return std::make_shared<op::v1::Add>(part(a, 0, a_channels), part(b, a_channels, all));
}

// A k x k convolution to one channel, with bias, over an already padded map.
// OpenVINO's CPU convolutions compute blocks of 8 output channels, and one
// channel alone runs far below their rate. Two ways round it, each the
// faster where it is used (docs/performance.md, AMD EPYC (AVX2)): a 3x3 kernel runs as a convolution to 8 channels,
// the other 7 zero, and the first is sliced out; a larger one runs on the
// map's 4 x 4 space-to-depth, one convolution to 16 channels, each the output
// pixel at one position of a 4 x 4 block, then depth-to-space. Both sum the
// same products, in another order.
Output<Node> single_channel_conv_padded(const std::shared_ptr<op::v0::Constant> &weight, const Output<Node> &x) {
  auto shape = weight->get_shape();
  const size_t per_channel = ov::shape_size(shape);
  std::vector<float> padded(8 * per_channel, 0.0f);
  std::copy_n(weight->get_data_ptr<float>(), per_channel, padded.begin());
  shape[0] = 8;
  auto padded_weight = std::make_shared<op::v0::Constant>(ov::element::f32, shape, padded);
  auto y = std::make_shared<op::v1::Convolution>(x, padded_weight, ov::Strides{1, 1}, ov::CoordinateDiff{0, 0},
                                                 ov::CoordinateDiff{0, 0}, ov::Strides{1, 1});
  return slice(y, 1, 0, 1);
}

Output<Node> single_channel_conv_in_blocks(const std::shared_ptr<op::v0::Constant> &weight, const Output<Node> &x) {
  constexpr int64_t F = 4;
  const auto &shape = weight->get_shape();  // 1 x C x k x k
  const int64_t channels = int64_t(shape[1]), k = int64_t(shape[2]);
  const int64_t height = x.get_partial_shape()[2].get_length() - (k - 1);
  const int64_t width = x.get_partial_shape()[3].get_length() - (k - 1);
  // Output pixel F * i + p reads input rows F * i + p + d (d < k): blocks i
  // to i + taps - 1 of the input's F x F blocks.
  const int64_t taps = (F + k - 2) / F + 1;
  // Generators with kernels above 3x3 here (the ResNets) run at multiples of 4.
  if (height % F || width % F)
    throw std::invalid_argument("a one-channel convolution in 4x4 blocks needs sides that are multiples of 4");
  const int64_t block_rows = height / F, block_columns = width / F;
  auto zeros_to_blocks = std::make_shared<op::v12::Pad>(
      x, integers({0, 0, 0, 0}),
      integers({0, 0, F * (block_rows + taps - 1) - (height + k - 1), F * (block_columns + taps - 1) - (width + k - 1)}),
      ov::op::PadMode::CONSTANT);
  auto blocks = std::make_shared<op::v0::SpaceToDepth>(zeros_to_blocks,
                                                       op::v0::SpaceToDepth::SpaceToDepthMode::DEPTH_FIRST, size_t(F));
  // Kernel [out (py, px)][in (c, ry, rx)][qy][qx] = weight[c][F qy + ry - py][F qx + rx - px] where that is a tap.
  std::vector<float> kernel(size_t(F * F * channels * F * F * taps * taps), 0.0f);
  const float *source = weight->get_data_ptr<float>();
  for (int64_t py = 0; py < F; ++py)
    for (int64_t px = 0; px < F; ++px)
      for (int64_t c = 0; c < channels; ++c)
        for (int64_t ry = 0; ry < F; ++ry)
          for (int64_t rx = 0; rx < F; ++rx)
            for (int64_t qy = 0; qy < taps; ++qy)
              for (int64_t qx = 0; qx < taps; ++qx) {
                const int64_t dy = F * qy + ry - py, dx = F * qx + rx - px;
                if (dy < 0 || dy >= k || dx < 0 || dx >= k) continue;
                const int64_t out = py * F + px, in = (c * F + ry) * F + rx;
                kernel[size_t(((out * channels * F * F + in) * taps + qy) * taps + qx)] =
                    source[(c * k + dy) * k + dx];
              }
  auto block_kernel = std::make_shared<op::v0::Constant>(
      ov::element::f32, ov::Shape{size_t(F * F), size_t(channels * F * F), size_t(taps), size_t(taps)}, kernel);
  Output<Node> y = std::make_shared<op::v1::Convolution>(blocks, block_kernel, ov::Strides{1, 1},
                                                         ov::CoordinateDiff{0, 0}, ov::CoordinateDiff{0, 0},
                                                         ov::Strides{1, 1});
  return std::make_shared<op::v0::DepthToSpace>(y, op::v0::DepthToSpace::DepthToSpaceMode::DEPTH_FIRST, size_t(F));
}

Output<Node> single_channel_conv(const Weights &w, const std::string &name, const Output<Node> &x) {
  const auto weight = w(name + ".weight");
  const Output<Node> y = weight->get_shape()[2] <= 3 ? single_channel_conv_padded(weight, x)
                                                     : single_channel_conv_in_blocks(weight, x);
  return std::make_shared<op::v1::Add>(y, w.bias(name + ".bias"));
}

// ResNets: indices are those of the reference's nn.Sequential
// (model/resnet_generator.cpp).
Output<Node> resnet(const Weights &w, const gncyclegan::GeneratorConfig &config, const Output<Node> &input) {
  Output<Node> x = relu(instance_norm(conv(w, "model.1", reflect_pad(input, 3), 1, 0, false)));
  x = relu(instance_norm(conv(w, "model.4", x, 2, 1, false)));
  x = relu(instance_norm(conv(w, "model.7", x, 2, 1, false)));
  int index = 10;
  for (int block = 0; block < config.n_blocks; ++block, ++index)
    x = resnet_block(w, "model." + std::to_string(index) + ".", x, config.cbam);
  for (int step = 0; step < 2; ++step, index += 3)
    x = relu(instance_norm(upsample(w, "model." + std::to_string(index), x, config.resize_conv)));
  return single_channel_conv(w, "model." + std::to_string(index + 1), reflect_pad(x, 3));
}

// model/unshuffle_generator.h. PyTorch's pixel (un)shuffle orders channels
// as c * S * S + row * S + column: OpenVINO's DEPTH_FIRST mode.
Output<Node> unshuffle(const Weights &w, const gncyclegan::GeneratorConfig &config, const Output<Node> &input) {
  const size_t factor = static_cast<size_t>(config.unshuffle_factor);
  Output<Node> x = std::make_shared<op::v0::SpaceToDepth>(input, op::v0::SpaceToDepth::SpaceToDepthMode::DEPTH_FIRST,
                                                          factor);
  x = relu(instance_norm(conv(w, "stem", x, 1, 0, false)));
  for (int block = 0; block < config.n_blocks; ++block)
    x = resnet_block(w, "trunk." + std::to_string(block) + ".", x, config.cbam);
  x = std::make_shared<op::v0::DepthToSpace>(conv(w, "head", x, 1, 0, true),
                                             op::v0::DepthToSpace::DepthToSpaceMode::DEPTH_FIRST, factor);
  x = relu(instance_norm(fuse_conv(w, "fuse", x, input)));
  return single_channel_conv(w, "out", reflect_pad(x, 1));
}

// A ResNet or unshuffle generator's infrared, through its tanh.
Output<Node> generator_graph(const Weights &w, const gncyclegan::GeneratorConfig &config, const Output<Node> &input) {
  const Output<Node> x = config.family == gncyclegan::GeneratorFamily::unshuffle ? unshuffle(w, config, input)
                                                                                 : resnet(w, config, input);
  return std::make_shared<op::v0::Tanh>(x);
}

// model/hot_target_head.h: 3x3 convolution (padding = dilation, no bias), BatchNorm, maybe ReLU.
Output<Node> conv_bn(const Weights &w, const std::string &prefix, const Output<Node> &x, size_t stride,
                     size_t dilation, bool with_relu) {
  auto y = batch_norm(w, prefix + "1.", conv(w, prefix + "0", x, stride, static_cast<int64_t>(dilation), false, dilation));
  return with_relu ? relu(y) : y;
}

Output<Node> hot_res_block(const Weights &w, const std::string &prefix, const Output<Node> &x, size_t dilation) {
  auto branch = conv_bn(w, prefix + "b.", conv_bn(w, prefix + "a.", x, 1, dilation, true), 1, 1, false);
  return relu(std::make_shared<op::v1::Add>(x, branch));
}

// PyTorch's bilinear resize (align_corners=False) to height x width.
Output<Node> bilinear(const Output<Node> &x, int64_t height, int64_t width) {
  op::util::InterpolateBase::InterpolateAttrs attrs;
  attrs.mode = op::util::InterpolateBase::InterpolateMode::LINEAR_ONNX;
  attrs.shape_calculation_mode = op::util::InterpolateBase::ShapeCalcMode::SIZES;
  attrs.coordinate_transformation_mode = op::util::InterpolateBase::CoordinateTransformMode::PYTORCH_HALF_PIXEL;
  return std::make_shared<op::v11::Interpolate>(x, integers({height, width}), integers({2, 3}), attrs);
}

Output<Node> concat(const Output<Node> &a, const Output<Node> &b) {
  return std::make_shared<op::v0::Concat>(ov::OutputVector{a, b}, 1);
}

// The head over visible and base (each height x width, multiples of 32):
// {gate logits, value through tanh}.
std::pair<Output<Node>, Output<Node>> hot_head(const Weights &w, const Output<Node> &visible, const Output<Node> &base,
                                               int64_t height, int64_t width) {
  auto x0 = concat(visible, base);
  auto space_to_depth = std::make_shared<op::v0::SpaceToDepth>(x0, op::v0::SpaceToDepth::SpaceToDepthMode::DEPTH_FIRST, 2);
  auto stage = [&](const std::string &name, Output<Node> x, const std::vector<size_t> &dilations, size_t stride) {
    x = conv_bn(w, name + ".0.", x, stride, 1, true);
    for (size_t i = 0; i < dilations.size(); ++i)
      x = hot_res_block(w, name + "." + std::to_string(i + 1) + ".", x, dilations[i]);
    return x;
  };
  const auto s0 = stage("stem", space_to_depth, {1}, 1);
  const auto s1 = stage("e1", s0, {1}, 2);
  const auto s2 = stage("e2", s1, {1, 1}, 2);
  const auto s3 = stage("e3", s2, {1, 1}, 2);
  const auto s4 = stage("e4", s3, {2, 4, 1}, 2);
  auto up = [&](const std::string &name, const Output<Node> &coarse, const Output<Node> &skip, int64_t divisor) {
    return conv_bn(w, name + ".", concat(bilinear(coarse, height / divisor, width / divisor), skip), 1, 1, true);
  };
  auto y = up("d3", s4, s3, 16);
  y = up("d2", y, s2, 8);
  y = up("d1", y, s1, 4);
  y = up("d0", y, s0, 2);
  y = std::make_shared<op::v0::DepthToSpace>(conv(w, "up", y, 1, 0, true),
                                             op::v0::DepthToSpace::DepthToSpaceMode::DEPTH_FIRST, 2);
  y = relu(conv(w, "fuse.0", concat(y, x0), 1, 1, true));
  auto out = conv(w, "out", y, 1, 1, true);
  return {slice(out, 1, 0, 1), std::make_shared<op::v0::Tanh>(slice(out, 1, 1, 2))};
}

// model/hot_composite_generator.h: base + sigmoid(gate) * (value - base), the
// head on the input padded (edge pixels) to its multiple, at half the side
// (2x2 mean in, bilinear 2x out) for hot_half_.
Output<Node> hot_composite(const Weights &w, const gncyclegan::GeneratorConfig &config, const Output<Node> &input,
                           int64_t height, int64_t width) {
  const auto base = generator_graph(w.scoped("base."), *config.base, input);
  const int64_t multiple = gncyclegan::kHotHeadMultiple * (config.head_half ? 2 : 1);
  const int64_t padded_height = gncyclegan::padded_size(height, static_cast<int>(multiple));
  const int64_t padded_width = gncyclegan::padded_size(width, static_cast<int>(multiple));
  auto pad = [&](const Output<Node> &x) -> Output<Node> {
    if (padded_height == height && padded_width == width) return x;
    return std::make_shared<op::v12::Pad>(x, integers({0, 0, 0, 0}),
                                          integers({0, 0, padded_height - height, padded_width - width}),
                                          ov::op::PadMode::EDGE);
  };
  Output<Node> visible = pad(input), base_map = pad(base);
  int64_t head_height = padded_height, head_width = padded_width;
  if (config.head_half) {
    auto halve = [](const Output<Node> &x) -> Output<Node> {
      return std::make_shared<op::v1::AvgPool>(x, ov::Strides{2, 2}, ov::Shape{0, 0}, ov::Shape{0, 0}, ov::Shape{2, 2},
                                               true);
    };
    visible = halve(visible);
    base_map = halve(base_map);
    head_height /= 2;
    head_width /= 2;
  }
  auto [gate, value] = hot_head(w.scoped("head."), visible, base_map, head_height, head_width);
  auto restore = [&](Output<Node> x) {
    if (config.head_half) x = bilinear(x, padded_height, padded_width);
    return slice(slice(x, 2, 0, height), 3, 0, width);
  };
  gate = restore(gate);
  value = restore(value);
  auto lit = std::make_shared<op::v1::Multiply>(std::make_shared<op::v0::Sigmoid>(gate),
                                                std::make_shared<op::v1::Subtract>(value, base));
  return std::make_shared<op::v1::Add>(base, lit);
}

}  // namespace

std::shared_ptr<ov::Model> build_openvino_graph(gncyclegan::Generator &generator, int64_t batch, int64_t height,
                                                int64_t width) {
  const auto &config = generator.config();
  std::string why;
  if (!openvino_builds(config, &why)) throw std::invalid_argument(why);
  const Weights w(generator);
  const ov::Dimension batch_dimension = batch == kAnyBatch ? ov::Dimension::dynamic() : ov::Dimension(batch);
  auto input = std::make_shared<op::v0::Parameter>(
      ov::element::f32, ov::PartialShape{batch_dimension, config.in_channels, ov::Dimension(height), ov::Dimension(width)});
  input->set_friendly_name("visible");
  const auto output = config.family == gncyclegan::GeneratorFamily::hot
                          ? hot_composite(w, config, input, height, width)
                          : generator_graph(w, config, input);
  output.get_node()->set_friendly_name("infrared");
  auto result = std::make_shared<op::v0::Result>(output);
  return std::make_shared<ov::Model>(ov::ResultVector{result}, ov::ParameterVector{input}, "gncyclegan-generator");
}

}  // namespace gncycleganir
