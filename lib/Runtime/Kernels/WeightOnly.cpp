//===- WeightOnly.cpp - float x int8/int4 weight-only matmul ----*- C++ -*-===//
//
// Built once per instruction set (QUANTC_WMATMUL_NAME names the entry point).
// Weight-only layers are bound by reading their weights, so the kernel streams
// each panel once for up to kRows activation rows, unpacks 4-bit values in
// registers (no dequantized copy is ever stored), and applies the scale once
// per group. Weights arrive unsigned (the compiler offsets signed ones and
// folds the offset into the zero points), so with AVX-512 no conversion
// instruction is needed: OR-ing a b-bit value q into the mantissa of 1.0
// gives the float v = 1 + q / 2^b exactly, and
//   sum_k x[k] * q[k] = 2^b * (sum_k x[k] * v[k] - sum_k x[k]),
// where the group sums of x are computed once per call. The inner loop is
// then a widening load (the only shuffle per 32 weights), two shifts, two
// three-input logic ops and two FMAs per row: integer work beside two
// floating-point operations. Other targets run a plain loop over fixed
// 32-wide arrays, which the compiler vectorizes.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"
#include "quantc/Runtime/Microkernels.h"

#include <algorithm>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace {
constexpr int kPanel = QC_WMATMUL_PANEL;
constexpr int kRows = 4;                 // activation rows per weight pass
constexpr int64_t kPanelsPerChunk = 2;   // work unit of the thread pool

struct Layer {
  const int64_t *p;
  int64_t operator[](qc_wmatmul_param i) const { return p[i]; }
  int64_t panels() const { return (p[QC_WMATMUL_N] + kPanel - 1) / kPanel; }
  int64_t paddedN() const { return panels() * kPanel; }
  int64_t groups() const { return p[QC_WMATMUL_K] / p[QC_WMATMUL_GROUP]; }
  int64_t panelBytes() const { return p[QC_WMATMUL_K] * kPanel * p[QC_WMATMUL_BITS] / 8; }
};

struct Work {
  Layer layer;
  const float *input, *scales, *zeroScales, *bias;
  const uint8_t *packed;
  const float *rowSums; // [M][groups] sums of x over each group
  float *output;

  static void chunk(void *self, int64_t index) { static_cast<Work *>(self)->run(index); }

  void run(int64_t index) const {
    int64_t last = std::min(layer.panels(), (index + 1) * kPanelsPerChunk);
    for (int64_t p = index * kPanelsPerChunk; p < last; ++p)
      for (int64_t m = 0; m < layer[QC_WMATMUL_M]; m += kRows) {
        int rows = static_cast<int>(std::min<int64_t>(kRows, layer[QC_WMATMUL_M] - m));
        if (layer[QC_WMATMUL_BITS] == 4)
          panel<4>(p, m, rows);
        else
          panel<8>(p, m, rows);
      }
  }

  float rowSum(int64_t m, int64_t g) const { return rowSums[m * layer.groups() + g]; }

#if defined(__AVX512F__)
  template <int Bits>
  void panel(int64_t p, int64_t m0, int rows) const {
    bool unroll = rows == 1 && layer[QC_WMATMUL_GROUP] % 4 == 0;
    switch (unroll ? 0 : rows) {
    case 0: return panelAVX512<Bits, 1, 4>(p, m0);
    case 1: return panelAVX512<Bits, 1, 1>(p, m0);
    case 2: return panelAVX512<Bits, 2, 1>(p, m0);
    case 3: return panelAVX512<Bits, 3, 1>(p, m0);
    default: return panelAVX512<Bits, 4, 1>(p, m0);
    }
  }

