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
// Values are stored row by row ([position][kv head]). Keys are stored in
// blocks of kKeyBlock positions per KV head, each channel's 16 entries
// together (KVKeyBlocks): attention then reads one channel of 16 keys with
// one vector load and multiplies it by every query head of the group,
// with no horizontal sums.
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
#if defined(__x86_64__)
#include <immintrin.h>
#endif

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

/// x[i] = h[i] (f16 to f32).
__attribute__((target_clones("avx512f", "avx2", "default"))) inline void
widenHalves(const _Float16 *h, int64_t n, float *x) {
  for (int64_t i = 0; i < n; ++i)
    x[i] = static_cast<float>(h[i]);
}

/// x[i] = b[i] (bf16 to f32).
__attribute__((target_clones("avx512f", "avx2", "default"))) inline void
widenBFloats(const uint16_t *b, int64_t n, float *x) {
  for (int64_t i = 0; i < n; ++i)
    x[i] = runtime::widenBF16(b[i]);
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
      widenHalves(reinterpret_cast<const _Float16 *>(row), dim, x);
      return;
    case QC_KV_BF16:
      widenBFloats(reinterpret_cast<const uint16_t *>(row), dim, x);
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

  friend class KVKeyBlocks;
};

/// Positions per key block.
constexpr int64_t kKeyBlock = 16;

/// One KV head's keys of kKeyBlock positions, as the cache stores them:
/// the rows' levels (the row format's, for the same rounding) transposed to
/// [dim][16], after the rows' scales ([scale groups][16] f32):
///   f32: [dim][16] f32; f16, bf16: [dim][16] 16-bit;
///   i8: [16] scales, [dim][16] int8;
///   i4: [dim / group][16] scales, [dim][8] bytes (lane l in byte l / 2,
///       the even lane in the low nibble).
class KVKeyBlocks {
public:
  KVKeyBlocks(int64_t format, int64_t dim, const float *channelScale = nullptr)
      : row(format, dim, channelScale) {}

  bool isF32() const { return row.format == QC_KV_F32; }

  int64_t blockBytes() const {
    switch (row.format) {
    case QC_KV_F16:
    case QC_KV_BF16:
      return 2 * row.dim * kKeyBlock;
    case QC_KV_I8:
      return (sizeof(float) + row.dim) * kKeyBlock;
    case QC_KV_I4:
      return sizeof(float) * scaleGroups() * kKeyBlock + row.dim * kKeyBlock / 2;
    default:
      return sizeof(float) * row.dim * kKeyBlock;
    }
  }

  /// Stores key `x` (dim values) at `lane` of `block`.
  void encode(const float *x, uint8_t *block, int64_t lane) const {
    auto *stored = static_cast<uint8_t *>(scratch(kKVKeyRow, row.rowBytes()));
    row.encode(x, stored);
    int64_t levels = sizeof(float) * scaleGroups() * kKeyBlock;
    for (int64_t g = 0; g < scaleGroups(); ++g)
      std::memcpy(block + (g * kKeyBlock + lane) * sizeof(float), stored + g * sizeof(float),
                  sizeof(float));
    const uint8_t *from = stored + sizeof(float) * scaleGroups();
    uint8_t *to = block + levels;
    int64_t width = elementBytes();
    if (row.format == QC_KV_I4) {
      int shift = 4 * (lane % 2);
      for (int64_t d = 0; d < row.dim; ++d) {
        uint8_t &byte = to[d * kKeyBlock / 2 + lane / 2];
        byte = static_cast<uint8_t>((byte & ~(0xF << shift)) |
                                    (((from[d / 2] >> (4 * (d % 2))) & 0xF) << shift));
      }
      return;
    }
    for (int64_t d = 0; d < row.dim; ++d)
      std::memcpy(to + (d * kKeyBlock + lane) * width, from + d * width, width);
  }

  /// The key at `lane` of `block`, as its row reads back.
  void decodeLane(const uint8_t *block, int64_t lane, float *x) const {
    auto *stored = static_cast<uint8_t *>(scratch(kKVKeyRow, row.rowBytes()));
    std::memset(stored, 0, row.rowBytes());
    for (int64_t g = 0; g < scaleGroups(); ++g)
      std::memcpy(stored + g * sizeof(float), block + (g * kKeyBlock + lane) * sizeof(float),
                  sizeof(float));
    const uint8_t *from = block + sizeof(float) * scaleGroups() * kKeyBlock;
    uint8_t *to = stored + sizeof(float) * scaleGroups();
    int64_t width = elementBytes();
    if (row.format == QC_KV_I4) {
      for (int64_t d = 0; d < row.dim; ++d)
        to[d / 2] |= ((from[d * kKeyBlock / 2 + lane / 2] >> (4 * (lane % 2))) & 0xF)
                     << (4 * (d % 2));
    } else {
      for (int64_t d = 0; d < row.dim; ++d)
        std::memcpy(to + d * width, from + (d * kKeyBlock + lane) * width, width);
    }
    row.decode(stored, x);
  }

