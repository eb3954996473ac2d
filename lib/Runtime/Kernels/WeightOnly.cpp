//===- WeightOnly.cpp - float x int8/int4 weight-only matmul ----*- C++ -*-===//
//
// Built once per instruction set (QUANTC_WMATMUL_NAME names the entry point).
// Weight-only layers are bound by reading their weights, so the kernel streams
// each panel once for up to kRows activation rows, unpacks 4-bit values in
// registers (no dequantized copy is ever stored), and applies the scale once
// per group: the inner loop is a load, an unpack, a conversion and kRows
// FMAs per 32 weights, all over fixed 32-wide arrays the compiler vectorizes.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"
#include "quantc/Runtime/Microkernels.h"

#include <algorithm>
#include <cstring>

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

/// The 32 weights of one panel row as floats.
template <int Bits, bool Unsigned>
inline void unpackRow(const uint8_t *row, float *w) {
  if constexpr (Bits == 8) {
    for (int j = 0; j < kPanel; ++j)
      w[j] = Unsigned ? static_cast<float>(row[j])
                      : static_cast<float>(static_cast<int8_t>(row[j]));
  } else {
    for (int j = 0; j < kPanel / 2; ++j) {
      int lo = row[j] & 0xF, hi = row[j] >> 4;
      if (!Unsigned) { // sign-extend the nibbles
        lo = (lo ^ 8) - 8;
        hi = (hi ^ 8) - 8;
      }
      w[j] = static_cast<float>(lo);
      w[j + kPanel / 2] = static_cast<float>(hi);
    }
  }
}

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
        bool u = layer[QC_WMATMUL_UNSIGNED];
        if (layer[QC_WMATMUL_BITS] == 8)
          u ? panel<8, true>(p, m, rows) : panel<8, false>(p, m, rows);
        else
          u ? panel<4, true>(p, m, rows) : panel<4, false>(p, m, rows);
      }
  }

  template <int Bits, bool Unsigned>
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
        unpackRow<Bits, Unsigned>(weights + kk * rowBytes, w);
        for (int r = 0; r < rows; ++r) {
          float x = input[(m0 + r) * k + kk];
          for (int j = 0; j < kPanel; ++j)
            acc[r][j] += x * w[j];
        }
      }
      const float *scale = scales + g * paddedN + n0;
      const float *zeroScale = zeroScales + g * paddedN + n0;
      for (int r = 0; r < rows; ++r) {
        float xs = layer[QC_WMATMUL_HAS_ZERO_POINTS] ? rowSums[(m0 + r) * layer.groups() + g] : 0.0f;
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
};
} // namespace

extern "C" void QUANTC_WMATMUL_NAME(const float *input, const uint8_t *packed,
                                    const float *scales, const float *zero_scales,
                                    const float *bias, const int64_t *params,
                                    float *output) {
  Layer layer{params};
  int64_t m = layer[QC_WMATMUL_M], k = layer[QC_WMATMUL_K], groups = layer.groups();
  float *rowSums = nullptr;
  if (layer[QC_WMATMUL_HAS_ZERO_POINTS]) {
    rowSums = static_cast<float *>(quantc::kernels::scratch(quantc::kernels::kWeightOnlyRowSums, m * groups * sizeof(float)));
    int64_t group = layer[QC_WMATMUL_GROUP];
    for (int64_t r = 0; r < m; ++r)
      for (int64_t g = 0; g < groups; ++g) {
        float sum = 0.0f;
        for (int64_t i = g * group; i < (g + 1) * group; ++i)
          sum += input[r * k + i];
        rowSums[r * groups + g] = sum;
      }
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
