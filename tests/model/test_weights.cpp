// The weights file: round trips, architecture inference, and a clear
// WeightsError (never a crash) for every kind of broken file.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "model/weights.h"
#include "tests/support/test_support.h"

namespace gncyclegan {
namespace {

using test::TemporaryDirectory;

std::shared_ptr<Generator> small_generator(const std::string &architecture = "resnet_2blocks_cbam") {
  torch::manual_seed(7);
  auto generator = make_generator(GeneratorConfig::from_name(architecture, 3, 1, 8));
  // Non-trivial running statistics, so buffers are checked too.
  for (auto &buffer : generator->named_buffers())
    if (buffer.key().find("running_mean") != std::string::npos) buffer.value().fill_(0.25f);
  generator->eval();
  return generator;
}

void expect_same_tensors(const torch::nn::Module &a, const torch::nn::Module &b) {
  auto left = module_tensors(a), right = module_tensors(b);
  ASSERT_EQ(left.size(), right.size());
  for (const auto &[name, tensor] : left) {
    ASSERT_TRUE(right.count(name)) << name;
    EXPECT_TRUE(torch::equal(tensor, right.at(name))) << name;
  }
}

std::string read_bytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// A safetensors file from a header text and a data section, byte by byte.
std::string container(const std::string &header, const std::string &data, uint64_t claimed_length = 0) {
  uint64_t length = claimed_length ? claimed_length : header.size();
  std::string bytes(8, '\0');
  std::memcpy(bytes.data(), &length, 8);
  return bytes + header + data;
}

template <typename Call>
std::string error_of(Call call) {
  try {
    call();
  } catch (const WeightsError &error) {
    return error.what();
  }
  return "(no error)";
}

TEST(Weights, Fp32RoundTripIsBitExactAndGivesIdenticalOutputs) {
  TemporaryDirectory dir;
  auto original = small_generator();
  save_generator(dir.file("g.safetensors"), *original, {{"steps", "1234"}});
  auto loaded = load_generator(dir.file("g.safetensors"));
  expect_same_tensors(*original, *loaded.generator);
  EXPECT_EQ(loaded.metadata.at("steps"), "1234");

  torch::NoGradGuard no_grad;
  auto input = torch::rand({1, 3, 32, 48}) * 2 - 1;
  EXPECT_TRUE(torch::equal(original->forward(input), loaded.generator->forward(input)));
}

TEST(Weights, MetadataDescribesTheArchitecture) {
  TemporaryDirectory dir;
  save_generator(dir.file("g.safetensors"), *small_generator());
  auto metadata = read_weights(dir.file("g.safetensors")).metadata;
  EXPECT_EQ(metadata.at("format"), "gncyclegan-weights/1");
  EXPECT_EQ(metadata.at("role"), "generator");
  EXPECT_EQ(metadata.at("architecture"), "resnet_2blocks_cbam");
  EXPECT_EQ(metadata.at("in_channels"), "3");
  EXPECT_EQ(metadata.at("out_channels"), "1");
  EXPECT_EQ(metadata.at("ngf"), "8");
  EXPECT_EQ(metadata.at("n_blocks"), "2");
  EXPECT_EQ(metadata.at("norm"), "instance");
}

TEST(Weights, LayoutIsTheSafetensorsOne) {
  TemporaryDirectory dir;
  save_generator(dir.file("g.safetensors"), *small_generator());
  std::string bytes = read_bytes(dir.file("g.safetensors"));
  uint64_t header_length = 0;
  std::memcpy(&header_length, bytes.data(), 8);
  EXPECT_EQ(header_length % 8, 0u);  // data section aligned, as the package writes it
  auto header = nlohmann::json::parse(bytes.substr(8, header_length));
  EXPECT_EQ(header["model.1.weight"]["dtype"], "F32");
  EXPECT_EQ(header["model.1.weight"]["shape"], nlohmann::json({8, 3, 7, 7}));
  EXPECT_EQ(header["__metadata__"]["format"], "gncyclegan-weights/1");
}

TEST(Weights, Fp16StorageRoundsEachValueOnce) {
  TemporaryDirectory dir;
  auto original = small_generator();
  save_generator(dir.file("g16.safetensors"), *original, {}, Storage::fp16);
  auto loaded = load_generator(dir.file("g16.safetensors"));
  auto stored = read_weights(dir.file("g16.safetensors"));
  EXPECT_EQ(stored.tensors.at("model.1.weight").scalar_type(), torch::kFloat16);
  auto loaded_tensors = module_tensors(*loaded.generator);
  for (const auto &[name, tensor] : module_tensors(*original)) {
    EXPECT_EQ(loaded_tensors.at(name).scalar_type(), torch::kFloat32);
    EXPECT_TRUE(torch::equal(loaded_tensors.at(name), tensor.to(torch::kFloat16).to(torch::kFloat32))) << name;
    // fp16 keeps 11 significant bits: relative error at most 2^-11 (normal range).
    EXPECT_TRUE(torch::allclose(loaded_tensors.at(name), tensor, /*rtol=*/std::ldexp(1.0, -11), 1e-7)) << name;
  }
  save_generator(dir.file("g32.safetensors"), *original);
  const double ratio = static_cast<double>(read_bytes(dir.file("g16.safetensors")).size()) /
                       static_cast<double>(read_bytes(dir.file("g32.safetensors")).size());
  EXPECT_NEAR(ratio, 0.5, 0.05);
}

TEST(Weights, DiscriminatorRoundTrips) {
  TemporaryDirectory dir;
  DiscriminatorConfig config;
  config.ndf = 8;
  config.norm = DiscriminatorNorm::none;
  auto original = make_discriminator(config);
  save_discriminator(dir.file("d.safetensors"), *original);
  auto loaded = load_discriminator(dir.file("d.safetensors"));
  expect_same_tensors(*original, *loaded.discriminator);
  EXPECT_EQ(loaded.metadata.at("norm"), "none");
  EXPECT_EQ(loaded.metadata.at("role"), "discriminator");
}

class WithoutMetadata : public ::testing::TestWithParam<const char *> {};

TEST_P(WithoutMetadata, TheArchitectureIsRecognisedFromNamesAndShapes) {
  TemporaryDirectory dir;
  torch::manual_seed(3);
  auto original = make_generator(GeneratorConfig::from_name(GetParam(), 3, 1, 4));
  write_weights(dir.file("bare.safetensors"), module_tensors(*original), {});
  auto loaded = load_generator(dir.file("bare.safetensors"));
  EXPECT_EQ(loaded.generator->config().architecture(), GetParam());
  EXPECT_EQ(loaded.generator->config().ngf, 4);
  expect_same_tensors(*original, *loaded.generator);
}

INSTANTIATE_TEST_SUITE_P(Generators, WithoutMetadata,
                         ::testing::Values("resnet_6blocks", "resnet_9blocks", "resnet_9blocks_cbam",
                                           "resnet_6blocks_cbam_resizeconv", "unet_128", "unet_256"));

TEST(Weights, DiscriminatorWithoutMetadataIsRecognised) {
  TemporaryDirectory dir;
  for (auto norm : {DiscriminatorNorm::instance, DiscriminatorNorm::none}) {
    DiscriminatorConfig config;
    config.ndf = 4;
    config.in_channels = 3;
    config.norm = norm;
    write_weights(dir.file("d.safetensors"), module_tensors(*make_discriminator(config)), {});
    auto loaded = load_discriminator(dir.file("d.safetensors"));
    EXPECT_EQ(loaded.discriminator->config().norm, norm);
    EXPECT_EQ(loaded.discriminator->config().in_channels, 3);
  }
}

TEST(Weights, WritingReplacesTheFileWholeAndLeavesNoTemporaryFile) {
  TemporaryDirectory dir;
  save_generator(dir.file("g.safetensors"), *small_generator());
  save_generator(dir.file("g.safetensors"), *small_generator("resnet_1blocks"));
  EXPECT_EQ(load_generator(dir.file("g.safetensors")).generator->config().architecture(), "resnet_1blocks");
  int files = 0;
  for (const auto &entry : std::filesystem::directory_iterator(dir.path())) files += entry.is_regular_file();
  EXPECT_EQ(files, 1);
}

TEST(Weights, AnUnwritableDestinationIsAClearError) {
  TemporaryDirectory dir;
  auto message = error_of([&] { save_generator(dir.file("missing/g.safetensors"), *small_generator()); });
  EXPECT_NE(message.find("missing/g.safetensors"), std::string::npos) << message;
  EXPECT_NE(message.find("No such file or directory"), std::string::npos) << message;
}

// Each broken file: the error names the file and the problem.
class BrokenFile : public ::testing::Test {
 protected:
  void SetUp() override {
    save_generator(path("good.safetensors"), *small_generator());
    good_ = read_bytes(path("good.safetensors"));
    std::memcpy(&header_length_, good_.data(), 8);
    header_ = nlohmann::json::parse(good_.substr(8, header_length_));
    data_ = good_.substr(8 + header_length_);
  }
  std::string path(const std::string &name) const { return dir_.file(name); }
  // Loads `bytes` as a generator and returns the error message.
  std::string load_error(const std::string &bytes) {
    write_bytes(path("bad.safetensors"), bytes);
    std::string message = error_of([&] { load_generator(path("bad.safetensors")); });
    EXPECT_NE(message.find(path("bad.safetensors")), std::string::npos) << message;
    return message;
  }
  std::string with_header(const nlohmann::json &header) { return container(header.dump(), data_); }

