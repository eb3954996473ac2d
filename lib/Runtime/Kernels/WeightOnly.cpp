//===- WeightOnly.cpp - float x int8/int4 weight-only matmul ----*- C++ -*-===//
//
// Built once per instruction set (QUANTC_WMATMUL_NAME names the entry point).
// Weight-only layers are bound by reading their weights, so the kernel streams
// each panel once, sequentially (weights and scales interleaved, see
// Microkernels.h), for up to kRows activation rows, and applies the scale
// once per group. Weights arrive unsigned (the compiler offsets signed ones
// and folds the offset into the zero points), so with AVX-512 no conversion
// instruction is needed: OR-ing a b-bit value q into the mantissa of 1.0
// gives the float v = 1 + q / 2^b exactly, and
//   sum_k x[k] * q[k] = 2^b * (sum_k x[k] * v[k] - sum_k x[k]),
// where the group sums of x are computed once per call. A 32-bit word holds
// one column's values of 32 / b consecutive rows, so 16 weights take one
// rotate (bringing row i's value under the mantissa field), one three-input
// logic op and one FMA per activation row, and no shuffle at all. Other
// targets run a plain loop over fixed 32-wide arrays, which the compiler
// vectorizes.
//
// With int8 inputs (QC_WMATMUL_INT8_BLOCK), x is rounded once per call to
// int8 blocks and the weights meet it in vpdpbusd: a word's bytes (8-bit),
// or its low and high nibbles (4-bit: rows 0, 2, 4, 6 and 1, 3, 5, 7, so the
// rounded x is stored in that order), four rows per 32-bit lane. That is
// three logic ops and two dot products per 128 four-bit weights, against
// eight rotates, eight masks and eight FMAs on float x.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"
#include "quantc/Runtime/Microkernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace {
constexpr int kPanel = QC_WMATMUL_PANEL;
constexpr int kRows = 4;                 // activation rows per weight pass
constexpr int64_t kBlockBytes = kPanel * 4; // one 32-bit word per column
constexpr int64_t kVectorBytes = kPanel * sizeof(float); // scales of a panel
// How far ahead of the stream to fetch: about one DRAM latency at full
// bandwidth. The hardware prefetchers alone leave one core at about 70 % of
// its read bandwidth (benchmarks/weight_only_gemv.py).
[[maybe_unused]] constexpr int64_t kPrefetchBytes = 8192;
/// Layers below this many multiply-adds run on the calling thread alone.
constexpr int64_t kParallelWeights = int64_t(1) << 16;

struct Layer {
  const int64_t *p;
  int64_t operator[](qc_wmatmul_param i) const { return p[i]; }
  int64_t panels() const { return (p[QC_WMATMUL_N] + kPanel - 1) / kPanel; }
  int64_t groups() const { return p[QC_WMATMUL_K] / p[QC_WMATMUL_GROUP]; }
  /// Rows of one block: the values a 32-bit word holds.
  int64_t rowsPerBlock() const { return 32 / p[QC_WMATMUL_BITS]; }
  int64_t blocksPerGroup() const {
    return (p[QC_WMATMUL_GROUP] + rowsPerBlock() - 1) / rowsPerBlock();
  }
  int64_t groupBytes() const {
    return blocksPerGroup() * kBlockBytes + kVectorBytes + kPanel * p[QC_WMATMUL_ZERO_POINTS];
  }
  int64_t panelBytes() const { return groups() * groupBytes(); }
  int64_t int8Block() const { return p[QC_WMATMUL_INT8_BLOCK]; }
  int64_t int8Blocks() const { return p[QC_WMATMUL_K] / int8Block(); }
};

/// x rounded to int8 as Microkernels.h says: `quantized` [M][K] (each 8 rows
/// of a 4-bit layer's blocks reordered even rows first), `scales`
/// [M][K / block], and per row and group the sum of the rounded values,
/// scaled, in `groupSums` [M][groups].
struct RoundedInput {
  int8_t *quantized;
  float *scales, *groupSums;
};