  /// The 32 weights of one panel row as 1 + q / 2^Bits, in two vectors.
  template <int Bits>
  static void unpack(const uint8_t *row, __m512 &lo, __m512 &hi) {
    const __m512i one = _mm512_set1_epi32(0x3F800000);
    constexpr int kMantissa = 23 - Bits; // where q lands in the mantissa
    const __m512i field = _mm512_set1_epi32(((1 << Bits) - 1) << kMantissa);
    // (a & b) | c, as vpternlogd's truth table.
    constexpr int kAndOr = 0xEA;
    auto load16 = [](const uint8_t *bytes) {
      return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i *>(bytes)));
    };
    if constexpr (Bits == 4) {
      __m512i bytes = load16(row);
      lo = _mm512_castsi512_ps(_mm512_ternarylogic_epi32(
          _mm512_slli_epi32(bytes, kMantissa), field, one, kAndOr));
      hi = _mm512_castsi512_ps(_mm512_ternarylogic_epi32(
          _mm512_slli_epi32(bytes, kMantissa - 4), field, one, kAndOr));
    } else {
      lo = _mm512_castsi512_ps(_mm512_or_si512(_mm512_slli_epi32(load16(row), kMantissa), one));
      hi = _mm512_castsi512_ps(
          _mm512_or_si512(_mm512_slli_epi32(load16(row + 16), kMantissa), one));
    }
  }

  template <int Bits, int Rows, int Unroll>
  void panelAVX512(int64_t p, int64_t m0) const {
    int64_t k = layer[QC_WMATMUL_K], group = layer[QC_WMATMUL_GROUP];
    int64_t n0 = p * kPanel, paddedN = layer.paddedN();
    constexpr int64_t rowBytes = kPanel * Bits / 8;
    const uint8_t *weights = packed + p * layer.panelBytes();
    const __m512 levels = _mm512_set1_ps(float(1 << Bits));
    const float *x[Rows];
    for (int r = 0; r < Rows; ++r)
      x[r] = input + (m0 + r) * k;
    __m512 out[Rows][2];
    for (int r = 0; r < Rows; ++r)
      out[r][0] = out[r][1] = _mm512_setzero_ps();
    for (int64_t g = 0; g < layer.groups(); ++g) {
      __m512 acc[Unroll][Rows][2];
      for (int u = 0; u < Unroll; ++u)
        for (int r = 0; r < Rows; ++r)
          acc[u][r][0] = acc[u][r][1] = _mm512_setzero_ps();
      for (int64_t kk = g * group; kk < (g + 1) * group; kk += Unroll)
        for (int u = 0; u < Unroll; ++u) {
          __m512 lo, hi;
          unpack<Bits>(weights + (kk + u) * rowBytes, lo, hi);
          for (int r = 0; r < Rows; ++r) {
            __m512 xv = _mm512_set1_ps(x[r][kk + u]);
            acc[u][r][0] = _mm512_fmadd_ps(xv, lo, acc[u][r][0]);
            acc[u][r][1] = _mm512_fmadd_ps(xv, hi, acc[u][r][1]);
          }
        }
      // out += 2^b s acc - (2^b s + s z) sum(x).
      for (int h = 0; h < 2; ++h) {
        __m512 scale = _mm512_mul_ps(levels, _mm512_loadu_ps(scales + g * paddedN + n0 + 16 * h));
        __m512 correction =
            _mm512_add_ps(scale, _mm512_loadu_ps(zeroScales + g * paddedN + n0 + 16 * h));
        for (int r = 0; r < Rows; ++r) {
          __m512 sum = acc[0][r][h];
          for (int u = 1; u < Unroll; ++u)
            sum = _mm512_add_ps(sum, acc[u][r][h]);
          out[r][h] = _mm512_fmadd_ps(scale, sum, out[r][h]);
          out[r][h] = _mm512_fnmadd_ps(correction, _mm512_set1_ps(rowSum(m0 + r, g)), out[r][h]);
        }
      }
    }
    int64_t width = std::min<int64_t>(kPanel, layer[QC_WMATMUL_N] - n0);
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
  /// The 32 weights of one panel row as floats.
  template <int Bits>
  static void unpack(const uint8_t *row, float *w) {
    if constexpr (Bits == 8) {
      for (int j = 0; j < kPanel; ++j)
        w[j] = static_cast<float>(row[j]);
    } else {
      for (int j = 0; j < kPanel / 2; ++j) {
        w[j] = static_cast<float>(row[j] & 0xF);
        w[j + kPanel / 2] = static_cast<float>(row[j] >> 4);
      }
    }
  }

  template <int Bits>
  void panel(int64_t p, int64_t m0, int rows) const {
    int64_t k = layer[QC_WMATMUL_K], group = layer[QC_WMATMUL_GROUP];
    int64_t n0 = p * kPanel, paddedN = layer.paddedN();
    constexpr int64_t rowBytes = kPanel * Bits / 8;
    const uint8_t *weights = packed + p * layer.panelBytes();
    float out[kRows][kPanel] = {};
    for (int64_t g = 0; g < layer.groups(); ++g) {
      float acc[kRows][kPanel] = {};
      for (int64_t kk = g * group; kk < (g + 1) * group; ++kk) {
        float w[kPanel];
        unpack<Bits>(weights + kk * rowBytes, w);
        for (int r = 0; r < rows; ++r) {
          float x = input[(m0 + r) * k + kk];
          for (int j = 0; j < kPanel; ++j)
            acc[r][j] += x * w[j];
        }
      }
      const float *scale = scales + g * paddedN + n0;
      const float *zeroScale = zeroScales + g * paddedN + n0;
      for (int r = 0; r < rows; ++r) {
        float xs = rowSum(m0 + r, g);
        for (int j = 0; j < kPanel; ++j)
          out[r][j] += scale[j] * acc[r][j] - zeroScale[j] * xs;
      }
    }
    int width = static_cast<int>(std::min<int64_t>(kPanel, layer[QC_WMATMUL_N] - n0));
    for (int r = 0; r < rows; ++r) {
      float *dst = output + (m0 + r) * layer[QC_WMATMUL_N] + n0;
      for (int j = 0; j < width; ++j)
        dst[j] = layer[QC_WMATMUL_HAS_BIAS] ? out[r][j] + bias[n0 + j] : out[r][j];
    }
  }
#endif
};
} // namespace

extern "C" void QUANTC_WMATMUL_NAME(const float *input, const uint8_t *packed,
                                    const float *scales, const float *zero_scales,
                                    const float *bias, const int64_t *params,
                                    float *output) {
  Layer layer{params};
  int64_t m = layer[QC_WMATMUL_M], k = layer[QC_WMATMUL_K];
  int64_t groups = layer.groups(), group = layer[QC_WMATMUL_GROUP];
  auto *rowSums = static_cast<float *>(quantc::kernels::scratch(
      quantc::kernels::kWeightOnlyRowSums, m * groups * sizeof(float)));
  for (int64_t r = 0; r < m; ++r)
    for (int64_t g = 0; g < groups; ++g) {
      float sum = 0.0f;
      for (int64_t i = g * group; i < (g + 1) * group; ++i)
        sum += input[r * k + i];
      rowSums[r * groups + g] = sum;
    }
  Work work{layer, input, scales, zero_scales, bias, packed, rowSums, output};
  int64_t chunks = (layer.panels() + kPanelsPerChunk - 1) / kPanelsPerChunk;
  // Small layers stay on the calling thread.
  if (m * k * layer[QC_WMATMUL_N] < (int64_t(1) << 20))
    for (int64_t i = 0; i < chunks; ++i)
      Work::chunk(&work, i);
  else
    quantc::kernels::parallelFor(chunks, Work::chunk, &work);
}