  TemporaryDirectory dir_;
  std::string good_, data_;
  uint64_t header_length_ = 0;
  nlohmann::json header_;
};

#define EXPECT_MENTIONS(message, text) EXPECT_NE((message).find(text), std::string::npos) << (message)

TEST_F(BrokenFile, Missing) {
  auto message = error_of([&] { load_generator(path("nowhere.safetensors")); });
  EXPECT_MENTIONS(message, "No such file or directory");
  EXPECT_MENTIONS(message, "nowhere.safetensors");
}

TEST_F(BrokenFile, ADirectory) { EXPECT_MENTIONS(error_of([&] { load_generator(dir_.path().string()); }), "is a directory"); }

TEST_F(BrokenFile, Empty) { EXPECT_MENTIONS(load_error(""), "too short"); }

TEST_F(BrokenFile, TruncatedInTheData) { EXPECT_MENTIONS(load_error(good_.substr(0, good_.size() / 2)), "truncated"); }

TEST_F(BrokenFile, TruncatedInTheHeader) { EXPECT_MENTIONS(load_error(good_.substr(0, 8 + header_length_ / 2)), "truncated"); }

TEST_F(BrokenFile, OversizedHeaderLength) {
  EXPECT_MENTIONS(load_error(container(header_.dump(), data_, uint64_t{1} << 60)), "100 MB");
}

TEST_F(BrokenFile, CorruptedHeaderBytes) {
  std::string bytes = good_;
  bytes[8 + header_length_ / 2] = '\x01';
  bytes[8 + header_length_ / 2 + 1] = '}';
  EXPECT_MENTIONS(load_error(bytes), "not valid JSON");
}

TEST_F(BrokenFile, NotSafetensorsAtAll) {
  EXPECT_MENTIONS(load_error(std::string("PK\x03\x04 a zip archive, like a TorchScript file", 44)), "header");
}

TEST_F(BrokenFile, OverlappingOffsets) {
  auto header = header_;
  auto &offsets = header["model.1.weight"]["data_offsets"];  // not the first tensor in the data
  ASSERT_GT(offsets[0].get<uint64_t>(), 0u);
  offsets = {offsets[0].get<uint64_t>() - 4, offsets[1].get<uint64_t>() - 4};
  EXPECT_MENTIONS(load_error(with_header(header)), "overlap");
}

TEST_F(BrokenFile, OffsetsPastTheEnd) {
  auto header = header_;
  for (auto &[name, entry] : header.items()) {
    if (name == "__metadata__" || entry["data_offsets"][1] != data_.size()) continue;
    // The last tensor claims twice its rows, running past the end of the file.
    const uint64_t begin = entry["data_offsets"][0];
    entry["shape"][0] = entry["shape"][0].get<int64_t>() * 2;
    entry["data_offsets"][1] = begin + 2 * (data_.size() - begin);
  }
  EXPECT_MENTIONS(load_error(with_header(header)), "truncated");
}

TEST_F(BrokenFile, SizeThatDoesNotMatchTheShape) {
  auto header = header_;
  header["model.1.weight"]["shape"] = {8, 3, 7, 6};
  EXPECT_MENTIONS(load_error(with_header(header)), "model.1.weight");
}

TEST_F(BrokenFile, WrongShapeForTheArchitecture) {
  auto header = header_;
  // Same byte count, other shape: the container is valid, the network does not fit.
  header["model.1.weight"]["shape"] = {8, 3, 49};
  auto message = load_error(with_header(header));
  EXPECT_MENTIONS(message, "model.1.weight");
  EXPECT_MENTIONS(message, "[8, 3, 7, 7]");
}

TEST_F(BrokenFile, MissingTensor) {
  auto generator = small_generator();
  auto tensors = module_tensors(*generator);
  tensors.erase("model.1.bias");
  write_weights(path("bad.safetensors"), tensors, generator->config().to_metadata());
  auto message = error_of([&] { load_generator(path("bad.safetensors")); });
  EXPECT_MENTIONS(message, "missing");
  EXPECT_MENTIONS(message, "model.1.bias");
}

TEST_F(BrokenFile, UnknownDtype) {
  auto header = header_;
  header["model.1.bias"]["dtype"] = "F33";
  EXPECT_MENTIONS(load_error(with_header(header)), "unknown dtype");
}

TEST_F(BrokenFile, IntegerTensorWhereWeightsBelong) {
  auto header = header_;
  header["model.1.bias"]["dtype"] = "I32";  // same size as F32
  EXPECT_MENTIONS(load_error(with_header(header)), "not a floating-point type");
}

TEST_F(BrokenFile, NegativeShape) {
  auto header = header_;
  header["model.1.bias"]["shape"] = {-8};
  EXPECT_MENTIONS(load_error(with_header(header)), "not a size");
}

TEST_F(BrokenFile, MetadataThatIsNotAString) {
  auto header = header_;
  header["__metadata__"]["ngf"] = 8;
  EXPECT_MENTIONS(load_error(with_header(header)), "not a string");
}

TEST_F(BrokenFile, UnknownArchitecture) {
  auto header = header_;
  header["__metadata__"]["architecture"] = "transformer_xl";
  EXPECT_MENTIONS(load_error(with_header(header)), "unknown generator architecture");
}

TEST_F(BrokenFile, MetadataThatContradictsTheTensors) {
  auto header = header_;
  header["__metadata__"]["ngf"] = "16";
  EXPECT_MENTIONS(load_error(with_header(header)), "does not match architecture resnet_2blocks_cbam");
}

TEST_F(BrokenFile, ADiscriminatorIsNotAGenerator) {
  DiscriminatorConfig config;
  config.ndf = 4;
  save_discriminator(path("d.safetensors"), *make_discriminator(config));
  EXPECT_MENTIONS(error_of([&] { load_generator(path("d.safetensors")); }), "not a generator");
}

TEST_F(BrokenFile, TrailingBytes) { EXPECT_MENTIONS(load_error(good_ + "garbage!"), "trailing"); }

TEST_F(BrokenFile, ANewerFormat) {
  auto header = header_;
  header["__metadata__"]["format"] = "gncyclegan-weights/2";
  EXPECT_MENTIONS(load_error(with_header(header)), "newer");
}

}  // namespace
}  // namespace gncyclegan