/// The largest magnitude in x[0, count).
float largestMagnitude(const float *x, int64_t count) {
  int64_t i = 0;
  float largest = 0.0f;
#if defined(__AVX512F__)
  __m512 top = _mm512_setzero_ps();
  for (; i + 16 <= count; i += 16)
    top = _mm512_max_ps(top, _mm512_abs_ps(_mm512_loadu_ps(x + i)));
  largest = _mm512_reduce_max_ps(top);
#endif
  for (; i < count; ++i)
    largest = std::max(largest, std::fabs(x[i]));
  return largest;
}

/// Rounds one block of `count` values with `inverse` (a multiple of 8 when
/// `evenRowsFirst`); returns the sum of the integers.
int32_t roundBlock(const float *x, int64_t count, float inverse, bool evenRowsFirst,
                   int8_t *out) {
  int32_t sum = 0;
  int64_t i = 0;
#if defined(__AVX512F__)
  const __m512i order = evenRowsFirst
                            ? _mm512_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7, 8, 10, 12, 14, 9, 11, 13, 15)
                            : _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  __m512i sums = _mm512_setzero_si512();
  // Rounded in the current (nearest-even) mode, as std::nearbyint does.
  for (; i + 16 <= count; i += 16) {
    __m512i q = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + i), _mm512_set1_ps(inverse)));
    sums = _mm512_add_epi32(sums, q);
    _mm_storeu_si128(reinterpret_cast<__m128i *>(out + i),
                     _mm512_cvtsepi32_epi8(_mm512_permutexvar_epi32(order, q)));
  }
  sum = _mm512_reduce_add_epi32(sums);
#endif
  for (; i < count; ++i) {
    auto q = static_cast<int32_t>(std::nearbyint(x[i] * inverse));
    int j = static_cast<int>(i % 8);
    out[evenRowsFirst ? i - j + (j % 2) * 4 + j / 2 : i] = static_cast<int8_t>(q);
    sum += q;
  }
  return sum;
}

/// Rounds the rows of `input` as RoundedInput says, a chunk of rows per
/// call of `chunk` (prompts have many).
struct RoundRows {
  Layer layer;
  const float *input;
  RoundedInput rounded;
  static constexpr int64_t kRowsPerChunk = 8;

  static void chunk(void *self, int64_t index) {
    auto *work = static_cast<RoundRows *>(self);
    int64_t first = index * kRowsPerChunk;
    int64_t last = std::min(work->layer[QC_WMATMUL_M], first + kRowsPerChunk);
    for (int64_t m = first; m < last; ++m)
      work->run(m);
  }

  void run(int64_t m) const;
};

void RoundRows::run(int64_t m) const {
  int64_t k = layer[QC_WMATMUL_K], block = layer.int8Block();
  int64_t blocksPerGroup = layer[QC_WMATMUL_GROUP] / block;
  bool evenRowsFirst = layer[QC_WMATMUL_BITS] == 4;
  for (int64_t b = 0; b < layer.int8Blocks(); ++b) {
    const float *x = input + m * k + b * block;
    float largest = largestMagnitude(x, block);
    float inverse = largest == 0.0f ? 0.0f : 127.0f / largest;
    float scale = largest / 127.0f;
    int32_t sum =
        roundBlock(x, block, inverse, evenRowsFirst, rounded.quantized + m * k + b * block);
    rounded.scales[m * layer.int8Blocks() + b] = scale;
    float &groupSum = rounded.groupSums[m * layer.groups() + b / blocksPerGroup];
    groupSum = (b % blocksPerGroup ? groupSum : 0.0f) + scale * static_cast<float>(sum);
  }
}

struct Work {
  Layer layer;
  const float *input, *bias;
  const uint8_t *packed;
  const float *rowSums; // [M][groups] sums of x over each group
  RoundedInput rounded;  // with int8 inputs
  float *output;
  int64_t panelsPerChunk;

  static void chunk(void *self, int64_t index) { static_cast<Work *>(self)->run(index); }

  void run(int64_t index) const {
    int64_t first = index * panelsPerChunk;
    int64_t last = std::min(layer.panels(), first + panelsPerChunk);
    // Prefetches stop at the chunk's end: the next panels belong to another
    // thread, which reads them itself.
    const uint8_t *end = packed + last * layer.panelBytes();
    for (int64_t p = first; p < last; ++p)
      for (int64_t m = 0; m < layer[QC_WMATMUL_M]; m += kRows) {
        int rows = static_cast<int>(std::min<int64_t>(kRows, layer[QC_WMATMUL_M] - m));
        if (layer.int8Block())
          layer[QC_WMATMUL_BITS] == 4 ? int8Panel<4>(p, m, rows, end) : int8Panel<8>(p, m, rows, end);
        else if (layer[QC_WMATMUL_BITS] == 4)
          panel<4>(p, m, rows, end);
        else
          panel<8>(p, m, rows, end);
      }
  }

