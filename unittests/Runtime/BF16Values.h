//===- BF16Values.h - bf16 operands for the kernel tests --------*- C++ -*-===//
#ifndef QUANTC_UNITTESTS_RUNTIME_BF16VALUES_H
#define QUANTC_UNITTESTS_RUNTIME_BF16VALUES_H

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace quantc::testing {
/// Normal bf16 values of both signs over a few binades, so sums cancel.
inline std::vector<uint16_t> randomBF16(size_t count, std::mt19937 &rng) {
  std::uniform_int_distribution<int> exponent(120, 130), mantissa(0, 127), sign(0, 1);
  std::vector<uint16_t> values(count);
  for (uint16_t &v : values)
    v = static_cast<uint16_t>(sign(rng) << 15 | exponent(rng) << 7 | mantissa(rng));
  return values;
}

/// The f32 value of a bf16 (exact).
inline float widen(uint16_t value) {
  uint32_t bits = uint32_t(value) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

inline std::vector<float> widened(const std::vector<uint16_t> &values) {
  std::vector<float> wide(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    wide[i] = widen(values[i]);
  return wide;
}
} // namespace quantc::testing

#endif // QUANTC_UNITTESTS_RUNTIME_BF16VALUES_H
