//===- FMatMul.cpp - float matrix products in the evaluator's order -*- C++ -*-===//
//
// Built once per instruction set (QUANTC_FMATMUL_NAME names the entry point),
// with -ffp-contract=off: every output is summed over k in order from
// zero with each product and sum rounded, as the reference evaluator's sgemm
// does, so float matmuls (and the float islands of quantized models) agree
// bit for bit while the inner loop runs across 512 columns of B with four
// rows of A at a time. Work splits over blocks of rows and columns, which
// leaves each output's order of summation unchanged. The fast float mode's
// variants (quantc_fmatmul_fast_*) are this source built with
// -ffp-contract=fast: each product and sum one FMA, in the same order.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"
#include "quantc/Runtime/FloatMatMulBlock.h"
#include "quantc/Runtime/Microkernels.h"

#include <algorithm>
#include <cstring>
#if defined(__AVX512F__)
#include "Tile512.h"
#endif

using namespace quantc::kernels;

namespace {
constexpr int64_t kBlockN = 512, kBlockK = 256, kRowsPerTask = 8;
constexpr int64_t kTileRows = 4, kTileColumns = 64; // AVX-512 register tile
constexpr int64_t kRowTileColumns = 256;               // one row's tile

struct Work {
  const float *a, *b;
  float *c;
  int64_t m, k, n;

  int64_t rowTasks() const { return (m + kRowsPerTask - 1) / kRowsPerTask; }
  int64_t columnTasks() const { return (n + kBlockN - 1) / kBlockN; }

  static void chunk(void *self, int64_t index) { static_cast<Work *>(self)->run(index); }

  void run(int64_t index) const {
    int64_t r0 = (index / columnTasks()) * kRowsPerTask;
    int64_t j0 = (index % columnTasks()) * kBlockN;
    int64_t rows = std::min(kRowsPerTask, m - r0), cols = std::min(kBlockN, n - j0);
#if defined(__AVX512F__)
    if (rows == 1) { // a decode step: read B in long rows
      for (int64_t j = j0; j < j0 + cols; j += kRowTileColumns)
        rowTileAVX512(r0, j, static_cast<int>(std::min(kRowTileColumns, j0 + cols - j)));
      return;
    }
    for (int64_t j = j0; j < j0 + cols; j += kTileColumns)
      for (int64_t r = r0; r < r0 + rows; r += kTileRows) {
        int width = static_cast<int>(std::min(kTileColumns, j0 + cols - j));
        switch (std::min<int64_t>(kTileRows, r0 + rows - r)) {
        case 1: tileAVX512<1>(r, j, width); break;
        case 2: tileAVX512<2>(r, j, width); break;
        case 3: tileAVX512<3>(r, j, width); break;
        default: tileAVX512<4>(r, j, width); break;
        }
      }
#else
    for (int64_t r = r0; r < r0 + rows; ++r)
      std::memset(c + r * n + j0, 0, cols * sizeof(float));
    for (int64_t p0 = 0; p0 < k; p0 += kBlockK)
      quantc::runtime::floatMatMulBlock(rows, cols, std::min(kBlockK, k - p0), a + r0 * k + p0,
                                        k, b + p0 * n + j0, n, c + r0 * n + j0, n);
#endif
  }

#if defined(__AVX512F__)
  /// The same sums for one row and up to 256 outputs: each step of the
  /// reduction reads 1 KB of a row of B, where a 64-column tile reads 256
  /// bytes of each row and strides to the next.
  void rowTileAVX512(int64_t r, int64_t j, int width) const {
    constexpr int kVectors = kRowTileColumns / 16;
    __m512 acc[kVectors];
    __mmask16 live[kVectors];
    for (int v = 0; v < kVectors; ++v) {
      acc[v] = _mm512_setzero_ps();
      live[v] = static_cast<__mmask16>((1u << std::clamp(width - 16 * v, 0, 16)) - 1);
    }
    for (int64_t p = 0; p < k; ++p) {
      const float *bp = b + p * n + j;
      __m512 x = _mm512_set1_ps(a[r * k + p]);
      for (int v = 0; v < kVectors; ++v)
        acc[v] = _mm512_add_ps(acc[v], _mm512_mul_ps(x, _mm512_maskz_loadu_ps(live[v], bp + 16 * v)));
    }
    for (int v = 0; v < kVectors; ++v)
      _mm512_mask_storeu_ps(c + r * n + j + 16 * v, live[v], acc[v]);
  }

  /// floatMatMulBlock's sums for Rows x 64 outputs, held in registers over
  /// the whole reduction (each product, then each sum, rounded).
  template <int Rows>
  void tileAVX512(int64_t r, int64_t j, int width) const {
    __m512 acc[Rows][4];
    zeroTile(acc);
    __mmask16 live[4];
    tileMasks(width, live);
    for (int64_t p = 0; p < k; ++p) {
      const float *bp = b + p * n + j;
      __m512 bs[4];
      for (int v = 0; v < 4; ++v)
        bs[v] = _mm512_maskz_loadu_ps(live[v], bp + 16 * v);
      for (int i = 0; i < Rows; ++i) {
        __m512 x = _mm512_set1_ps(a[(r + i) * k + p]);
        for (int v = 0; v < 4; ++v)
          acc[i][v] = _mm512_add_ps(acc[i][v], _mm512_mul_ps(x, bs[v]));
      }
    }
    for (int i = 0; i < Rows; ++i)
      for (int v = 0; v < 4; ++v)
        _mm512_mask_storeu_ps(c + (r + i) * n + j + 16 * v, live[v], acc[i][v]);
  }
#endif
};
} // namespace

extern "C" void QUANTC_FMATMUL_NAME(const float *a, const float *b,
                                    const int64_t *params, float *output) {
  int64_t batch = params[QC_FMATMUL_BATCH], m = params[QC_FMATMUL_M];
  int64_t k = params[QC_FMATMUL_K], n = params[QC_FMATMUL_N];
  bool batchedB = params[QC_FMATMUL_B_BATCHED], transB = params[QC_FMATMUL_TRANS_B];
  float *transposed =
      transB ? static_cast<float *>(quantc::kernels::scratch(
                   quantc::kernels::kFMatMulTransposed, k * n * sizeof(float)))
             : nullptr;
  for (int64_t i = 0; i < batch; ++i) {
    const float *bi = b + (batchedB ? i * k * n : 0);
    if (transB && (i == 0 || batchedB)) {
      for (int64_t col = 0; col < n; ++col)
        for (int64_t p = 0; p < k; ++p)
          transposed[p * n + col] = bi[col * k + p];
    }
    Work work{a + i * m * k, transB ? transposed : bi, output + i * m * n, m, k, n};
    int64_t tasks = work.rowTasks() * work.columnTasks();
    if (m * n * k < (int64_t(1) << 18))
      for (int64_t t = 0; t < tasks; ++t)
        Work::chunk(&work, t);
    else
      quantc::kernels::parallelFor(tasks, Work::chunk, &work);
  }
}
