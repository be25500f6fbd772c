// The safetensors container (Hugging Face's format, readable by the Python
// `safetensors` package): an 8-byte little-endian header length, a JSON header
// mapping tensor names to {dtype, shape, data_offsets} plus an optional
// string->string `__metadata__`, then the raw little-endian tensor bytes.
// This layer knows bytes only; model/weights.h turns them into tensors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace gncyclegan {

class SafetensorsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Dtype { BOOL, U8, I8, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64 };

std::size_t dtype_size(Dtype dtype);
const char *dtype_name(Dtype dtype);

struct TensorRecord {
  std::string name;
  Dtype dtype = Dtype::F32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // byte offsets into the data section, [begin, end)
  uint64_t end = 0;
};

struct SafetensorsHeader {
  std::map<std::string, std::string> metadata;
  std::vector<TensorRecord> tensors;  // sorted by begin offset
  uint64_t data_start = 0;            // where the data section starts in the file
};

// The format's own limit on the JSON header.
inline constexpr uint64_t kMaxHeaderBytes = 100'000'000;

// Validates everything the safetensors package does: header length within the
// limit and the file, JSON of the right shape, known dtypes, sizes that equal
// shape x dtype, and offsets that tile the data section exactly (inside it, no
// overlap, no gap, nothing after the last tensor). Throws SafetensorsError
// naming the problem.
SafetensorsHeader parse_safetensors(const uint8_t *bytes, std::size_t size);

// A tensor to write: its bytes must be little-endian, contiguous, and exactly
// product(shape) x dtype_size(dtype) long.
struct TensorBytes {
  std::string name;
  Dtype dtype = Dtype::F32;
  std::vector<int64_t> shape;
  const void *data = nullptr;
  std::size_t size = 0;
};

// Writes atomically: to a temporary file beside `path`, flushed to disk, then
// renamed over it, so a reader sees the old file or the new one, never a part.
// Throws SafetensorsError naming the path and the system's reason.
void write_safetensors(const std::string &path, const std::map<std::string, std::string> &metadata,
                       const std::vector<TensorBytes> &tensors);

}  // namespace gncyclegan
