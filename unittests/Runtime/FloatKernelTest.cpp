//===- FloatKernelTest.cpp - float kernels, every variant -------*- C++ -*-===//
//
// Every instruction-set variant of the float matmul and convolution kernels
// sums in the evaluator's order, so all must agree bit for bit with the
// portable build: partial tiles of rows, columns and pixels, long
// reductions, transposed and batched operands, windows with padding,
// strides and groups. The fast mode's variants contract products and sums
// into FMA: its matmuls stay within a reordered sum's error of the
// evaluator's, and its convolutions apply an epilogue to each chunk of
// outputs: every path of the convolution must apply it once to every output.
// The epilogue's SiLU takes its exp from expNegatedAVX512, checked here
// against libm's in double.
//
//===----------------------------------------------------------------------===//
#include "BitwiseCompare.h"
#include "ExpAVX512.h"
#include "quantc/Runtime/Microkernels.h"
#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <tuple>
#include <vector>

using quantc::testing::expectSameBits;

namespace {
using FMatMulFn = void (*)(const float *, const float *, const int64_t *, float *);
using FConvFn = void (*)(const float *, const float *, const float *, const int64_t *, float *);

bool hasAVX512() { return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"); }

std::vector<float> randomFloats(size_t count, std::mt19937 &rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> values(count);
  for (float &v : values)
    v = normal(rng);
  return values;
}

/// A matmul's random operands, its params and the portable kernel's
/// product (the evaluator's).
struct MatMulCase {
  int64_t batch, m, k, n;
  bool batchedB, transB;
  std::vector<float> a, b, expected;
  std::vector<int64_t> params;

  MatMulCase(int64_t batch, int64_t m, int64_t k, int64_t n, bool batchedB, bool transB,
             unsigned seed)
      : batch(batch), m(m), k(k), n(n), batchedB(batchedB), transB(transB),
        params{batch, m, k, n, batchedB, transB} {
    std::mt19937 rng(seed);
    a = randomFloats(batch * m * k, rng);
    b = randomFloats((batchedB ? batch : 1) * k * n, rng);
    expected.resize(batch * m * n);
    quantc_fmatmul_generic(a.data(), b.data(), params.data(), expected.data());
  }
  std::string name() const {
    return std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n);
  }
};

void checkMatMul(int64_t batch, int64_t m, int64_t k, int64_t n, bool batchedB, bool transB) {
  MatMulCase c(batch, m, k, n, batchedB, transB, static_cast<unsigned>(m * 7919 + k * 31 + n));
  ASSERT_EQ(c.params.size(), size_t(QC_FMATMUL_NUM_PARAMS));
  std::vector<std::pair<const char *, FMatMulFn>> variants = {{"avx2", quantc_fmatmul_avx2}};
  if (hasAVX512())
    variants.push_back({"avx512vnni", quantc_fmatmul_avx512vnni});
  for (auto [name, fn] : variants) {
    std::vector<float> actual(c.expected.size());
    fn(c.a.data(), c.b.data(), c.params.data(), actual.data());
    expectSameBits(c.expected, actual, std::string(name) + " matmul " + c.name());
  }
}

TEST(FloatKernels, MatMulVariantsSumAlike) {
  for (int64_t m : {1, 3, 4, 9})
    for (int64_t k : {1, 5, 300})
      for (int64_t n : {1, 16, 70, 600})
        checkMatMul(1, m, k, n, false, false);
  checkMatMul(2, 5, 33, 90, true, true);
  checkMatMul(3, 4, 20, 65, false, false);
}

/// The fast mode's matmul variants: each product and sum of the same
/// order one FMA where the CPU has it, so each output is within the error
/// of two in-order f32 sums of k terms (a rounding of at most 2^-24 of the
/// sum of |products| per step, each) of the evaluator's.
void checkFastMatMul(int64_t batch, int64_t m, int64_t k, int64_t n, bool batchedB,
                     bool transB) {
  MatMulCase c(batch, m, k, n, batchedB, transB, static_cast<unsigned>(m * 613 + k * 17 + n));
  const std::vector<float> &a = c.a, &b = c.b, &expected = c.expected;
  std::vector<double> magnitude(expected.size(), 0.0);
  for (int64_t t = 0; t < batch; ++t) {
    const float *bt = b.data() + (batchedB ? t * k * n : 0);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        for (int64_t l = 0; l < k; ++l)
          magnitude[(t * m + i) * n + j] +=
              std::fabs(double(a[(t * m + i) * k + l]) * (transB ? bt[j * k + l] : bt[l * n + j]));
  }
  std::vector<std::pair<const char *, FMatMulFn>> variants = {
      {"generic", quantc_fmatmul_fast_generic}, {"avx2", quantc_fmatmul_fast_avx2}};
  if (hasAVX512())
    variants.push_back({"avx512vnni", quantc_fmatmul_fast_avx512vnni});
  for (auto [name, fn] : variants) {
    std::vector<float> actual(expected.size(), NAN);
    fn(a.data(), b.data(), c.params.data(), actual.data());
    for (size_t i = 0; i < expected.size(); ++i)
      ASSERT_LE(std::fabs(double(actual[i]) - expected[i]),
                2.0 * double(k) * std::ldexp(magnitude[i], -24) + 1e-30)
          << name << " fast matmul " << c.name() << " at " << i;
  }
}

TEST(FloatKernels, FastMatMulVariantsStayClose) {
  for (int64_t m : {1, 4, 9})
    for (int64_t k : {1, 5, 300})
      for (int64_t n : {1, 70, 600})
        checkFastMatMul(1, m, k, n, false, false);
  checkFastMatMul(2, 5, 33, 90, true, true);
  checkFastMatMul(3, 4, 20, 65, false, false);
}

void checkConv(int64_t c, int64_t h, int64_t w, int64_t n, int64_t kernel, int64_t strideH,
               int64_t strideW, int64_t pad, int64_t groups) {
  std::mt19937 rng(static_cast<unsigned>(c * 101 + h * 7 + w * 13 + kernel));
  int64_t oh = (h + 2 * pad - kernel) / strideH + 1, ow = (w + 2 * pad - kernel) / strideW + 1;
  std::vector<float> input = randomFloats(2 * c * h * w, rng);
  std::vector<float> weights = randomFloats(n * c / groups * kernel * kernel, rng);
  std::vector<float> bias = randomFloats(n, rng);
  std::vector<int64_t> params = {2,  c,  h,   w,   n,  kernel, kernel, strideH, strideW,
                                 1,  1,  pad, pad, oh, ow,     groups, 1};
  ASSERT_EQ(params.size(), size_t(QC_FCONV_NUM_PARAMS));
  std::vector<float> expected(2 * n * oh * ow);
  quantc_fconv_generic(input.data(), weights.data(), bias.data(), params.data(),
                       expected.data());
  std::vector<std::pair<const char *, FConvFn>> variants = {{"avx2", quantc_fconv_avx2}};
  if (hasAVX512())
    variants.push_back({"avx512vnni", quantc_fconv_avx512vnni});
  for (auto [name, fn] : variants) {
    std::vector<float> actual(expected.size());
    fn(input.data(), weights.data(), bias.data(), params.data(), actual.data());
    expectSameBits(expected, actual,
                   std::string(name) + " conv " + std::to_string(c) + "x" + std::to_string(h) +
                       "x" + std::to_string(w) + " window " + std::to_string(kernel) +
                       " strides " + std::to_string(strideH) + "," + std::to_string(strideW));
  }
}

TEST(FloatKernels, ConvVariantsSumAlike) {
  checkConv(3, 9, 11, 8, 3, 1, 1, 1, 1);
  checkConv(4, 10, 13, 7, 3, 2, 2, 1, 1);
  checkConv(16, 9, 9, 20, 1, 1, 1, 0, 1);
  checkConv(6, 8, 8, 6, 3, 1, 1, 1, 3);
  checkConv(5, 12, 12, 70, 5, 1, 1, 2, 1);
  // Depthwise: the AVX-512 build reads padded planes directly, 3 x 3
  // windows in blocks of 8 or 6 output rows (heights with a partial last
  // block of each size).
  for (int64_t h : {7, 13, 24})
    for (int64_t w : {5, 16, 23, 40})
      for (auto [kernel, strideH, strideW] :
           {std::tuple{3, 1, 1}, {3, 2, 2}, {3, 1, 2}, {3, 2, 1}, {5, 1, 1}, {5, 2, 2}, {5, 2, 1},
            {1, 1, 1}})
        checkConv(6, h, w, 6, kernel, strideH, strideW, kernel / 2, 6);
  // Depthwise with 16 channels in a vector's lanes, chosen where pixels in
  // lanes would leave more of them idle (short rows, short planes): a
  // partial channel block, the windows whose loops are unrolled and a
  // 7 x 7 one whose loops are not.
  for (int64_t c : {16, 20, 48})
    for (int64_t h : {3, 12})
      for (int64_t w : {5, 40})
        for (auto [kernel, strideH, strideW] :
             {std::tuple{3, 1, 1}, {3, 2, 2}, {3, 2, 1}, {5, 1, 1}, {5, 2, 1}, {5, 1, 2},
              {7, 1, 1}, {7, 2, 2}})
          checkConv(c, h, w, c, kernel, strideH, strideW, kernel / 2, c);
}
/// The bits of `f` as a param.
int64_t paramBits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof(bits));
  return bits;
}

