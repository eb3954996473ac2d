/*===- FloatMatMulBlock.h - the float matmul's order of summation -*- C++ -*-===*\
|*                                                                            *|
|* One block of C += A * B, shared by the reference evaluator and the float  *|
|* matmul kernel of compiled models: every output is summed over k in order, *|
|* each product and sum rounded (both are built with -ffp-contract=off), so  *|
|* the two agree bit for bit whatever the vector width.                      *|
\*===----------------------------------------------------------------------===*/
#ifndef QUANTC_RUNTIME_FLOATMATMULBLOCK_H
#define QUANTC_RUNTIME_FLOATMATMULBLOCK_H

#include <cstdint>

namespace quantc::runtime {

/// `rows` rows of C += A * B over `k` reductions and `n` columns, four rows
/// of A at a time; the inner loop over columns is contiguous and vectorizes.
inline void floatMatMulBlock(int64_t rows, int64_t n, int64_t k, const float *a,
                             int64_t lda, const float *b, int64_t ldb, float *c,
                             int64_t ldc) {
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    float *c0 = c + r * ldc, *c1 = c0 + ldc, *c2 = c1 + ldc, *c3 = c2 + ldc;
    const float *a0 = a + r * lda;
    for (int64_t p = 0; p < k; ++p) {
      float x0 = a0[p], x1 = a0[lda + p], x2 = a0[2 * lda + p], x3 = a0[3 * lda + p];
      const float *bp = b + p * ldb;
      for (int64_t j = 0; j < n; ++j) {
        float bv = bp[j];
        c0[j] += x0 * bv;
        c1[j] += x1 * bv;
        c2[j] += x2 * bv;
        c3[j] += x3 * bv;
      }
    }
  }
  for (; r < rows; ++r) {
    float *cr = c + r * ldc;
    for (int64_t p = 0; p < k; ++p) {
      float x = a[r * lda + p];
      const float *bp = b + p * ldb;
      for (int64_t j = 0; j < n; ++j)
        cr[j] += x * bp[j];
    }
  }
}

} // namespace quantc::runtime

#endif // QUANTC_RUNTIME_FLOATMATMULBLOCK_H
