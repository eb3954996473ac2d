//===- BF16Dot.cpp - the bf16 tile layout on AVX-512 BF16 -------*- C++ -*-===//
//
// bconvAVX512BF16 and bmatmulAVX512BF16: the fast float mode's bf16 layers
// (BF16AMX.h) on CPUs with AVX-512 BF16 but no AMX-BF16 (AMD Zen 4 and 5,
// Intel Cooper Lake), where vdpbf16ps runs twice as many products per cycle
// as vfmadd231ps. The blocking and the operands' layouts are the tiles'; a
// 32 x 32 block runs as passes of up to 8 rows x 32 columns (16 zmm
// accumulators), each reduction pair a broadcast of the row's weight pair
// against two vectors of 16 column pairs. What only pads the block is
// skipped: rows past its last row, its second 16 columns where all are
// padding, and the zero pairs that round the reduction to whole tiles.
//
//===----------------------------------------------------------------------===//
#include "BF16AMX.h"

#include <immintrin.h>

namespace quantc::kernels {
namespace {
/// The `Isa` of the tile blocking on vector registers: no tile state.
struct VectorDots {
  static void configure() {}
  static void release() {}
};
} // namespace

/// vdpbf16ps runs twice the products per cycle of f32 FMA, whose kernels
/// take a worker from 512K multiply-adds; so do these, whose pointwise
/// layers pair their image on the same threads (ppocr-rec's 3 x 3 stem
/// has 830K).
template <> constexpr int64_t kBF16ParallelMACs<VectorDots> = int64_t(1) << 19;

template <>
struct BF16Block<VectorDots> {
  static constexpr int kPassRows = 8;
  /// Registers start from one value per row, broadcast: no rows to store.
  static constexpr bool kInitRows = false;
  /// Passes of up to 4 rows store their rows; 5 to 7 run (and store) as 8.
  static constexpr bool storesOnlyRows(int64_t rows) { return rows % kPassRows <= 4; }

  static void compute(const uint32_t *a, int64_t aStride, const uint32_t *b, int64_t bStride,
                      int64_t kp, int64_t rows, int64_t columns, const float *init, float *out,
                      int64_t outStride) {
    for (int64_t r0 = 0; r0 < rows; r0 += kPassRows) {
      int live = static_cast<int>(std::min<int64_t>(kPassRows, rows - r0));
      auto run = [&]<int Rows>() {
        const float *passInit = init ? init + r0 : nullptr;
        const uint32_t *passRows = a + r0 * aStride;
        float *passOut = out + r0 * outStride;
        if (columns <= 16)
          return pass<Rows, 1>(passRows, aStride, b, bStride, kp, passInit, live, passOut,
                               outStride);
        pass<Rows, 2>(passRows, aStride, b, bStride, kp, passInit, live, passOut, outStride);
      };
      switch (live) {
      case 1: run.template operator()<1>(); break;
      case 2: run.template operator()<2>(); break;
      case 3: run.template operator()<3>(); break;
      case 4: run.template operator()<4>(); break;
      default: run.template operator()<8>(); break;
      }
    }
  }

  /// `Rows` rows of the block, the first `live` of them real, over `Vectors`
  /// vectors of 16 columns (one where the columns past 16 are padding); 5 to
  /// 7 rows run as 8: the rows past the last are padding (started from
  /// zero), and their results land in rows of the 32-row block that the
  /// caller ignores.
  template <int Rows, int Vectors>
  static void pass(const uint32_t *a, int64_t aStride, const uint32_t *b, int64_t bStride,
                   int64_t kp, const float *init, int live, float *out, int64_t outStride) {
    __m512 acc[Rows][Vectors];
    for (int r = 0; r < Rows; ++r)
      for (int v = 0; v < Vectors; ++v)
        acc[r][v] = init && r < live ? _mm512_set1_ps(init[r]) : _mm512_setzero_ps();
    for (int64_t p = 0; p < kp; ++p) {
      const uint32_t *pairs = b + p * bStride;
      __m512bh columns[Vectors];
      for (int v = 0; v < Vectors; ++v)
        columns[v] = (__m512bh)_mm512_loadu_si512(pairs + 16 * v);
      for (int r = 0; r < Rows; ++r) {
        auto weight = (__m512bh)_mm512_set1_epi32(static_cast<int>(a[r * aStride + p]));
        for (int v = 0; v < Vectors; ++v)
          acc[r][v] = _mm512_dpbf16_ps(acc[r][v], weight, columns[v]);
      }
    }
    for (int r = 0; r < Rows; ++r)
      for (int v = 0; v < Vectors; ++v)
        _mm512_storeu_ps(out + r * outStride + 16 * v, acc[r][v]);
  }
};
} // namespace quantc::kernels

using namespace quantc::kernels;

void quantc::kernels::bconvAVX512BF16(const float *input, const uint16_t *weights,
                                      const float *bias, const int64_t *params, float *output) {
  runBConvTiles<VectorDots>(input, weights, bias, params, output);
}

void quantc::kernels::bmatmulAVX512BF16(const float *a, const uint32_t *weights,
                                        const int64_t *params, float *output) {
  runBMatMulTiles<VectorDots>(a, weights, params, output);
}