/// post * activation(pre * y + shift) + postShift, as the epilogue rounds.
float applyEpilogue(int64_t activation, float y) {
  float x = y * 0.5f + 0.25f;
  switch (activation) {
  case QC_ACTIVATION_SILU: x = x / (1.0f + std::exp(-x)); break;
  case QC_ACTIVATION_HARD_SWISH: x = x * std::clamp(x * (1.0f / 6) + 0.5f, 0.0f, 1.0f); break;
  default: x = std::max(x, 0.0f); break;
  }
  return x * -1.5f + 0.125f;
}

void checkFastConvEpilogue(int64_t c, int64_t h, int64_t w, int64_t n, int64_t kernel,
                           int64_t stride, int64_t groups) {
  std::mt19937 rng(static_cast<unsigned>(c * 31 + h * 7 + w + kernel));
  int64_t pad = kernel / 2;
  int64_t oh = (h + 2 * pad - kernel) / stride + 1, ow = (w + 2 * pad - kernel) / stride + 1;
  std::vector<float> input = randomFloats(2 * c * h * w, rng);
  std::vector<float> weights = randomFloats(n * c / groups * kernel * kernel, rng);
  std::vector<float> bias = randomFloats(n, rng);
  std::vector<int64_t> identity = {2,  c,  h,   w,   n,  kernel, kernel, stride, stride,
                                   1,  1,  pad, pad, oh, ow,     groups, 1,
                                   QC_ACTIVATION_NONE, paramBits(1.0f), 0, paramBits(1.0f), 0};
  ASSERT_EQ(identity.size(), size_t(QC_CONV_EPILOGUE_NUM_PARAMS));
  std::vector<std::pair<const char *, FConvFn>> variants = {
      {"generic", quantc_fconv_fast_generic}, {"avx2", quantc_fconv_fast_avx2}};
  if (hasAVX512())
    variants.push_back({"avx512vnni", quantc_fconv_fast_avx512vnni});
  for (auto [name, fn] : variants) {
    std::vector<float> plain(2 * n * oh * ow);
    fn(input.data(), weights.data(), bias.data(), identity.data(), plain.data());
    for (int64_t activation : {QC_ACTIVATION_SILU, QC_ACTIVATION_HARD_SWISH, QC_ACTIVATION_RELU}) {
      std::vector<int64_t> params = identity;
      params[QC_CONV_EPILOGUE_ACTIVATION] = activation;
      params[QC_CONV_EPILOGUE_PRE_SCALE] = paramBits(0.5f);
      params[QC_CONV_EPILOGUE_PRE_SHIFT] = paramBits(0.25f);
      params[QC_CONV_EPILOGUE_POST_SCALE] = paramBits(-1.5f);
      params[QC_CONV_EPILOGUE_POST_SHIFT] = paramBits(0.125f);
      std::vector<float> actual(plain.size(), NAN);
      fn(input.data(), weights.data(), bias.data(), params.data(), actual.data());
      for (size_t i = 0; i < plain.size(); ++i) {
        float expected = applyEpilogue(activation, plain[i]);
        ASSERT_NEAR(actual[i], expected, 1e-5f * (std::fabs(expected) + 1.0f))
            << name << " conv " << c << "x" << h << "x" << w << " window " << kernel
            << " groups " << groups << " activation " << activation << " at " << i;
      }
    }
  }
}

