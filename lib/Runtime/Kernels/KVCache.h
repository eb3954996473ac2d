//===- KVCache.h - storage formats of the generator's KV cache --*- C++ -*-===//
//
// One key or value row (D values of one position and KV head) as the cache
// stores it (qc_kv_cache_format):
//   f32, f16, bf16: the values, rounded to nearest even;
//   i8: one f32 scale (|x| max / 127), then D int8 levels x / scale
//       rounded half to even: symmetric, per token and head;
//   i4: one f32 scale per group of 32 values (|x| max / 7; one group of D
//       when D is not a multiple of 32), then the levels in [-7, 7] two per
//       byte, the even element in the low nibble.
// A row of zeros gets scale 1. Reading a row back gives level * scale.
// Keys may be scaled per channel as well (qc.cached_attention's key_scale):
// the i8 and i4 formats then store x[i] / c[i] as above and read back
// level * scale * c[i], so the per-token scale no longer follows the few
// channels where keys are large.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_RUNTIME_KERNELS_KVCACHE_H
#define QUANTC_LIB_RUNTIME_KERNELS_KVCACHE_H

#include "Kernels.h"
#include "quantc/Runtime/BF16Tiles.h"
#include "quantc/Runtime/Microkernels.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace quantc::kernels {

// Reading rows back is the hot loop of attention over an integer cache
// (every visible row, every step): plain loops the compiler vectorizes, in
// AVX-512 and AVX2 clones.

/// x[i] = levels[i] * scale.
__attribute__((target_clones("avx512bw", "avx2", "default"))) inline void
widenLevels(const int8_t *levels, float scale, int64_t n, float *x) {
  for (int64_t i = 0; i < n; ++i)
    x[i] = static_cast<float>(levels[i]) * scale;
}

/// The n signed nibbles of `packed` (the even element in the low one) times
/// scale.
__attribute__((target_clones("avx512bw", "avx2", "default"))) inline void
widenNibbles(const uint8_t *packed, float scale, int64_t n, float *x) {
  // The low nibble moved to the top of a signed byte, then shifted back.
  auto low = [](uint8_t byte) { return static_cast<int8_t>(byte << 4) >> 4; };
  for (int64_t i = 0; i < n / 2; ++i) {
    x[2 * i] = static_cast<float>(low(packed[i])) * scale;
    x[2 * i + 1] = static_cast<float>(static_cast<int8_t>(packed[i]) >> 4) * scale;
  }
  if (n % 2)
    x[n - 1] = static_cast<float>(low(packed[n / 2])) * scale;
}

/// x[i] *= factors[i].
__attribute__((target_clones("avx512f", "avx2", "default"))) inline void
scaleChannels(float *x, const float *factors, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    x[i] *= factors[i];
}

class KVRowFormat {
public:
  /// `channelScale` (D values, or null): per-channel factors of the
  /// integer formats.
  KVRowFormat(int64_t format, int64_t dim, const float *channelScale = nullptr)
      : format(format), dim(dim), channelScale(channelScale) {
    group = format == QC_KV_I4 && dim % 32 == 0 ? 32 : dim;
  }

  bool isF32() const { return format == QC_KV_F32; }

  /// Bytes of one stored row.
  int64_t rowBytes() const {
    switch (format) {
    case QC_KV_F16:
    case QC_KV_BF16:
      return 2 * dim;
    case QC_KV_I8:
      return sizeof(float) + dim;
    case QC_KV_I4:
      return sizeof(float) * (dim / group) + (dim + 1) / 2;
    default:
      return sizeof(float) * dim;
    }
  }

  void encode(const float *x, uint8_t *row) const {
    if (channelScale && (format == QC_KV_I8 || format == QC_KV_I4)) {
      // Scratch of the calling thread: rows are encoded one at a time.
      auto *scaled = static_cast<float *>(scratch(kKVScaledRow, dim * sizeof(float)));
      for (int64_t i = 0; i < dim; ++i)
        scaled[i] = x[i] / channelScale[i];
      return encodeLevels(scaled, row);
    }
    encodeLevels(x, row);
  }

