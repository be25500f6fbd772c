#include "model/pixels.h"

#include <stdexcept>

namespace gncyclegan {

torch::Tensor pixels_to_model(const torch::Tensor &pixels) {
  if (pixels.scalar_type() == torch::kUInt8) return pixels.to(torch::kFloat32) / 127.5 - 1.0;
  if (pixels.scalar_type() == torch::kInt32 || pixels.scalar_type() == torch::kInt64)
    return pixels.to(torch::kFloat32) / 32767.5 - 1.0;
  throw std::invalid_argument("pixels_to_model: expected uint8 (or 16-bit values in int32/int64), got " +
                              std::string(c10::toString(pixels.scalar_type())));
}

torch::Tensor model_to_u8(const torch::Tensor &values) {
  return ((values.clamp(-1.0, 1.0) + 1.0) * 127.5).round().to(torch::kUInt8);
}

torch::Tensor model_to_u16(const torch::Tensor &values) {
  return ((values.clamp(-1.0, 1.0).to(torch::kFloat64) + 1.0) * 32767.5).round().to(torch::kInt32);
}

torch::Tensor luma(const torch::Tensor &rgb) {
  return (rgb.select(1, 0) * 0.299 + rgb.select(1, 1) * 0.587 + rgb.select(1, 2) * 0.114).unsqueeze(1);
}

}  // namespace gncyclegan
