// Counter-based random streams: every random choice of a training step is a
// function of (seed, step, purpose), so a resumed run draws what an
// uninterrupted one would.
#pragma once

#include <cstdint>

namespace gncyclegan::train {

// SplitMix64: decorrelates (seed, step, purpose) into independent streams.
inline uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

inline uint64_t next(uint64_t &state) { return mix(state++); }

inline int64_t uniform(uint64_t &state, int64_t bound) {  // [0, bound)
  return bound <= 1 ? 0 : static_cast<int64_t>(next(state) % static_cast<uint64_t>(bound));
}

inline double uniform_unit(uint64_t &state) { return double(next(state) >> 11) * 0x1p-53; }  // [0, 1)

}  // namespace gncyclegan::train