  void decode(const uint8_t *row, float *x) const {
    decodeLevels(row, x);
    if (channelScale && (format == QC_KV_I8 || format == QC_KV_I4))
      scaleChannels(x, channelScale, dim);
  }

private:
  void encodeLevels(const float *x, uint8_t *row) const {
    switch (format) {
    case QC_KV_F16:
      for (int64_t i = 0; i < dim; ++i) {
        _Float16 h = static_cast<_Float16>(x[i]);
        std::memcpy(row + 2 * i, &h, 2);
      }
      return;
    case QC_KV_BF16:
      for (int64_t i = 0; i < dim; ++i) {
        uint16_t b = runtime::roundToBF16(x[i]);
        std::memcpy(row + 2 * i, &b, 2);
      }
      return;
    case QC_KV_I8: {
      float scale = scaleOf(x, dim, 127);
      std::memcpy(row, &scale, sizeof(float));
      auto *levels = reinterpret_cast<int8_t *>(row + sizeof(float));
      for (int64_t i = 0; i < dim; ++i)
        levels[i] = static_cast<int8_t>(level(x[i], scale, 127));
      return;
    }
    case QC_KV_I4: {
      uint8_t *packed = row + sizeof(float) * (dim / group);
      std::memset(packed, 0, (dim + 1) / 2);
      for (int64_t g = 0; g < dim / group; ++g) {
        float scale = scaleOf(x + g * group, group, 7);
        std::memcpy(row + g * sizeof(float), &scale, sizeof(float));
        for (int64_t i = g * group; i < (g + 1) * group; ++i)
          packed[i / 2] |= (level(x[i], scale, 7) & 0xF) << (4 * (i % 2));
      }
      return;
    }
    default:
      std::memcpy(row, x, sizeof(float) * dim);
    }
  }

  void decodeLevels(const uint8_t *row, float *x) const {
    switch (format) {
    case QC_KV_F16:
      for (int64_t i = 0; i < dim; ++i) {
        _Float16 h;
        std::memcpy(&h, row + 2 * i, 2);
        x[i] = static_cast<float>(h);
      }
      return;
    case QC_KV_BF16:
      for (int64_t i = 0; i < dim; ++i) {
        uint16_t b;
        std::memcpy(&b, row + 2 * i, 2);
        x[i] = runtime::widenBF16(b);
      }
      return;
    case QC_KV_I8: {
      float scale;
      std::memcpy(&scale, row, sizeof(float));
      widenLevels(reinterpret_cast<const int8_t *>(row + sizeof(float)), scale, dim, x);
      return;
    }
    case QC_KV_I4: {
      // Groups start at even elements: each begins on a byte.
      const uint8_t *packed = row + sizeof(float) * (dim / group);
      for (int64_t g = 0; g < dim / group; ++g) {
        float scale;
        std::memcpy(&scale, row + g * sizeof(float), sizeof(float));
        widenNibbles(packed + g * group / 2, scale, group, x + g * group);
      }
      return;
    }
    default:
      std::memcpy(x, row, sizeof(float) * dim);
    }
  }

  static float scaleOf(const float *x, int64_t n, int qmax) {
    float absMax = 0;
    for (int64_t i = 0; i < n; ++i)
      absMax = std::max(absMax, std::fabs(x[i]));
    return absMax > 0 && std::isfinite(absMax) ? absMax / static_cast<float>(qmax) : 1.0f;
  }

  static int level(float x, float scale, int qmax) {
    float q = std::nearbyint(x / scale);
    if (std::isnan(q))
      return 0;
    return static_cast<int>(std::clamp(q, -static_cast<float>(qmax), static_cast<float>(qmax)));
  }

  int64_t format, dim, group;
  const float *channelScale;
};

} // namespace quantc::kernels

#endif // QUANTC_LIB_RUNTIME_KERNELS_KVCACHE_H