  float rowSum(int64_t m, int64_t g) const { return rowSums[m * layer.groups() + g]; }
  const float *row(int64_t m) const { return input + m * layer[QC_WMATMUL_K]; }
  const int8_t *int8Row(int64_t m) const { return rounded.quantized + m * layer[QC_WMATMUL_K]; }
  float int8Scale(int64_t m, int64_t b) const { return rounded.scales[m * layer.int8Blocks() + b]; }
  float int8GroupSum(int64_t m, int64_t g) const {
    return rounded.groupSums[m * layer.groups() + g];
  }

#if defined(__AVX512F__)
  /// Zeroes a vector register, or every one of an array of them.
  template <typename Vector>
  static void setZero(Vector &v) {
    v = Vector{};
  }
  template <typename T, size_t N>
  static void setZero(T (&array)[N]) {
    for (T &element : array)
      setZero(element);
  }

  /// Fetches the stream kPrefetchBytes ahead, but not past `end`, where
  /// this thread's run of panels ends.
  static void prefetchAhead(const uint8_t *stream, const uint8_t *end) {
    if (end - stream < kPrefetchBytes + 128)
      return;
    for (int line = 0; line < 2; ++line)
      _mm_prefetch(reinterpret_cast<const char *>(stream) + kPrefetchBytes + 64 * line,
                   _MM_HINT_T0);
  }

