//===- Sgemm.h - the evaluator's float matrix product -----------*- C++ -*-===//
//
// The reference evaluator's float GEMM, also used by passes that measure
// layer inputs (second moments of calibration activations).
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_REFERENCE_SGEMM_H
#define QUANTC_REFERENCE_SGEMM_H

#include <cstdint>

namespace quantc::reference {

/// C[M,N] (+)= A[M,K] * B[K,N], row-major with leading dimensions; blocked
/// for caches and parallel over rows. Every output is summed over k in
/// order, each product and sum rounded to f32.
void sgemm(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
           const float *b, int64_t ldb, float *c, int64_t ldc,
           bool accumulate);

} // namespace quantc::reference

#endif // QUANTC_REFERENCE_SGEMM_H
