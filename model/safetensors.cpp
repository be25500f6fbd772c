#include "model/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors data is little-endian; this code copies it as is");

namespace gncyclegan {
namespace {

using nlohmann::json;

struct DtypeInfo {
  Dtype dtype;
  const char *name;
  std::size_t size;
};

constexpr DtypeInfo kDtypes[] = {
    {Dtype::BOOL, "BOOL", 1}, {Dtype::U8, "U8", 1},     {Dtype::I8, "I8", 1},
    {Dtype::I16, "I16", 2},   {Dtype::U16, "U16", 2},   {Dtype::F16, "F16", 2},
    {Dtype::BF16, "BF16", 2}, {Dtype::I32, "I32", 4},   {Dtype::U32, "U32", 4},
    {Dtype::F32, "F32", 4},   {Dtype::F64, "F64", 8},   {Dtype::I64, "I64", 8},
    {Dtype::U64, "U64", 8},
};

const DtypeInfo &info(Dtype dtype) {
  for (const auto &entry : kDtypes)
    if (entry.dtype == dtype) return entry;
  throw SafetensorsError("unknown dtype");
}

std::string quoted(const std::string &text) { return "\"" + text + "\""; }

Dtype parse_dtype(const json &value, const std::string &tensor) {
  if (value.is_string()) {
    const auto &name = value.get_ref<const std::string &>();
    for (const auto &entry : kDtypes)
      if (name == entry.name) return entry.dtype;
    throw SafetensorsError("tensor " + quoted(tensor) + " has unknown dtype " + quoted(name));
  }
  throw SafetensorsError("tensor " + quoted(tensor) + " has a dtype that is not a string");
}

// Byte count of a tensor, or throws when the element count overflows.
uint64_t byte_count(const std::vector<int64_t> &shape, Dtype dtype, const std::string &tensor) {
  uint64_t count = dtype_size(dtype);
  for (int64_t dim : shape) {
    if (dim != 0 && count > std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(dim))
      throw SafetensorsError("tensor " + quoted(tensor) + " has a shape too large to address");
    count *= static_cast<uint64_t>(dim);
  }
  return count;
}

TensorRecord parse_record(const std::string &name, const json &value) {
  if (!value.is_object())
    throw SafetensorsError("header entry " + quoted(name) + " is not an object");
  for (const char *key : {"dtype", "shape", "data_offsets"})
    if (!value.contains(key))
      throw SafetensorsError("tensor " + quoted(name) + " has no \"" + key + "\"");
  TensorRecord record;
  record.name = name;
  record.dtype = parse_dtype(value["dtype"], name);

  const json &shape = value["shape"];
  if (!shape.is_array() || shape.size() > 16)
    throw SafetensorsError("tensor " + quoted(name) + " has a shape that is not a list of up to 16 sizes");
  for (const json &dim : shape) {
    if (!dim.is_number_unsigned() || dim.get<uint64_t>() > uint64_t{1} << 40)
      throw SafetensorsError("tensor " + quoted(name) + " has a shape entry that is not a size: " +
                             dim.dump());
    record.shape.push_back(dim.get<int64_t>());
  }

  const json &offsets = value["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned())
    throw SafetensorsError("tensor " + quoted(name) + " has data_offsets that are not [begin, end]");
  record.begin = offsets[0].get<uint64_t>();
  record.end = offsets[1].get<uint64_t>();
  if (record.end < record.begin)
    throw SafetensorsError("tensor " + quoted(name) + " ends before it begins (data_offsets " +
                           offsets.dump() + ")");
  const uint64_t expected = byte_count(record.shape, record.dtype, name);
  if (record.end - record.begin != expected)
    throw SafetensorsError("tensor " + quoted(name) + " spans " +
                           std::to_string(record.end - record.begin) + " bytes, but its shape and " +
                           dtype_name(record.dtype) + " need " + std::to_string(expected));
  return record;
}

void check_tiling(const std::vector<TensorRecord> &tensors, uint64_t data_size) {
  uint64_t position = 0;
  const TensorRecord *previous = nullptr;
  for (const auto &tensor : tensors) {
    if (tensor.begin < position)
      throw SafetensorsError("tensors " + quoted(previous->name) + " and " + quoted(tensor.name) +
                             " overlap (bytes " + std::to_string(tensor.begin) + ".." +
                             std::to_string(position) + ")");
    if (tensor.begin > position)
      throw SafetensorsError("there is a gap of " + std::to_string(tensor.begin - position) +
                             " bytes before tensor " + quoted(tensor.name));
    if (tensor.end > data_size)
      throw SafetensorsError("tensor " + quoted(tensor.name) + " ends at byte " +
                             std::to_string(tensor.end) + " of a data section of only " +
                             std::to_string(data_size) + " bytes: the file is truncated");
    position = tensor.end;
    previous = &tensor;
  }
  if (position != data_size)
    throw SafetensorsError(std::to_string(data_size - position) +
                           " bytes follow the last tensor: the file has trailing data");
}

std::string system_error(const std::string &what, const std::string &path) {
  return "cannot " + what + " " + path + ": " + std::strerror(errno);
}

void write_all(int fd, const void *data, std::size_t size, const std::string &path) {
  const char *cursor = static_cast<const char *>(data);
  while (size > 0) {
    ssize_t written = ::write(fd, cursor, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      throw SafetensorsError(system_error("write", path));
    }
    cursor += written;
    size -= static_cast<std::size_t>(written);
  }
}

}  // namespace

std::size_t dtype_size(Dtype dtype) { return info(dtype).size; }
const char *dtype_name(Dtype dtype) { return info(dtype).name; }

SafetensorsHeader parse_safetensors(const uint8_t *bytes, std::size_t size) {
  if (size < 8)
    throw SafetensorsError("the file is " + std::to_string(size) +
                           " bytes long, too short to hold a safetensors header");
  uint64_t header_size = 0;
  std::memcpy(&header_size, bytes, 8);
  if (header_size > kMaxHeaderBytes)
    throw SafetensorsError("the header claims " + std::to_string(header_size) +
                           " bytes, more than the format's limit of 100 MB: not a safetensors file, or corrupt");
  if (header_size > size - 8)
    throw SafetensorsError("the header claims " + std::to_string(header_size) +
                           " bytes but only " + std::to_string(size - 8) +
                           " follow: the file is truncated");
  const char *text = reinterpret_cast<const char *>(bytes + 8);
  if (header_size == 0 || text[0] != '{')
    throw SafetensorsError("the header does not start with '{': not a safetensors file");
  json header = json::parse(text, text + header_size, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded())
    throw SafetensorsError("the header is not valid JSON");
  if (!header.is_object()) throw SafetensorsError("the header is not a JSON object");

  SafetensorsHeader result;
  result.data_start = 8 + header_size;
  for (const auto &[key, value] : header.items()) {
    if (key == "__metadata__") {
      if (!value.is_object()) throw SafetensorsError("__metadata__ is not a JSON object");
      for (const auto &[meta_key, meta_value] : value.items()) {
        if (!meta_value.is_string())
          throw SafetensorsError("__metadata__ entry " + quoted(meta_key) + " is not a string");
        result.metadata[meta_key] = meta_value.get<std::string>();
      }
      continue;
    }
    result.tensors.push_back(parse_record(key, value));
  }
  std::sort(result.tensors.begin(), result.tensors.end(),
            [](const TensorRecord &a, const TensorRecord &b) {
              return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
            });
  check_tiling(result.tensors, size - result.data_start);
  return result;
}

void write_safetensors(const std::string &path, const std::map<std::string, std::string> &metadata,
                       const std::vector<TensorBytes> &tensors) {
  std::vector<const TensorBytes *> ordered;
  for (const auto &tensor : tensors) ordered.push_back(&tensor);
  std::sort(ordered.begin(), ordered.end(),
            [](const TensorBytes *a, const TensorBytes *b) { return a->name < b->name; });

  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const TensorBytes *tensor : ordered) {
    if (tensor->name == "__metadata__" || header.contains(tensor->name))
      throw SafetensorsError("cannot write " + path + ": tensor name " + quoted(tensor->name) +
                             " is reserved or repeated");
    if (byte_count(tensor->shape, tensor->dtype, tensor->name) != tensor->size)
      throw SafetensorsError("cannot write " + path + ": tensor " + quoted(tensor->name) +
                             " has " + std::to_string(tensor->size) +
                             " bytes, which does not match its shape");
    header[tensor->name] = {{"dtype", dtype_name(tensor->dtype)},
                            {"shape", tensor->shape},
                            {"data_offsets", {offset, offset + tensor->size}}};
    offset += tensor->size;
  }
  std::string header_text = header.dump();
  // Pad with spaces so the data section starts 8-byte aligned, as the package does.
  header_text.append((8 - header_text.size() % 8) % 8, ' ');
  const uint64_t header_size = header_text.size();

  std::string temporary = path + ".XXXXXX";
  int fd = ::mkstemp(temporary.data());
  if (fd < 0) throw SafetensorsError(system_error("create a file beside", path));
  try {
    ::fchmod(fd, 0644);
    write_all(fd, &header_size, 8, path);
    write_all(fd, header_text.data(), header_text.size(), path);
    for (const TensorBytes *tensor : ordered) write_all(fd, tensor->data, tensor->size, path);
    if (::fsync(fd) != 0) throw SafetensorsError(system_error("flush", path));
    if (::close(fd) != 0) {
      fd = -1;
      throw SafetensorsError(system_error("close", path));
    }
    fd = -1;
    if (::rename(temporary.c_str(), path.c_str()) != 0)
      throw SafetensorsError(system_error("rename the new file onto", path));
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(temporary.c_str());
    throw;
  }
}

}  // namespace gncyclegan