  /// A group's scales and zero scales (16 + 16 columns), from the scales
  /// and zero points of the stream, which moves past them.
  struct GroupScales {
    __m512 scale[2], zeroScale[2];
  };
  GroupScales readScales(const uint8_t *&stream) const {
    GroupScales g;
    for (int h = 0; h < 2; ++h)
      g.scale[h] = _mm512_loadu_ps(stream + 64 * h);
    stream += kVectorBytes;
    for (int h = 0; h < 2; ++h) {
      __m512 zeroPoint =
          layer[QC_WMATMUL_ZERO_POINTS]
              ? _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(
                    _mm_loadu_si128(reinterpret_cast<const __m128i *>(stream + 16 * h))))
              : _mm512_set1_ps(float(layer[QC_WMATMUL_ZERO_POINT]));
      g.zeroScale[h] = _mm512_mul_ps(g.scale[h], zeroPoint);
    }
    stream += kPanel * layer[QC_WMATMUL_ZERO_POINTS];
    return g;
  }

  template <int Bits>
  void panel(int64_t p, int64_t m0, int rows, const uint8_t *end) const {
    switch (rows) {
    case 1: return panelAVX512<Bits, 1>(p, m0, end);
    case 2: return panelAVX512<Bits, 2>(p, m0, end);
    case 3: return panelAVX512<Bits, 3>(p, m0, end);
    default: return panelAVX512<Bits, 4>(p, m0, end);
    }
  }

  /// 1 + q / 2^Bits from words holding q in the top Bits bits of the
  /// mantissa field: one mask that keeps them and ORs in 1.0.
  template <int Bits>
  static __m512 toFloat(__m512i placed) {
    constexpr int kMantissa = 23 - Bits; // where q lands in the mantissa
    const __m512i one = _mm512_set1_epi32(0x3F800000);
    const __m512i field = _mm512_set1_epi32(((1 << Bits) - 1) << kMantissa);
    constexpr int kAndOr = 0xEA; // (a & b) | c, as vpternlogd's truth table
    return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(placed, field, one, kAndOr));
  }
  /// Block row `Row` of 16 columns' words, rotated under the mantissa field.
  template <int Bits, int Row>
  static __m512 unpackRow(__m512i words) {
    constexpr int kRotate = (23 - Bits - Bits * Row + 32) % 32;
    return toFloat<Bits>(_mm512_rol_epi32(words, kRotate));
  }

  /// Independent accumulator chains, enough to hide the FMA latency.
  template <int Rows>
  static constexpr int kChains = Rows == 1 ? 4 : Rows == 2 ? 2 : 1;
  template <int Rows>
  using Accumulators = __m512[kChains<Rows>][Rows][2];

  /// Adds block row `Row` (16 + 16 columns) times x[r][Row] to the sums.
  template <int Bits, int Rows, int Row>
  static void accumulateRow(const __m512i (&words)[2], const float *const (&x)[Rows],
                            Accumulators<Rows> &acc) {
    for (int h = 0; h < 2; ++h) {
      __m512 w = unpackRow<Bits, Row>(words[h]);
      for (int r = 0; r < Rows; ++r) {
        __m512 &sum = acc[Row % kChains<Rows>][r][h];
        sum = _mm512_fmadd_ps(_mm512_set1_ps(x[r][Row]), w, sum);
      }
    }
  }
  template <int Bits, int Rows, int... Row>
  static void accumulateBlock(const __m512i (&words)[2], const float *const (&x)[Rows],
                              Accumulators<Rows> &acc, std::integer_sequence<int, Row...>) {
    (accumulateRow<Bits, Rows, Row>(words, x, acc), ...);
  }

  /// A group's last, partial block: its first `count` rows.
  template <int Bits, int Rows>
  static void accumulatePartialBlock(const __m512i (&words)[2], const float *const (&x)[Rows],
                                     int count, Accumulators<Rows> &acc) {
    for (int i = 0; i < count; ++i)
      for (int h = 0; h < 2; ++h) {
        __m128i shift = _mm_cvtsi32_si128(Bits * i);
        __m512i down = _mm512_srl_epi32(words[h], shift); // row i at bit 0
        __m512 w = toFloat<Bits>(_mm512_slli_epi32(down, 23 - Bits));
        for (int r = 0; r < Rows; ++r)
          acc[0][r][h] = _mm512_fmadd_ps(_mm512_set1_ps(x[r][i]), w, acc[0][r][h]);
      }
  }

  template <int Bits, int Rows>
  void panelAVX512(int64_t p, int64_t m0, const uint8_t *end) const {
    constexpr int kRowsPerBlock = 32 / Bits;
    int64_t group = layer[QC_WMATMUL_GROUP];
    int64_t fullBlocks = group / kRowsPerBlock;
    int rest = static_cast<int>(group % kRowsPerBlock);
    const uint8_t *stream = packed + p * layer.panelBytes();
    const __m512 levels = _mm512_set1_ps(float(1 << Bits));
    auto load = [&stream](int h) { return _mm512_loadu_si512(stream + 64 * h); };
    __m512 out[Rows][2];
    setZero(out);
    for (int64_t g = 0; g < layer.groups(); ++g) {
      Accumulators<Rows> acc;
      setZero(acc);
      const float *x[Rows];
      for (int r = 0; r < Rows; ++r)
        x[r] = row(m0 + r) + g * group;
      for (int64_t b = 0; b < fullBlocks; ++b, stream += kBlockBytes) {
        prefetchAhead(stream, end);
        __m512i words[2] = {load(0), load(1)};
        accumulateBlock<Bits, Rows>(words, x, acc,
                                    std::make_integer_sequence<int, kRowsPerBlock>());
        for (int r = 0; r < Rows; ++r)
          x[r] += kRowsPerBlock;
      }
      if (rest) {
        __m512i words[2] = {load(0), load(1)};
        accumulatePartialBlock<Bits, Rows>(words, x, rest, acc);
        stream += kBlockBytes;
      }
      // out += 2^b s acc - (2^b s + s z) sum(x).
      auto [scale, zeroScale] = readScales(stream);
      for (int h = 0; h < 2; ++h) {
        __m512 correction = _mm512_fmadd_ps(scale[h], levels, zeroScale[h]);
        __m512 scaled = _mm512_mul_ps(scale[h], levels);
        for (int r = 0; r < Rows; ++r) {
          __m512 sum = acc[0][r][h];
          for (int c = 1; c < kChains<Rows>; ++c)
            sum = _mm512_add_ps(sum, acc[c][r][h]);
          out[r][h] = _mm512_fmadd_ps(scaled, sum, out[r][h]);
          out[r][h] = _mm512_fnmadd_ps(correction, _mm512_set1_ps(rowSum(m0 + r, g)), out[r][h]);
        }
      }
    }
    store<Rows>(p, m0, out);
  }
  template <int Bits>
  void int8Panel(int64_t p, int64_t m0, int rows, const uint8_t *end) const {
    switch (rows) {
    case 1: return int8PanelAVX512<Bits, 1>(p, m0, end);
    case 2: return int8PanelAVX512<Bits, 2>(p, m0, end);
    case 3: return int8PanelAVX512<Bits, 3>(p, m0, end);
    default: return int8PanelAVX512<Bits, 4>(p, m0, end);
    }
  }

  /// Integer sums of one block row pair (32 columns) against four rounded
  /// inputs per lane: 4-bit words give two (low and high nibbles).
  template <int Bits, int Rows, int Chains>
  static void dotWords(const __m512i (&words)[2], const int8_t *const (&x)[Rows],
                       __m512i (&acc)[Chains][Rows][2]) {
    auto lanes = [](const int8_t *q) {
      int32_t four;
      std::memcpy(&four, q, 4);
      return _mm512_set1_epi32(four);
    };
    const __m512i nibble = _mm512_set1_epi8(0x0F);
    for (int h = 0; h < 2; ++h) {
      if constexpr (Bits == 4) {
        __m512i low = _mm512_and_si512(words[h], nibble);
        __m512i high = _mm512_and_si512(_mm512_srli_epi32(words[h], 4), nibble);
        for (int r = 0; r < Rows; ++r) {
          acc[0][r][h] = _mm512_dpbusd_epi32(acc[0][r][h], low, lanes(x[r]));
          acc[Chains - 1][r][h] = _mm512_dpbusd_epi32(acc[Chains - 1][r][h], high, lanes(x[r] + 4));
        }
      } else {
        for (int r = 0; r < Rows; ++r)
          acc[0][r][h] = _mm512_dpbusd_epi32(acc[0][r][h], words[h], lanes(x[r]));
      }
    }
  }

  template <int Bits, int Rows>
  void int8PanelAVX512(int64_t p, int64_t m0, const uint8_t *end) const {
    constexpr int kRowsPerBlock = 32 / Bits;
    constexpr int kChains = Rows == 1 && Bits == 4 ? 2 : 1; // low and high nibbles apart
    int64_t block = layer.int8Block(), blocksPerGroup = layer[QC_WMATMUL_GROUP] / block;
    int64_t wordsPerBlock = block / kRowsPerBlock;
    const uint8_t *stream = packed + p * layer.panelBytes();
    auto load = [&stream](int h) { return _mm512_loadu_si512(stream + 64 * h); };
    __m512 out[Rows][2];
    setZero(out);
    for (int64_t g = 0; g < layer.groups(); ++g) {
      __m512 groupAcc[Rows][2];
      setZero(groupAcc);
      for (int64_t b = g * blocksPerGroup; b < (g + 1) * blocksPerGroup; ++b) {
        __m512i acc[kChains][Rows][2];
        setZero(acc);
        const int8_t *x[Rows];
        for (int r = 0; r < Rows; ++r)
          x[r] = int8Row(m0 + r) + b * block;
        for (int64_t j = 0; j < wordsPerBlock; ++j, stream += kBlockBytes) {
          prefetchAhead(stream, end);
          __m512i words[2] = {load(0), load(1)};
          dotWords<Bits, Rows, kChains>(words, x, acc);
          for (int r = 0; r < Rows; ++r)
            x[r] += kRowsPerBlock;
        }
        for (int r = 0; r < Rows; ++r)
          for (int h = 0; h < 2; ++h) {
            __m512i sum = acc[0][r][h];
            if constexpr (kChains == 2)
              sum = _mm512_add_epi32(sum, acc[1][r][h]);
            groupAcc[r][h] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum),
                                             _mm512_set1_ps(int8Scale(m0 + r, b)), groupAcc[r][h]);
          }
      }
      // out += s * acc - s z * sum(x).
      auto [scale, zeroScale] = readScales(stream);
      for (int h = 0; h < 2; ++h)
        for (int r = 0; r < Rows; ++r) {
          out[r][h] = _mm512_fmadd_ps(scale[h], groupAcc[r][h], out[r][h]);
          out[r][h] = _mm512_fnmadd_ps(zeroScale[h], _mm512_set1_ps(int8GroupSum(m0 + r, g)),
                                       out[r][h]);
        }
    }
    store<Rows>(p, m0, out);
  }

  template <int Rows>
  void store(int64_t p, int64_t m0, const __m512 (&out)[Rows][2]) const {
    int64_t n0 = p * kPanel, width = std::min<int64_t>(kPanel, layer[QC_WMATMUL_N] - n0);
    for (int h = 0; h < 2; ++h) {
      int64_t count = std::clamp<int64_t>(width - 16 * h, 0, 16);
      auto mask = static_cast<__mmask16>((1u << count) - 1);
      __m512 b = layer[QC_WMATMUL_HAS_BIAS] ? _mm512_maskz_loadu_ps(mask, bias + n0 + 16 * h)
                                            : _mm512_setzero_ps();
      for (int r = 0; r < Rows; ++r)
        _mm512_mask_storeu_ps(output + (m0 + r) * layer[QC_WMATMUL_N] + n0 + 16 * h, mask,
                              _mm512_add_ps(out[r][h], b));
    }
  }