/// expNegatedAVX512 of each of `xs`.
__attribute__((target("avx512f"))) std::vector<float>
negatedExps(const std::vector<float> &xs) {
  std::vector<float> out(xs.size());
  for (size_t i = 0; i < xs.size(); i += 16) {
    auto live = static_cast<__mmask16>((1u << std::min<size_t>(16, xs.size() - i)) - 1);
    _mm512_mask_storeu_ps(out.data() + i, live,
                          quantc::kernels::expNegatedAVX512(_mm512_maskz_loadu_ps(live, &xs[i])));
  }
  return out;
}

// Within 2 ulp of exp(-x) wherever that is a normal float (x up to 87.3),
// within 2 of the smallest denormal below, and the limits: 0 from x = 104
// on, infinity from x = -89 down, 0 for a NaN (the SiLU's numerator keeps
// it).
TEST(FloatKernels, NegatedExpWithinTwoUlp) {
  if (!hasAVX512())
    GTEST_SKIP() << "this CPU has no AVX-512";
  std::vector<float> xs;
  for (int i = 0; i <= 2000000; ++i)
    xs.push_back(-88.0f + 192.0f * static_cast<float>(i) / 2000000.0f);
  std::vector<float> exps = negatedExps(xs);
  double worst = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    double expected = std::exp(-static_cast<double>(xs[i]));
    if (xs[i] <= 87.3f)
      worst = std::max(worst, std::fabs(exps[i] - expected) / expected);
    else
      ASSERT_LE(std::fabs(exps[i] - expected), 2 * std::ldexp(1.0, -149)) << "x " << xs[i];
  }
  EXPECT_LE(worst, 2 * std::ldexp(1.0, -23));
  const float inf = INFINITY;
  std::vector<float> limits = {0.0f, -0.0f, 104.0f, 105.0f, 3e38f, inf, -89.0f, -104.0f,
                               -3e38f, -inf, NAN};
  std::vector<float> got = negatedExps(limits);
  EXPECT_EQ(got[0], 1.0f);
  EXPECT_EQ(got[1], 1.0f);
  for (int i : {2, 3, 4, 5})
    EXPECT_EQ(got[i], 0.0f) << "x " << limits[i];
  for (int i : {6, 7, 8, 9})
    EXPECT_EQ(got[i], inf) << "x " << limits[i];
  EXPECT_EQ(got[10], 0.0f);
}

TEST(FloatKernels, FastConvEpilogues) {
  // Unfolded windows, pointwise, depthwise with pixels in lanes (3 x 3 in
  // row blocks, 5 x 5 by columns, other windows by vectors) and with
  // channels in lanes (a partial block of 16).
  checkFastConvEpilogue(5, 12, 12, 70, 3, 1, 1);
  checkFastConvEpilogue(16, 9, 9, 20, 1, 1, 1);
  checkFastConvEpilogue(6, 13, 23, 6, 3, 1, 6);
  checkFastConvEpilogue(6, 13, 23, 6, 5, 2, 6);
  checkFastConvEpilogue(6, 13, 23, 6, 7, 1, 6);
  checkFastConvEpilogue(20, 3, 40, 20, 5, 1, 20);
  checkFastConvEpilogue(48, 12, 40, 48, 3, 1, 48);
}
} // namespace
