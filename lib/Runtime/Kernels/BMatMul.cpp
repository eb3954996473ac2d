//===- BMatMul.cpp - bf16 matrix products on AVX-512 BF16 -------*- C++ -*-===//
//
// quantc_bmatmul: the float matmul kernel's product (qc_fmatmul_param) of
// bf16 operands, with f32 results. The product of two bf16 values is exact
// in f32, and vdpbf16ps adds a lane's two products one after the other, the
// odd element's first, rounding each sum. With every pair of the reduction
// stored swapped (k in the odd half, k + 1 in the even one), each output is
// the sum over k in order from zero that the float kernel forms on the
// widened operands, bit for bit, at a quarter of its instructions. (The
// instruction flushes subnormal operands and sums to zero, where the float
// kernel keeps them.) Without AVX-512 BF16, checked once at run time, the
// operands are widened and the float kernel runs.
//
//===----------------------------------------------------------------------===//
#include "BF16.h"
#include "Kernels.h"
#include "quantc/Runtime/Microkernels.h"

#include <algorithm>
#include <cstring>
#include "Tile512.h"

using namespace quantc::kernels;

namespace {
constexpr int kRows = 6;                  // rows of A per tile
constexpr int64_t kColumns = 64;          // columns per tile: four vectors
constexpr int64_t kRowsPerTask = 4 * kRows;
constexpr int64_t kColumnsPerTask = 4 * kColumns;

/// One batch's operands as pairs: A [m][k2], B [k2][paddedN] (zero columns
/// past n, zero second halves past k).
struct Pairs {
  const uint32_t *a, *b;
  float *c;
  int64_t m, k2, n, paddedN;

  int64_t rowTasks() const { return (m + kRowsPerTask - 1) / kRowsPerTask; }
  int64_t columnTasks() const { return (n + kColumnsPerTask - 1) / kColumnsPerTask; }

  static void chunk(void *self, int64_t index) { static_cast<Pairs *>(self)->run(index); }

  void run(int64_t index) const {
    int64_t r0 = (index / columnTasks()) * kRowsPerTask;
    int64_t j0 = (index % columnTasks()) * kColumnsPerTask;
    int64_t rowEnd = std::min(m, r0 + kRowsPerTask), columnEnd = std::min(n, j0 + kColumnsPerTask);
    for (int64_t j = j0; j < columnEnd; j += kColumns)
      for (int64_t r = r0; r < rowEnd; r += kRows)
        tile(r, j, static_cast<int>(std::min<int64_t>(kRows, rowEnd - r)),
             static_cast<int>(std::min(kColumns, n - j)));
  }

  void tile(int64_t r, int64_t j, int rows, int columns) const {
    switch (rows) {
    case 1: return tileBF16<1>(r, j, columns);
    case 2: return tileBF16<2>(r, j, columns);
    case 3: return tileBF16<3>(r, j, columns);
    case 4: return tileBF16<4>(r, j, columns);
    case 5: return tileBF16<5>(r, j, columns);
    default: return tileBF16<6>(r, j, columns);
    }
  }

  /// Rows x 64 outputs, accumulated in registers over the whole reduction.
  template <int Rows>
  __attribute__((target("avx512f,avx512bw,avx512bf16"))) void tileBF16(int64_t r, int64_t j,
                                                                        int columns) const {
    __m512 acc[Rows][4];
    zeroTile(acc);
    const uint32_t *rowPairs = a + r * k2;
    for (int64_t p = 0; p < k2; ++p) {
      const uint32_t *columnPairs = b + p * paddedN + j;
      __m512bh w[4];
      for (int v = 0; v < 4; ++v)
        w[v] = (__m512bh)_mm512_loadu_si512(columnPairs + 16 * v);
      for (int i = 0; i < Rows; ++i) {
        auto x = (__m512bh)_mm512_set1_epi32(static_cast<int>(rowPairs[i * k2 + p]));
        for (int v = 0; v < 4; ++v)
          acc[i][v] = _mm512_dpbf16_ps(acc[i][v], x, w[v]);
      }
    }
    for (int i = 0; i < Rows; ++i)
      for (int v = 0; v < 4; ++v) {
        int count = std::clamp(columns - 16 * v, 0, 16);
        _mm512_mask_storeu_ps(c + (r + i) * n + j + 16 * v,
                              static_cast<__mmask16>((1u << count) - 1), acc[i][v]);
      }
  }
};

/// The float kernel on the widened operands.
void runWidened(const uint16_t *a, const uint16_t *b, const int64_t *params, float *output) {
  int64_t batch = params[QC_FMATMUL_BATCH], m = params[QC_FMATMUL_M];
  int64_t k = params[QC_FMATMUL_K], n = params[QC_FMATMUL_N];
  int64_t aSize = batch * m * k, bSize = (params[QC_FMATMUL_B_BATCHED] ? batch : 1) * k * n;
  float *wide = widenOperands(a, aSize, b, bSize);
  quantc_fmatmul_generic(wide, wide + aSize, params, output);
}

/// The AVX-512 BF16 path; the packing loops inlined here vectorize with
/// AVX-512 too.
__attribute__((target("avx512f,avx512bw,avx512bf16"), flatten)) void
runBF16(const uint16_t *a, const uint16_t *b, const int64_t *params, float *output) {
  int64_t batch = params[QC_FMATMUL_BATCH], m = params[QC_FMATMUL_M];
  int64_t k = params[QC_FMATMUL_K], n = params[QC_FMATMUL_N];
  bool batchedB = params[QC_FMATMUL_B_BATCHED], transB = params[QC_FMATMUL_TRANS_B];
  int64_t k2 = (k + 1) / 2, paddedN = (n + kColumns - 1) / kColumns * kColumns;
  auto *aPairs = static_cast<uint32_t *>(scratch(kBMatMulA, m * k2 * sizeof(uint32_t)));
  auto *bPairs =
      static_cast<uint32_t *>(scratch(kBMatMulB, k2 * paddedN * sizeof(uint32_t)));
  for (int64_t i = 0; i < batch; ++i) {
    const uint16_t *ai = a + i * m * k;
    for (int64_t r = 0; r < m; ++r)
      pairAlongRow(ai + r * k, k, aPairs + r * k2);
    if (i == 0 || batchedB) {
      const uint16_t *bi = b + (batchedB ? i * k * n : 0);
      auto at = [&](int64_t row, int64_t col) {
        return row < k ? (transB ? bi[col * k + row] : bi[row * n + col]) : uint16_t(0);
      };
      for (int64_t p = 0; p < k2; ++p) {
        uint32_t *dst = bPairs + p * paddedN;
        for (int64_t col = 0; col < n; ++col)
          dst[col] = swappedPair(at(2 * p, col), at(2 * p + 1, col));
        std::fill(dst + n, dst + paddedN, 0u);
      }
    }
    Pairs work{aPairs, bPairs, output + i * m * n, m, k2, n, paddedN};
    int64_t tasks = work.rowTasks() * work.columnTasks();
    if (m * n * k < (int64_t(1) << 18))
      for (int64_t t = 0; t < tasks; ++t)
        Pairs::chunk(&work, t);
    else
      parallelFor(tasks, Pairs::chunk, &work);
  }
}
} // namespace

extern "C" void quantc_bmatmul(const uint16_t *a, const uint16_t *b, const int64_t *params,
                               float *output) {
  if (hasBF16())
    return runBF16(a, b, params, output);
  runWidened(a, b, params, output);
}