#else
  /// A group's scales and zero scales, from the scales and zero points of
  /// the stream, which moves past them.
  struct GroupScales {
    float scale[kPanel], zeroScale[kPanel];
  };
  GroupScales readScales(const uint8_t *&stream) const {
    GroupScales g;
    std::memcpy(g.scale, stream, sizeof(g.scale));
    stream += kVectorBytes;
    bool perColumn = layer[QC_WMATMUL_ZERO_POINTS];
    for (int j = 0; j < kPanel; ++j)
      g.zeroScale[j] = g.scale[j] * static_cast<float>(perColumn ? stream[j]
                                                                 : layer[QC_WMATMUL_ZERO_POINT]);
    stream += kPanel * perColumn;
    return g;
  }

  /// The int8-input product on other targets: the same integer sums per
  /// block, then the same scaling.
  template <int Bits>
  void int8Panel(int64_t p, int64_t m0, int rows, const uint8_t *) const {
    constexpr int kRowsPerBlock = 32 / Bits;
    constexpr uint32_t kMask = (1u << Bits) - 1;
    int64_t block = layer.int8Block(), blocksPerGroup = layer[QC_WMATMUL_GROUP] / block;
    const uint8_t *stream = packed + p * layer.panelBytes();
    float out[kRows][kPanel] = {};
    for (int64_t g = 0; g < layer.groups(); ++g) {
      float groupAcc[kRows][kPanel] = {};
      for (int64_t b = g * blocksPerGroup; b < (g + 1) * blocksPerGroup; ++b) {
        int32_t acc[kRows][kPanel] = {};
        for (int64_t i = 0; i < block; ++i) {
          uint32_t words[kPanel];
          std::memcpy(words, stream + i / kRowsPerBlock * kBlockBytes, sizeof(words));
          int row = static_cast<int>(i % kRowsPerBlock);
          // Where row `row` of a word block sits among the rounded inputs.
          int slot = Bits == 4 ? (row % 2) * 4 + row / 2 : row;
          for (int r = 0; r < rows; ++r) {
            int32_t x = int8Row(m0 + r)[b * block + i - row + slot];
            for (int j = 0; j < kPanel; ++j)
              acc[r][j] += x * static_cast<int32_t>((words[j] >> (Bits * row)) & kMask);
          }
        }
        stream += block / kRowsPerBlock * kBlockBytes;
        for (int r = 0; r < rows; ++r)
          for (int j = 0; j < kPanel; ++j)
            groupAcc[r][j] = std::fma(static_cast<float>(acc[r][j]), int8Scale(m0 + r, b),
                                      groupAcc[r][j]);
      }
      auto [scale, zeroScale] = readScales(stream);
      for (int r = 0; r < rows; ++r)
        for (int j = 0; j < kPanel; ++j)
          out[r][j] = std::fma(-zeroScale[j], int8GroupSum(m0 + r, g),
                               std::fma(scale[j], groupAcc[r][j], out[r][j]));
    }
    store(p, m0, rows, out);
  }

  void store(int64_t p, int64_t m0, int rows, const float (&out)[kRows][kPanel]) const {
    int64_t n0 = p * kPanel;
    int width = static_cast<int>(std::min<int64_t>(kPanel, layer[QC_WMATMUL_N] - n0));
    for (int r = 0; r < rows; ++r) {
      float *dst = output + (m0 + r) * layer[QC_WMATMUL_N] + n0;
      for (int j = 0; j < width; ++j)
        dst[j] = layer[QC_WMATMUL_HAS_BIAS] ? out[r][j] + bias[n0 + j] : out[r][j];
    }
  }

  template <int Bits>
  void panel(int64_t p, int64_t m0, int rows, const uint8_t *) const {
    constexpr int kRowsPerBlock = 32 / Bits;
    constexpr uint32_t kMask = (1u << Bits) - 1;
    int64_t group = layer[QC_WMATMUL_GROUP];
    const uint8_t *stream = packed + p * layer.panelBytes();
    float out[kRows][kPanel] = {};
    for (int64_t g = 0; g < layer.groups(); ++g) {
      float acc[kRows][kPanel] = {};
      for (int64_t i = 0; i < group; ++i) {
        uint32_t words[kPanel];
        std::memcpy(words, stream + i / kRowsPerBlock * kBlockBytes, sizeof(words));
        int shift = static_cast<int>(Bits * (i % kRowsPerBlock));
        float w[kPanel];
        for (int j = 0; j < kPanel; ++j)
          w[j] = static_cast<float>((words[j] >> shift) & kMask);
        for (int r = 0; r < rows; ++r) {
          float x = row(m0 + r)[g * group + i];
          for (int j = 0; j < kPanel; ++j)
            acc[r][j] += x * w[j];
        }
      }
      stream += layer.blocksPerGroup() * kBlockBytes;
      auto [scale, zeroScale] = readScales(stream);
      for (int r = 0; r < rows; ++r) {
        float xs = rowSum(m0 + r, g);
        for (int j = 0; j < kPanel; ++j)
          out[r][j] += scale[j] * acc[r][j] - zeroScale[j] * xs;
      }
    }
    store(p, m0, rows, out);
  }
