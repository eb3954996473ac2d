//===- BMatMulKernelTest.cpp - bf16 products against the float kernel -*- C++ -*-===//
//
// quantc_bmatmul must sum exactly as the float kernel sums the widened
// operands: shapes with odd reductions, partial tiles of rows and columns,
// transposed and batched right operands, and sums that cancel.
//
//===----------------------------------------------------------------------===//
#include "quantc/Runtime/Microkernels.h"
#include "gtest/gtest.h"

#include <cstring>
#include <random>
#include <vector>

namespace {
float widen(uint16_t value) {
  uint32_t bits = uint32_t(value) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

struct Shape {
  int64_t batch, m, k, n;
  bool batchedB, transB;
};

void check(const Shape &s) {
  std::mt19937 rng(static_cast<unsigned>(s.m * 1000 + s.k * 10 + s.n));
  // Normal bf16 values of both signs over a few binades, so sums cancel.
  std::uniform_int_distribution<int> exponent(120, 130), mantissa(0, 127), sign(0, 1);
  auto random = [&] {
    return static_cast<uint16_t>(sign(rng) << 15 | exponent(rng) << 7 | mantissa(rng));
  };
  std::vector<uint16_t> a(s.batch * s.m * s.k), b((s.batchedB ? s.batch : 1) * s.k * s.n);
  for (uint16_t &v : a)
    v = random();
  for (uint16_t &v : b)
    v = random();
  std::vector<float> wideA(a.size()), wideB(b.size());
  for (size_t i = 0; i < a.size(); ++i)
    wideA[i] = widen(a[i]);
  for (size_t i = 0; i < b.size(); ++i)
    wideB[i] = widen(b[i]);
  std::vector<int64_t> params(QC_FMATMUL_NUM_PARAMS, 0);
  params[QC_FMATMUL_BATCH] = s.batch;
  params[QC_FMATMUL_M] = s.m;
  params[QC_FMATMUL_K] = s.k;
  params[QC_FMATMUL_N] = s.n;
  params[QC_FMATMUL_B_BATCHED] = s.batchedB;
  params[QC_FMATMUL_TRANS_B] = s.transB;
  std::vector<float> expected(s.batch * s.m * s.n), actual(expected.size());
  quantc_fmatmul_generic(wideA.data(), wideB.data(), params.data(), expected.data());
  quantc_bmatmul(a.data(), b.data(), params.data(), actual.data());
  int mismatches = 0;
  for (size_t i = 0; i < expected.size(); ++i)
    if (std::memcmp(&expected[i], &actual[i], sizeof(float)) != 0 && ++mismatches <= 3)
      ADD_FAILURE() << "batch " << s.batch << " " << s.m << "x" << s.k << "x" << s.n
                    << (s.transB ? " transposed" : "") << (s.batchedB ? " batched" : "")
                    << " at " << i << ": " << actual[i] << " instead of " << expected[i];
}

TEST(BMatMulKernel, SumsAsTheFloatKernelOnWidenedOperands) {
  for (int64_t m : {1, 5, 6, 13, 30})
    for (int64_t k : {1, 2, 7, 40, 301})
      for (int64_t n : {1, 17, 64, 150, 300})
        check({1, m, k, n, false, false});
}

TEST(BMatMulKernel, TransposedAndBatchedRightOperands) {
  check({1, 9, 33, 70, false, true});
  check({3, 7, 20, 90, true, false});
  check({2, 4, 15, 65, false, false});
  check({2, 40, 96, 300, true, true});
}
} // namespace
