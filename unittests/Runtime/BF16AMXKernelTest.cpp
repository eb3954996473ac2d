//===- BF16AMXKernelTest.cpp - fast-mode bf16 kernels on tiles -*- C++ -*-===//
//
// quantc_bconv_tiles and quantc_bmatmul_tiles sum in the tiles' order, not the
// evaluator's: each is checked against the float kernels on the widened
// operands to a bound on the error of a reordered f32 sum (a few ulps of
// the sum of absolute products), on shapes that reach every tail of the
// 32 x 32 blocks and of the 32-step reductions. The tile blocking runs on
// the scalar tile model everywhere, on the CPU's tiles where it has
// AMX-BF16 and on AVX-512 BF16 where it has that; the exported entry points
// (tiles, AVX-512 BF16 or their widened fallback) run where the CPU has
// either.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"
#include "quantc/Runtime/BF16Tiles.h"
#include "quantc/Runtime/Microkernels.h"
#include "BF16Values.h"
#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

extern "C" void quantc_artifact_set_num_threads(int32_t threads);

using namespace quantc;
using runtime::bf16BlockPadded;
using runtime::bf16PackedRows;
using runtime::bf16TilePairs;

namespace {
using quantc::testing::randomBF16;
using quantc::testing::widen;
using quantc::testing::widened;

using ConvFn = void (*)(const float *, const uint16_t *, const float *, const int64_t *,
                        float *);
using MatMulFn = void (*)(const float *, const uint32_t *, const int64_t *, float *);

struct Variant {
  const char *name;
  ConvFn conv;
  MatMulFn matmul;
  bool available;
};

std::vector<Variant> variants() {
  return {{"tile model", kernels::bconvTileModel, kernels::bmatmulTileModel, true},
          {"amx", kernels::bconvAMX, kernels::bmatmulAMX, kernels::hasAMXBF16()},
          {"avx-512 bf16", kernels::bconvAVX512BF16, kernels::bmatmulAVX512BF16,
           kernels::hasBF16()},
          {"entry point", quantc_bconv_tiles, quantc_bmatmul_tiles,
           __builtin_cpu_supports("amx-bf16") != 0 || kernels::hasBF16()}};
}

[[maybe_unused]] const bool kAMXNotice = [] {
  if (!kernels::hasAMXBF16())
    std::fprintf(stderr, "note: no AMX-BF16 here (or QUANTC_AMX=0): the bf16 tile kernels "
                         "run only on the tile model\n");
  return true;
}();

/// f32 values that round to `values` (to nearest even): each bf16 value
/// plus less than half a bf16 ulp, or exactly half where that ties to it.
std::vector<float> unrounded(const std::vector<uint16_t> &values, std::mt19937 &rng) {
  std::uniform_int_distribution<uint32_t> below(0, 0x7fff);
  std::vector<float> result(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t extra = values[i] & 1 ? below(rng) : (i % 7 ? below(rng) : 0x8000);
    uint32_t bits = uint32_t(values[i]) << 16 | extra;
    std::memcpy(&result[i], &bits, sizeof(float));
  }
  return result;
}

/// Each output within a reordered sum's error of the in-order one: `terms`
/// products of magnitude at most 2^4 each (operands below 2^3), so the
/// error stays under terms * 2^4 * 2^-23 * a few.
void expectClose(const std::vector<float> &expected, const std::vector<float> &actual,
                 int64_t terms, const std::string &what) {
  ASSERT_EQ(expected.size(), actual.size());
  double bound = 4.0 * static_cast<double>(terms) * 16.0 * std::ldexp(1.0, -23);
  for (size_t i = 0; i < expected.size(); ++i)
    ASSERT_LE(std::fabs(double(expected[i]) - actual[i]), bound)
        << what << " at " << i << ": " << expected[i] << " vs " << actual[i];
}

/// An output buffer (NaN) followed by a guard of 32 rows of `rowLength`
/// (a block's rows past the last output row): blocks are stored straight
/// into the output only where the kernel stores nothing past their rows.
constexpr float kUntouched = 12345.0f;
std::vector<float> guardedOutput(size_t size, int64_t rowLength) {
  std::vector<float> output(size, NAN);
  output.resize(size + runtime::kBF16BlockRows * rowLength, kUntouched);
  return output;
}
/// Whether the guard after the first `size` values is untouched; drops it.
bool guardUntouched(std::vector<float> &output, size_t size) {
  bool untouched = std::all_of(output.begin() + static_cast<int64_t>(size), output.end(),
                               [](float v) { return v == kUntouched; });
  output.resize(size);
  return untouched;
}

struct Conv {
  int64_t batch, c, h, w, n, kh, kw, stride, pad, groups;
};

/// A convolution's epilogue: post * activation(pre * y + preShift) + postShift.
struct Epilogue {
  int64_t activation = QC_ACTIVATION_NONE;
  float pre = 1.0f, preShift = 0.0f, post = 1.0f, postShift = 0.0f;