#endif
};
} // namespace

extern "C" void QUANTC_WMATMUL_NAME(const float *input, const uint8_t *packed,
                                    const float *bias, const int64_t *params,
                                    float *output) {
  Layer layer{params};
  int64_t m = layer[QC_WMATMUL_M], k = layer[QC_WMATMUL_K];
  int64_t groups = layer.groups(), group = layer[QC_WMATMUL_GROUP];
  using quantc::kernels::scratch;
  auto *rowSums = static_cast<float *>(
      scratch(quantc::kernels::kWeightOnlyRowSums, m * groups * sizeof(float)));
  RoundedInput rounded{};
  if (layer.int8Block()) {
    rounded.quantized = static_cast<int8_t *>(scratch(quantc::kernels::kWeightOnlyInt8, m * k));
    rounded.scales = static_cast<float *>(
        scratch(quantc::kernels::kWeightOnlyInt8Scales, m * layer.int8Blocks() * sizeof(float)));
    rounded.groupSums = rowSums;
    RoundRows rows{layer, input, rounded};
    int64_t chunks = (m + RoundRows::kRowsPerChunk - 1) / RoundRows::kRowsPerChunk;
    quantc::kernels::parallelFor(chunks, RoundRows::chunk, &rows);
  } else {
    for (int64_t r = 0; r < m; ++r)
      for (int64_t g = 0; g < groups; ++g) {
        float sum = 0.0f;
        for (int64_t i = g * group; i < (g + 1) * group; ++i)
          sum += input[r * k + i];
        rowSums[r * groups + g] = sum;
      }
  }
  // One contiguous run of panels per thread: the stream of each stays
  // sequential and its prefetches useful. Small layers stay on the caller.
  int64_t threads = m * k * layer[QC_WMATMUL_N] < kParallelWeights ? 1 : quantc::kernels::threadBudget();
  int64_t perChunk = (layer.panels() + threads - 1) / threads;
  Work work{layer, input, bias, packed, rowSums, rounded, output, perChunk};
  quantc::kernels::parallelFor((layer.panels() + perChunk - 1) / perChunk, Work::chunk, &work);
}