  /// The block's keys as f32, [dim][16] in `tile` (channel factors
  /// applied). An f32 block is read in place: returns the block itself.
  const float *decode(const uint8_t *block, float *tile) const {
    const uint8_t *levels = block + sizeof(float) * scaleGroups() * kKeyBlock;
    auto *scales = reinterpret_cast<const float *>(block);
#if defined(__x86_64__)
    static const bool avx512 = __builtin_cpu_supports("avx512f");
    if (avx512 && !isF32()) {
      decodeAVX512(levels, scales, tile);
      return tile;
    }
#endif
    switch (row.format) {
    case QC_KV_F16:
      widenHalves(reinterpret_cast<const _Float16 *>(levels), row.dim * kKeyBlock, tile);
      break;
    case QC_KV_BF16:
      widenBFloats(reinterpret_cast<const uint16_t *>(levels), row.dim * kKeyBlock, tile);
      break;
    case QC_KV_I8:
      widenColumns(reinterpret_cast<const int8_t *>(levels), scales, row.dim, tile);
      break;
    case QC_KV_I4:
      for (int64_t g = 0; g < scaleGroups(); ++g)
        widenNibbleColumns(levels + g * row.group * kKeyBlock / 2, scales + g * kKeyBlock,
                           row.group, tile + g * row.group * kKeyBlock);
      break;
    default:
      return reinterpret_cast<const float *>(block);
    }
    if (row.channelScale && (row.format == QC_KV_I8 || row.format == QC_KV_I4))
      scaleTileChannels(tile, row.channelScale, row.dim);
    return tile;
  }

private:
#if defined(__x86_64__)
  /// decode's channels one vector of 16 lanes at a time.
  __attribute__((target("avx512f"))) void decodeAVX512(const uint8_t *levels,
                                                       const float *scales,
                                                       float *tile) const {
    bool scaled = row.channelScale && (row.format == QC_KV_I8 || row.format == QC_KV_I4);
    for (int64_t d = 0; d < row.dim; ++d) {
      __m512 x;
      switch (row.format) {
      case QC_KV_F16:
        x = _mm512_cvtph_ps(_mm256_loadu_si256(
            reinterpret_cast<const __m256i *>(levels + 2 * d * kKeyBlock)));
        break;
      case QC_KV_BF16:
        x = _mm512_castsi512_ps(_mm512_slli_epi32(
            _mm512_cvtepu16_epi32(_mm256_loadu_si256(
                reinterpret_cast<const __m256i *>(levels + 2 * d * kKeyBlock))),
            16));
        break;
      case QC_KV_I8:
        x = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(
                              reinterpret_cast<const __m128i *>(levels + d * kKeyBlock)))),
                          _mm512_loadu_ps(scales));
        break;
      default: { // QC_KV_I4: lane 2i in the low nibble of byte i.
        __m128i bytes = _mm_loadl_epi64(
            reinterpret_cast<const __m128i *>(levels + d * kKeyBlock / 2));
        __m128i low = _mm_and_si128(bytes, _mm_set1_epi8(0x0F));
        __m128i high = _mm_and_si128(_mm_srli_epi16(bytes, 4), _mm_set1_epi8(0x0F));
        // Nibbles to signed bytes: (n ^ 8) - 8.
        __m128i nibbles = _mm_sub_epi8(
            _mm_xor_si128(_mm_unpacklo_epi8(low, high), _mm_set1_epi8(8)), _mm_set1_epi8(8));
        x = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(nibbles)),
                          _mm512_loadu_ps(scales + d / row.group * kKeyBlock));
      }
      }
      if (scaled)
        x = _mm512_mul_ps(x, _mm512_set1_ps(row.channelScale[d]));
      _mm512_storeu_ps(tile + d * kKeyBlock, x);
    }
  }
#endif

  int64_t scaleGroups() const {
    if (row.format == QC_KV_I8)
      return 1;
    return row.format == QC_KV_I4 ? row.dim / row.group : 0;
  }
  int64_t elementBytes() const {
    switch (row.format) {
    case QC_KV_F16:
    case QC_KV_BF16:
      return 2;
    case QC_KV_I8:
      return 1;
    default:
      return sizeof(float);
    }
  }

  /// tile[d][l] = levels[d][l] * scales[l].
  __attribute__((target_clones("avx512bw", "avx2", "default"))) static void
  widenColumns(const int8_t *levels, const float *scales, int64_t dim, float *tile) {
    for (int64_t d = 0; d < dim; ++d)
      for (int64_t l = 0; l < kKeyBlock; ++l)
        tile[d * kKeyBlock + l] = static_cast<float>(levels[d * kKeyBlock + l]) * scales[l];
  }
  __attribute__((target_clones("avx512bw", "avx2", "default"))) static void
  widenNibbleColumns(const uint8_t *packed, const float *scales, int64_t dim, float *tile) {
    for (int64_t d = 0; d < dim; ++d)
      for (int64_t l = 0; l < kKeyBlock; ++l) {
        uint8_t byte = packed[d * kKeyBlock / 2 + l / 2];
        auto level = static_cast<int8_t>(l % 2 ? byte & 0xF0 : byte << 4) >> 4;
        tile[d * kKeyBlock + l] = static_cast<float>(level) * scales[l];
      }
  }
  __attribute__((target_clones("avx512f", "avx2", "default"))) static void
  scaleTileChannels(float *tile, const float *factors, int64_t dim) {
    for (int64_t d = 0; d < dim; ++d)
      for (int64_t l = 0; l < kKeyBlock; ++l)
        tile[d * kKeyBlock + l] *= factors[d];
  }

  KVRowFormat row;
};

} // namespace quantc::kernels

#endif // QUANTC_LIB_RUNTIME_KERNELS_KVCACHE_H