  double activate(double x) const {
    switch (activation) {
    case QC_ACTIVATION_SILU: return x / (1.0 + std::exp(-x));
    case QC_ACTIVATION_HARD_SWISH: return x * std::clamp(x / 6 + 0.5, 0.0, 1.0);
    case QC_ACTIVATION_RELU: return std::max(x, 0.0);
    default: return x;
    }
  }
  double apply(double y) const { return activate(pre * y + preShift) * post + postShift; }
  /// How much it can magnify an error of y: the activations' slopes are at
  /// most 1.5 (hard-swish at x = 3), 1.1 (SiLU) and 1.
  double gain() const { return std::fabs(pre * post) * 1.5; }
  std::vector<int64_t> params() const {
    std::vector<int64_t> values = {activation};
    for (float f : {pre, preShift, post, postShift}) {
      uint32_t bits;
      std::memcpy(&bits, &f, sizeof(bits));
      values.push_back(bits);
    }
    return values;
  }
};

/// `denormalEvery` > 0 makes every such input an f32 denormal that rounds
/// up to bf16's smallest normal: where a vector of pixels holds one, the
/// AVX-512 BF16 pairing, whose conversion reads denormals as zero, leaves
/// its pixels to the scalar rounding (the dot products read bf16 denormals
/// as zero, so only such values tell the two apart). `weightExponent`
/// scales the weights by that power of 2 (their exponents), so that those
/// inputs weigh like normal ones; `evenChannelsZero` zeroes the even
/// channels, so that only the odd ones hold denormals.
void checkConv(const Variant &variant, const Conv &s, bool bias, const Epilogue &epilogue = {},
               int threads = 1, size_t denormalEvery = 0, int weightExponent = 0,
               bool evenChannelsZero = false) {
  std::mt19937 rng(static_cast<unsigned>(s.c * 977 + s.n * 31 + s.kh));
  int64_t oh = (s.h + 2 * s.pad - s.kh) / s.stride + 1;
  int64_t ow = (s.w + 2 * s.pad - s.kw) / s.stride + 1;
  int64_t taps = s.c / s.groups * s.kh * s.kw;
  std::vector<int64_t> params = {s.batch, s.c, s.h, s.w, s.n, s.kh, s.kw, s.stride, s.stride,
                                 1, 1, s.pad, s.pad, oh, ow, s.groups, bias};
  for (int64_t value : epilogue.params())
    params.push_back(value);
  ASSERT_EQ(params.size(), size_t(QC_CONV_EPILOGUE_NUM_PARAMS));
  std::vector<uint16_t> input = randomBF16(s.batch * s.c * s.h * s.w, rng);
  for (size_t i = 0; denormalEvery && i < input.size(); i += denormalEvery)
    input[i] = static_cast<uint16_t>((input[i] & 0x8000) | 0x0080);
  std::vector<float> fed = unrounded(input, rng);
  std::uniform_int_distribution<uint32_t> below(0, 0x7fff);
  for (size_t i = 0; denormalEvery && i < input.size(); i += denormalEvery) {
    uint32_t bits = uint32_t(input[i] & 0x8000) << 16 | 0x007F8000 | below(rng);
    std::memcpy(&fed[i], &bits, sizeof(float));
  }
  for (size_t i = 0; evenChannelsZero && i < input.size(); ++i)
    if (i / static_cast<size_t>(s.h * s.w) % 2 == 0) {
      input[i] = 0;
      fed[i] = 0.0f;
    }
  std::vector<uint16_t> weights = randomBF16(s.n * taps, rng);
  for (uint16_t &w : weights)
    w = static_cast<uint16_t>(w + (weightExponent << 7));
  std::vector<float> biases(s.n);
  for (float &b : biases)
    b = widen(randomBF16(1, rng)[0]);
  std::vector<uint16_t> packed(bf16PackedRows(s.n) * 2 *
                               runtime::bf16ConvPairs(s.c / s.groups, s.kh, s.kw));
  runtime::packBF16ConvWeights(weights.data(), s.n, s.c / s.groups, s.kh, s.kw, packed.data());
  std::vector<float> wideIn = widened(input), wideW = widened(weights);
  std::vector<float> expected(s.batch * s.n * oh * ow);
  std::vector<float> actual = guardedOutput(expected.size(), oh * ow);
  quantc_fconv_generic(wideIn.data(), wideW.data(), biases.data(), params.data(),
                       expected.data());
  for (float &y : expected)
    y = static_cast<float>(epilogue.apply(y));
  quantc_artifact_set_num_threads(threads);
  variant.conv(fed.data(), packed.data(), biases.data(), params.data(),
               actual.data());
  quantc_artifact_set_num_threads(1);
  ASSERT_TRUE(guardUntouched(actual, expected.size()))
      << variant.name << " conv n" << s.n << " wrote past its output";
  // The epilogue magnifies the sum's error and adds a rounding per step.
  auto terms = static_cast<int64_t>(std::ceil((taps + 1) * epilogue.gain())) + 8;
  expectClose(expected, actual, terms,
              std::string(variant.name) + " conv c" + std::to_string(s.c) + " n" +
                  std::to_string(s.n) + " " + std::to_string(s.kh) + "x" +
                  std::to_string(s.kw) + " groups " + std::to_string(s.groups) +
                  " activation " + std::to_string(epilogue.activation));
}

TEST(BF16AMXKernel, ConvolutionsMatchTheFloatKernel) {
  for (const Variant &v : variants()) {
    if (!v.available)
      continue;
    // Pointwise, 3x3 with padding and stride, channel counts around the 32
    // blocks, reductions around 32 steps, pixels around 32.
    for (int64_t n : {1, 16, 31, 33, 70})
      checkConv(v, {1, 3, 9, 9, n, 3, 3, 1, 1, 1}, true);
    for (int64_t c : {1, 15, 16, 17, 64, 100})
      checkConv(v, {1, c, 6, 7, 40, 1, 1, 1, 0, 1}, c % 2);
    checkConv(v, {2, 8, 11, 13, 24, 3, 3, 2, 1, 2}, true);
    checkConv(v, {1, 32, 5, 5, 64, 3, 3, 1, 1, 4}, false);
    checkConv(v, {1, 24, 17, 3, 48, 5, 1, 1, 2, 1}, true);
  }
}

// Each thread pairs the pixel blocks of a pointwise layer that it computes;
// a slice that starts inside a pixel block pairs that block again. 420
// pixels (a partial block) x 4 channel blocks on 3 threads: slices start
// at blocks 18 and 37, inside pixel blocks.
TEST(BF16AMXKernel, PointwiseBlocksSplitOverThreads) {
  for (const Variant &v : variants()) {
    if (!v.available)
      continue;
    checkConv(v, {1, 65, 20, 21, 100, 1, 1, 1, 0, 1}, true, {}, 3);
    checkConv(v, {2, 128, 20, 21, 160, 1, 1, 1, 0, 2}, false, {QC_ACTIVATION_RELU}, 3);
  }
}

// Denormal pixels in some vectors of 16 (every 37th value, 2 and 64
// channels, and 3 channels paired into the phase planes of a stride-2
// window, rows of 20 pixels per phase): the other pixels of those vectors,
// and the vectors after them, still pair and round right.
TEST(BF16AMXKernel, DenormalPixelsPairOnTheScalarPath) {
  for (const Variant &v : variants()) {
    if (!v.available)
      continue;
    checkConv(v, {1, 2, 8, 12, 8, 1, 1, 1, 0, 1}, true, {}, 1, 37);
    checkConv(v, {1, 64, 9, 10, 40, 1, 1, 1, 0, 1}, false, {}, 1, 37);
    checkConv(v, {1, 3, 8, 40, 16, 3, 3, 2, 1, 1}, true, {}, 1, 37);
    // Every input such a denormal (or only the odd channels', the even ones
    // zero), weighted up to products near 1: a pairing that reads either
    // channel's denormals as zero loses them all.
    for (int64_t stride : {1, 2}) {
      checkConv(v, {1, 3, 8, 40, 16, 3, 3, stride, 1, 1}, true, {}, 1, 1, 124);
      checkConv(v, {1, 2, 8, 40, 16, 3, 3, stride, 1, 1}, true, {}, 1, 1, 124, true);
    }
  }
}

// bf16 denormals count as zero in every variant, as vdpbf16ps and
// tdpbf16ps read them (the tile model included): an image of denormals,
// whose products with weights near 2^127 would be near 1, leaves each
// output its bias. And denormal sums are flushed to zero: products of
// 2^-127 added to a zero bias leave zero, where 27 of them kept would sum
// to a normal value.
TEST(BF16AMXKernel, DenormalOperandsCountAsZero) {
  const Conv s{1, 3, 8, 40, 16, 3, 3, 1, 1, 1};
  std::mt19937 rng(7);
  int64_t pixels = s.h * s.w;
  std::vector<int64_t> params = {s.batch, s.c, s.h, s.w, s.n,    s.kh,     s.kw, 1, 1,
                                 1,       1,   1,   1,   s.h, s.w, s.groups, 1};
  for (int64_t value : Epilogue{}.params())
    params.push_back(value);
  std::vector<uint16_t> packed(bf16PackedRows(s.n) * 2 * runtime::bf16ConvPairs(s.c, s.kh, s.kw));
  std::vector<float> image(s.c * pixels), biases(s.n);
  // Every variant's outputs, each equal to its channel's `expected`.
  auto expectEveryVariant = [&](const std::vector<uint16_t> &weights,
                                const std::vector<float> &expected) {
    runtime::packBF16ConvWeights(weights.data(), s.n, s.c, s.kh, s.kw, packed.data());
    for (const Variant &v : variants()) {
      if (!v.available)
        continue;
      std::vector<float> actual(s.n * pixels, NAN);
      v.conv(image.data(), packed.data(), biases.data(), params.data(), actual.data());
      for (int64_t i = 0; i < static_cast<int64_t>(actual.size()); ++i)
        ASSERT_EQ(actual[i], expected[i / pixels]) << v.name << " at " << i;
    }
  };
  std::vector<uint16_t> weights = randomBF16(s.n * s.c * s.kh * s.kw, rng);
  for (uint16_t &w : weights)
    w = static_cast<uint16_t>(w + (124 << 7));
  for (size_t i = 0; i < image.size(); ++i) {
    uint32_t bits = (i % 3 ? 0u : 0x80000000u) | 0x00410000u; // bf16 0x0041, a denormal
    std::memcpy(&image[i], &bits, sizeof(float));
  }
  for (float &b : biases)
    b = widen(randomBF16(1, rng)[0]);
  expectEveryVariant(weights, biases);
  std::fill(image.begin(), image.end(), std::ldexp(1.0f, -63));
  std::fill(weights.begin(), weights.end(), uint16_t(0x1F80)); // 2^-64
  std::fill(biases.begin(), biases.end(), 0.0f);
  expectEveryVariant(weights, biases);
}

// Windows whose taps are shifts of the image (stride 1 with output rows as
// wide as the image's; stride 2 from 2 x 2 with output rows as wide as the
// image's odd or even columns) read their pixel blocks from the (phase)
// planes of channel pairs, with the taps outside the image masked off;
// each thread packs the blocks it computes. Output rows past the image (a
// 1 x 3 window padded by 1), odd and even image sizes, odd channel counts,
// blocks across image rows and a partial last block, slices that start
// inside a pixel block (3 threads); an unpadded 2 x 2 stride-2 window and a
// 17 x 17 window, wider than the masks, which unfold.
TEST(BF16AMXKernel, ShiftedWindowsReadPairPlanes) {
  for (const Variant &v : variants()) {
    if (!v.available)
      continue;
    for (int64_t stride : {1, 2}) {
      checkConv(v, {1, 5, 13, 11, 20, 5, 5, stride, 2, 1}, true);
      checkConv(v, {1, 3, 16, 16, 16, 3, 3, stride, 1, 1}, false);
      checkConv(v, {2, 6, 10, 9, 12, 3, 3, stride, 1, 2}, true);
      checkConv(v, {1, 17, 40, 41, 70, 3, 3, stride, 1, 1}, true, {QC_ACTIVATION_SILU}, 3);
    }
    checkConv(v, {1, 4, 6, 9, 8, 1, 3, 1, 1, 1}, false);
    checkConv(v, {1, 4, 9, 9, 8, 2, 2, 2, 0, 1}, true);
    checkConv(v, {1, 2, 17, 17, 8, 17, 17, 1, 8, 1}, true);
  }
}

TEST(BF16AMXKernel, ConvolutionsWithEpilogues) {
  const Epilogue silu{QC_ACTIVATION_SILU};
  // Scales and shifts that move results across hard-swish's and ReLU's
  // bends; a negative scale after the activation.
  const Epilogue hardSwish{QC_ACTIVATION_HARD_SWISH, 0.25f, 0.5f, -1.5f, 0.125f};
  const Epilogue relu{QC_ACTIVATION_RELU, 1.0f, -0.5f, 1.0f, 0.0f};
  const Epilogue affine{QC_ACTIVATION_NONE, 2.0f, 1.0f, 1.0f, 0.0f};
  for (const Variant &v : variants()) {
    if (!v.available)
      continue;
    for (const Epilogue &e : {silu, hardSwish, relu, affine}) {
      checkConv(v, {1, 16, 9, 9, 40, 3, 3, 1, 1, 1}, true, e);
      checkConv(v, {2, 8, 11, 13, 33, 3, 3, 2, 1, 1}, false, e);
      checkConv(v, {1, 64, 4, 4, 32, 1, 1, 1, 0, 1}, true, e);
    }
  }
}

void checkMatMul(const Variant &variant, int64_t batch, int64_t m, int64_t k, int64_t n) {
  std::mt19937 rng(static_cast<unsigned>(m * 1000 + k * 10 + n));
  std::vector<uint16_t> a = randomBF16(batch * m * k, rng), b = randomBF16(k * n, rng);
  std::vector<uint32_t> pairs(bf16TilePairs(k) * bf16BlockPadded(n));
  runtime::packBF16TilePairs(b.data(), k, n, n, pairs.data());
  std::vector<int64_t> params = {batch, m, k, n, 0, 0};
  std::vector<float> wideA = widened(a), wideB = widened(b);
  std::vector<float> expected(batch * m * n), actual = guardedOutput(expected.size(), n);
  quantc_fmatmul_generic(wideA.data(), wideB.data(), params.data(), expected.data());
  variant.matmul(unrounded(a, rng).data(), pairs.data(), params.data(), actual.data());
  ASSERT_TRUE(guardUntouched(actual, expected.size()))
      << variant.name << " matmul m" << m << " n" << n << " wrote past its output";
  expectClose(expected, actual, k,
              std::string(variant.name) + " matmul " + std::to_string(batch) + "x" +
                  std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n));
}

TEST(BF16AMXKernel, MatMulsMatchTheFloatKernel) {
  for (const Variant &v : variants()) {
    if (!v.available)
      continue;
    // Rows of every remainder of the AVX-512 BF16 passes of 8 (1 to 7).
    for (int64_t m : {1, 2, 3, 12, 13, 16, 31, 33, 70})
      for (int64_t k : {1, 2, 31, 32, 33, 100})
        for (int64_t n : {1, 32, 45, 96})
          checkMatMul(v, 1, m, k, n);
    checkMatMul(v, 3, 5, 64, 40);
  }
}
} // namespace
