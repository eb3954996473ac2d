//===- BF16KernelTest.cpp - bf16 kernels against the float ones -*- C++ -*-===//
//
// quantc_bmatmul and quantc_bconv must sum exactly as the float kernels sum
// the widened operands: odd reductions, partial tiles of rows, columns and
// pixels, transposed and batched right operands, windows with padding,
// strides and groups, and sums that cancel.
//
//===----------------------------------------------------------------------===//
#include "BF16Values.h"
#include "BitwiseCompare.h"
#include "quantc/Runtime/Microkernels.h"
#include "gtest/gtest.h"

#include <cstring>
#include <random>
#include <string>
#include <vector>

using quantc::testing::expectSameBits;

namespace {
using quantc::testing::randomBF16;
using quantc::testing::widen;
using quantc::testing::widened;

struct Shape {
  int64_t batch, m, k, n;
  bool batchedB, transB;
};

void check(const Shape &s) {
  std::mt19937 rng(static_cast<unsigned>(s.m * 1000 + s.k * 10 + s.n));
  std::vector<uint16_t> a = randomBF16(s.batch * s.m * s.k, rng);
  std::vector<uint16_t> b = randomBF16((s.batchedB ? s.batch : 1) * s.k * s.n, rng);
  std::vector<float> wideA = widened(a), wideB = widened(b);
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
  expectSameBits(expected, actual,
                 "batch " + std::to_string(s.batch) + " " + std::to_string(s.m) + "x" +
                     std::to_string(s.k) + "x" + std::to_string(s.n) +
                     (s.transB ? " transposed" : "") + (s.batchedB ? " batched" : ""));
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
struct Conv {
  int64_t batch, c, h, w, n, k, stride, pad, groups;
  bool bias;
};

void checkConv(const Conv &s) {
  std::mt19937 rng(static_cast<unsigned>(s.c * 100 + s.w * 10 + s.k));
  int64_t oh = (s.h + 2 * s.pad - s.k) / s.stride + 1, ow = (s.w + 2 * s.pad - s.k) / s.stride + 1;
  std::vector<uint16_t> input = randomBF16(s.batch * s.c * s.h * s.w, rng);
  std::vector<uint16_t> weights = randomBF16(s.n * s.c / s.groups * s.k * s.k, rng);
  std::vector<float> bias = widened(randomBF16(s.n, rng));
  std::vector<int64_t> params = {s.batch, s.c, s.h, s.w, s.n, s.k, s.k, s.stride, s.stride,
                                 1, 1, s.pad, s.pad, oh, ow, s.groups, s.bias};
  ASSERT_EQ(params.size(), size_t(QC_FCONV_NUM_PARAMS));
  std::vector<float> expected(s.batch * s.n * oh * ow), actual(expected.size());
  std::vector<float> wideInput = widened(input), wideWeights = widened(weights);
  quantc_fconv_generic(wideInput.data(), wideWeights.data(), bias.data(), params.data(),
                       expected.data());
  quantc_bconv(input.data(), weights.data(), bias.data(), params.data(), actual.data());
  expectSameBits(expected, actual,
                 "conv " + std::to_string(s.c) + "x" + std::to_string(s.h) + "x" +
                     std::to_string(s.w) + " -> " + std::to_string(s.n) + " window " +
                     std::to_string(s.k) + " groups " + std::to_string(s.groups));
}

TEST(BConvKernel, SumsAsTheFloatKernelOnWidenedOperands) {
  checkConv({1, 3, 9, 11, 8, 3, 1, 1, 1, true});    // odd taps (27)
  checkConv({2, 4, 10, 13, 7, 3, 2, 1, 1, false});  // stride, batch
  checkConv({1, 16, 9, 9, 20, 1, 1, 0, 1, true});   // pointwise, 81 pixels
  checkConv({1, 6, 8, 8, 6, 3, 1, 1, 3, true});     // groups
  checkConv({1, 5, 12, 12, 70, 5, 1, 2, 1, false}); // two channel chunks
  checkConv({2, 6, 8, 19, 6, 3, 1, 1, 6, true});     // depthwise
  checkConv({1, 8, 9, 33, 8, 5, 2, 2, 8, true});     // depthwise, stride 2
}
} // namespace
