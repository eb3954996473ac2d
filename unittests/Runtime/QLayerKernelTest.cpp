//===- QLayerKernelTest.cpp - integer layer kernels, every variant -*- C++ -*-===//
//
// Each instruction-set variant of quantc_qlayer against a plain reference
// (sums in i64, qc::applyMultiplier), on layers chosen to reach the kernels'
// special paths: depthwise windows of several sizes, strides and dilations,
// rows of every width modulo 16, reductions around multiples of 64 (the AMX
// tail), row and channel counts around multiples of 16 and 32 (AMX blocks),
// and multipliers of exactly one half, whose odd accumulators are rounding
// ties. The AMX path runs on the CPU's tiles where it has them and on the
// scalar tile model everywhere.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"
#include "quantc/Dialect/QC/QuantUtils.h"
#include "quantc/Runtime/Microkernels.h"
#include "gtest/gtest.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

extern "C" void quantc_artifact_set_num_threads(int32_t threads);

using namespace quantc;

namespace {
using QLayerFn = void (*)(const void *, const int8_t *, const int32_t *, const int32_t *,
                          const int32_t *, const int64_t *, void *);

struct Variant {
  const char *name;
  QLayerFn fn;
  bool available;
};

std::vector<Variant> variants() {
  return {{"generic", quantc_qlayer_generic, true},
          {"avx2", quantc_qlayer_avx2, __builtin_cpu_supports("avx2") != 0},
          {"avx512vnni", quantc_qlayer_avx512vnni,
           __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw")},
          {"amx", kernels::qlayerAMX, kernels::hasAMX()},
          {"amx tile model", kernels::qlayerTileModel, true}};
}

/// Says once, in the test log, whether the CPU's tiles were tested.
[[maybe_unused]] const bool kAMXNotice = [] {
  if (!kernels::hasAMX())
    std::fprintf(stderr, "note: no AMX-INT8 here (or QUANTC_AMX=0): the AMX kernels run "
                         "only on the tile model\n");
  return true;
}();

constexpr qc::RoundingMode kRoundings[] = {
    qc::RoundingMode::HalfToEven, qc::RoundingMode::HalfAwayFromZero,
    qc::RoundingMode::DoubleRound, qc::RoundingMode::HalfUp};

/// A convolution (NCHW, s8 activations and weights) with its packed weights
/// and the expected requantized output.
struct Conv {
  int64_t c, h, w, n, kh, kw, stride, dilation, pad, groups;
  bool unsignedInput = false;
  int64_t oh() const { return (h + 2 * pad - dilation * (kh - 1) - 1) / stride + 1; }
  int64_t ow() const { return (w + 2 * pad - dilation * (kw - 1) - 1) / stride + 1; }
  int64_t k() const { return c / groups * kh * kw; }
  int64_t paddedK() const { return (k() + 3) / 4 * 4; }
  std::string str() const {
    return std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w) + " -> " +
           std::to_string(n) + ", " + std::to_string(kh) + "x" + std::to_string(kw) + " s" +
           std::to_string(stride) + " d" + std::to_string(dilation) + " p" +
           std::to_string(pad) + " g" + std::to_string(groups) + (unsignedInput ? " u8" : " s8");
  }
};

/// The stored activations are bytes; the kernels compute with their s8
/// view, value - 128 for u8 inputs.
struct Case {
  std::vector<uint8_t> input;
  std::vector<int8_t> weights, packed;
  std::vector<int32_t> bias, multiplier, shift;
  uint8_t padValue;
  bool unsignedInput;
  int64_t view(uint8_t stored) const {
    return unsignedInput ? int64_t(stored) - 128 : int64_t(static_cast<int8_t>(stored));
  }
  int64_t zeroPoint = 3, lo = -128, hi = 127;
};

/// Requantization shifts drawn from [first, last].
struct ShiftRange {
  int first = 4, last = 9;
};

Case makeCase(const Conv &conv, bool halves, ShiftRange shifts, std::mt19937 &rng) {
  std::uniform_int_distribution<int> byte(-128, 127), small(-3000, 3000);
  std::uniform_int_distribution<int32_t> mantissa(1 << 30, INT32_MAX);
  Case test;
  test.unsignedInput = conv.unsignedInput;
  test.padValue = static_cast<uint8_t>(byte(rng));
  for (int64_t i = 0; i < conv.c * conv.h * conv.w; ++i)
    test.input.push_back(static_cast<uint8_t>(byte(rng)));
  // The slack rows the kernels may read, filled with noise they must not use.
  test.packed.assign((conv.n + QC_CONV_WEIGHT_SLACK_ROWS) * conv.paddedK() +
                         QC_CONV_WEIGHT_SLACK_BYTES,
                     0);
  for (int8_t &slack : test.packed)
    slack = static_cast<int8_t>(byte(rng));
  for (int64_t o = 0; o < conv.n; ++o) {
    for (int64_t t = 0; t < conv.k(); ++t) {
      auto weight = static_cast<int8_t>(byte(rng));
      test.weights.push_back(weight);
      test.packed[o * conv.paddedK() + t] = static_cast<int8_t>(weight ^ 0x80);
    }
    test.bias.push_back(small(rng));
    // One half (2^30 * 2^-31): every odd accumulator is a tie.
    test.multiplier.push_back(halves ? 1 << 30 : mantissa(rng));
    test.shift.push_back(
        halves ? 0 : std::uniform_int_distribution<int>(shifts.first, shifts.last)(rng));
  }
  return test;
}

int64_t expected(const Conv &conv, const Case &test, qc::RoundingMode mode, int64_t o,
                 int64_t oy, int64_t ox) {
  int64_t perGroup = conv.c / conv.groups, group = o / (conv.n / conv.groups);
  int64_t acc = test.bias[o];
  for (int64_t ci = 0; ci < perGroup; ++ci)
    for (int64_t ky = 0; ky < conv.kh; ++ky)
      for (int64_t kx = 0; kx < conv.kw; ++kx) {
        int64_t iy = oy * conv.stride - conv.pad + ky * conv.dilation;
        int64_t ix = ox * conv.stride - conv.pad + kx * conv.dilation;
        bool inside = iy >= 0 && iy < conv.h && ix >= 0 && ix < conv.w;
        int64_t channel = group * perGroup + ci;
        int64_t x = test.view(inside ? test.input[(channel * conv.h + iy) * conv.w + ix]
                                     : test.padValue);
        acc += x * test.weights[o * conv.k() + (ci * conv.kh + ky) * conv.kw + kx];
      }
  int64_t y = qc::applyMultiplier(acc, test.multiplier[o], test.shift[o], mode);
  return std::clamp(y + test.zeroPoint, test.lo, test.hi);
}

/// Appends a random QC_QLAYER_LOOKUP table to `bias` (64 words) and
/// returns its 256 bytes.
std::vector<uint8_t> appendLookupTable(std::vector<int32_t> &bias, std::mt19937 &rng) {
  std::vector<uint8_t> table(256);
  for (uint8_t &entry : table)
    entry = static_cast<uint8_t>(rng());
  size_t n = bias.size();
  bias.resize(n + 64);
  std::memcpy(bias.data() + n, table.data(), table.size());
  return table;
}

/// The stored s8 value `want` looked up in `table`, where there is one.
int64_t lookedUp(const std::vector<uint8_t> &table, int64_t want) {
  return table.empty() ? want : static_cast<int8_t>(table[static_cast<uint8_t>(want)]);
}

/// Checks every variant on `conv`; `lookup` fuses a random table.
void checkConv(const Conv &conv, bool halves, ShiftRange shifts = {}, bool lookup = false) {
  std::mt19937 rng(static_cast<unsigned>(conv.c * 131 + conv.w * 7 + conv.kw));
  Case test = makeCase(conv, halves, shifts, rng);
  std::vector<int32_t> bias = test.bias;
  std::vector<uint8_t> table;
  if (lookup)
    table = appendLookupTable(bias, rng);
  std::vector<int64_t> params(QC_QLAYER_NUM_PARAMS, 0);
  params[QC_QLAYER_LOOKUP] = lookup;
  params[QC_QLAYER_KIND] = 1;
  params[QC_QLAYER_M] = 1;
  params[QC_QLAYER_N] = conv.n;
  params[QC_QLAYER_K] = conv.k();
  params[QC_QLAYER_INPUT_UNSIGNED] = conv.unsignedInput;
  params[QC_QLAYER_OUTPUT] = 1;
  params[QC_QLAYER_OUTPUT_ZERO_POINT] = test.zeroPoint;
  params[QC_QLAYER_CLAMP_MIN] = test.lo;
  params[QC_QLAYER_CLAMP_MAX] = test.hi;
  params[QC_QLAYER_PER_CHANNEL] = 1;
  params[QC_QLAYER_C] = conv.c;
  params[QC_QLAYER_H] = conv.h;
  params[QC_QLAYER_W] = conv.w;
  params[QC_QLAYER_KH] = conv.kh;
  params[QC_QLAYER_KW] = conv.kw;
  params[QC_QLAYER_STRIDE_H] = params[QC_QLAYER_STRIDE_W] = conv.stride;
  params[QC_QLAYER_DILATION_H] = params[QC_QLAYER_DILATION_W] = conv.dilation;
  params[QC_QLAYER_PAD_TOP] = params[QC_QLAYER_PAD_LEFT] = conv.pad;
  params[QC_QLAYER_OH] = conv.oh();
  params[QC_QLAYER_OW] = conv.ow();
  params[QC_QLAYER_PAD_VALUE] = test.padValue;
  params[QC_QLAYER_GROUP] = conv.groups;
  for (qc::RoundingMode mode : kRoundings) {
    params[QC_QLAYER_ROUNDING] = static_cast<int64_t>(mode);
    for (const Variant &variant : variants()) {
      if (!variant.available)
        continue;
      std::vector<int8_t> output(conv.n * conv.oh() * conv.ow(), 0);
      variant.fn(test.input.data(), test.packed.data(), bias.data(), test.multiplier.data(),
                 test.shift.data(), params.data(), output.data());
      int mismatches = 0;
      for (int64_t o = 0; o < conv.n; ++o)
        for (int64_t oy = 0; oy < conv.oh(); ++oy)
          for (int64_t ox = 0; ox < conv.ow(); ++ox) {
            int64_t want = lookedUp(table, expected(conv, test, mode, o, oy, ox));
            int64_t got = output[(o * conv.oh() + oy) * conv.ow() + ox];
            if (want != got && ++mismatches <= 3)
              ADD_FAILURE() << variant.name << " " << conv.str() << " rounding "
                            << static_cast<int>(mode) << " at (" << o << ", " << oy << ", "
                            << ox << "): " << got << " instead of " << want;
          }
    }
  }
}

TEST(QLayerKernels, DepthwiseWindowsStridesAndWidths) {
  for (bool unsignedInput : {false, true})
    for (int64_t w : {5, 16, 17, 40, 63, 80})
      for (auto [k, stride, dilation] : {std::tuple{3, 1, 1}, {3, 2, 1}, {5, 1, 1}, {5, 2, 1},
                                         {3, 1, 2}, {1, 1, 1}, {7, 1, 1}, {9, 1, 1}})
        checkConv({/*c=*/6, /*h=*/7, w, /*n=*/6, k, k, stride, dilation,
                   /*pad=*/k / 2 * dilation, /*groups=*/6, unsignedInput},
                  /*halves=*/false);
}

// Planes past 2048 pixels take the epilogue in several calls; two threads
// share the channels, each with its own copy of the row kernel's taps.
TEST(QLayerKernels, DepthwisePlanesOfSeveralEpilogueCalls) {
  checkConv({/*c=*/4, /*h=*/70, /*w=*/61, /*n=*/4, 3, 3, 1, 1, 1, /*groups=*/4, false},
            /*halves=*/false);
  quantc_artifact_set_num_threads(2);
  checkConv({/*c=*/32, /*h=*/96, /*w=*/40, /*n=*/32, 5, 5, 1, 1, 2, /*groups=*/32, true},
            /*halves=*/false);
  quantc_artifact_set_num_threads(1);
}

// A thread keeps a depthwise plane's padding while the plane's layout stays:
// a layer of the same plane and pad value but one image row fewer (stride
// 2, 8 then 7 rows) must pad the row the last image filled.
TEST(QLayerKernels, DepthwisePlanesRepadWhenTheImageShrinks) {
  for (int64_t h : {8, 7})
    checkConv({6, h, 9, 6, 3, 3, 2, 1, 1, 6, false}, /*halves=*/false);
}

// Windows whose taps are shifts of the image (stride 1, output rows as wide
// as the image's) are packed straight from it on AVX-512 VNNI: output rows
// past the image's (a 1 x 3 window padded by a row above and below), 5 x 5
// and 7 x 7 windows over several panels and a partial one, a group of two,
// and a 17 x 17 window, past the tile's masks (unfolded instead).
TEST(QLayerKernels, WindowsThatShiftTheImage) {
  for (bool unsignedInput : {false, true}) {
    checkConv({6, 7, 30, 20, 1, 3, 1, 1, 1, 1, unsignedInput}, /*halves=*/false);
    checkConv({5, 11, 13, 18, 5, 5, 1, 1, 2, 1, unsignedInput}, /*halves=*/false);
    checkConv({4, 9, 9, 8, 7, 7, 1, 1, 3, 2, unsignedInput}, /*halves=*/false);
    checkConv({2, 20, 19, 8, 17, 17, 1, 1, 8, 1, unsignedInput}, /*halves=*/false);
  }
}

// Windows of stride 2 read the image's four phase planes (even and odd rows
// and columns), copied out once, as shifts on AVX-512 VNNI: odd and even
// image sizes (a last odd row and column of no plane), windows of 2 x 2 to
// 5 x 5 with padding before and after the image, several panels and a
// partial one, a group of two; and windows that keep unfolding: unpadded
// 3 x 3 (output rows narrower than the planes) and 17 x 17.
TEST(QLayerKernels, StrideTwoWindowsReadPhasePlanes) {
  for (bool unsignedInput : {false, true}) {
    checkConv({3, 31, 33, 16, 3, 3, 2, 1, 1, 1, unsignedInput}, /*halves=*/false);
    checkConv({8, 12, 20, 12, 3, 3, 2, 1, 1, 2, unsignedInput}, /*halves=*/false);
    checkConv({5, 10, 11, 8, 2, 2, 2, 1, 0, 1, unsignedInput}, /*halves=*/false);
    checkConv({4, 13, 9, 8, 4, 4, 2, 1, 1, 1, unsignedInput}, /*halves=*/false);
    checkConv({6, 9, 14, 20, 5, 5, 2, 1, 2, 1, unsignedInput}, /*halves=*/false);
    checkConv({4, 20, 20, 8, 3, 3, 2, 1, 0, 1, unsignedInput}, /*halves=*/false);
    checkConv({2, 40, 37, 8, 17, 17, 2, 1, 8, 1, unsignedInput}, /*halves=*/false);
  }
}


TEST(QLayerKernels, RequantizationTiesRoundAsTheModeSays) {
  checkConv({6, 5, 33, 6, 3, 3, 1, 1, 1, 6}, /*halves=*/true);
  checkConv({8, 5, 21, 24, 3, 3, 1, 1, 1, 1}, /*halves=*/true);
}

// Pixel counts below, at and above one 64-pixel panel; 1 x 1 windows of
// stride 1 read the image directly, K of 5, 6 and 7 pads the last group of 4.
TEST(QLayerKernels, GeneralAndGroupedConvolutions) {
  for (bool unsignedInput : {false, true}) {
    checkConv({8, 9, 19, 70, 3, 3, 1, 1, 1, 1, unsignedInput}, false);
    checkConv({12, 9, 23, 6, 3, 3, 2, 1, 1, 3, unsignedInput}, false);
    for (int64_t c : {5, 6, 7, 16})
      for (auto [h, w] : {std::pair{8, 8}, {5, 7}, {9, 15}})
        checkConv({c, h, w, 32, 1, 1, 1, 1, 0, 1, unsignedInput}, false);
    checkConv({16, 9, 15, 20, 1, 1, 2, 1, 0, 1, unsignedInput}, false);
  }
}

/// A matmul of M x K activations (bytes, u8 view: s8 + 128) by K x N s8
/// weights in the packed panels: out = requantize(bias + sum of products).
/// Input and weight bytes from [lowestByte, 127], shifts from [lowestShift,
/// lowestShift + 6].
void checkGemm(int64_t m, int64_t k, int64_t n, bool unsignedInput, int lowestByte = -128,
               int lowestShift = 8, bool lookup = false) {
  std::mt19937 rng(static_cast<unsigned>(m * 1000003 + k * 1009 + n));
  std::uniform_int_distribution<int> byte(lowestByte, 127), small(-30000, 30000);
  int64_t kp = (k + 3) / 4 * 4, panels = (n + QC_PANEL_COLUMNS - 1) / QC_PANEL_COLUMNS;
  std::vector<uint8_t> input(m * k);
  for (uint8_t &x : input)
    x = static_cast<uint8_t>(byte(rng));
  std::vector<int8_t> weights(k * n), packed(panels * kp * QC_PANEL_COLUMNS, 0);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < n; ++j) {
      weights[i * n + j] = static_cast<int8_t>(byte(rng));
      packed[(j / QC_PANEL_COLUMNS * kp + i / 4 * 4) * QC_PANEL_COLUMNS +
             j % QC_PANEL_COLUMNS * 4 + i % 4] = weights[i * n + j];
    }
  std::vector<int32_t> bias(n), multiplier(n), shift(n);
  for (int64_t j = 0; j < n; ++j) {
    bias[j] = small(rng);
    multiplier[j] = std::uniform_int_distribution<int32_t>(1 << 30, INT32_MAX)(rng);
    shift[j] = std::uniform_int_distribution<int>(lowestShift, lowestShift + 6)(rng);
  }
  std::vector<uint8_t> table;
  if (lookup)
    table = appendLookupTable(bias, rng);
  std::vector<int64_t> params(QC_QLAYER_NUM_PARAMS, 0);
  params[QC_QLAYER_LOOKUP] = lookup;
  params[QC_QLAYER_M] = m;
  params[QC_QLAYER_N] = n;
  params[QC_QLAYER_K] = k;
  params[QC_QLAYER_INPUT_UNSIGNED] = unsignedInput;
  params[QC_QLAYER_OUTPUT] = 1;
  params[QC_QLAYER_OUTPUT_ZERO_POINT] = -5;
  params[QC_QLAYER_CLAMP_MIN] = -128;
  params[QC_QLAYER_CLAMP_MAX] = 127;
  params[QC_QLAYER_PER_CHANNEL] = 1;
  std::string shape = std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n) +
                      (unsignedInput ? " u8" : " s8");
  for (qc::RoundingMode mode : {qc::RoundingMode::HalfToEven, qc::RoundingMode::DoubleRound}) {
    params[QC_QLAYER_ROUNDING] = static_cast<int64_t>(mode);
    for (const Variant &variant : variants()) {
      if (!variant.available)
        continue;
      std::vector<int8_t> output(m * n, 0);
      variant.fn(input.data(), packed.data(), bias.data(), multiplier.data(), shift.data(),
                 params.data(), output.data());
      int mismatches = 0;
      for (int64_t r = 0; r < m; ++r)
        for (int64_t j = 0; j < n; ++j) {
          int64_t acc = bias[j];
          for (int64_t i = 0; i < k; ++i) {
            int64_t x = unsignedInput ? input[r * k + i] : input[r * k + i] ^ 0x80;
            acc += x * weights[i * n + j];
          }
          int64_t want = lookedUp(table, std::clamp<int64_t>(qc::applyMultiplier(acc, multiplier[j],
                                                                     shift[j], mode) -
                                                                 5,
                                                             -128, 127));
          if (want != output[r * n + j] && ++mismatches <= 3)
            ADD_FAILURE() << variant.name << " " << shape << " at (" << r << ", " << j
                          << "): " << int(output[r * n + j]) << " instead of " << want;
        }
    }
  }
}

// Rows around the 16- and 32-row AMX blocks, reductions around its 64-step
// tiles (a tail of 4 to 60 steps, or none), columns past one panel.
TEST(QLayerKernels, MatmulRowsReductionsAndColumns) {
  for (int64_t m : {1, 5, 8, 16, 17, 31, 32, 33, 70})
    for (int64_t k : {4, 60, 64, 68, 200, 256})
      checkGemm(m, k, m % 2 ? 100 : 64, m % 3 == 0);
  checkGemm(40, 1000, 130, false);
  // Packed weights past kHugePageMinBytes: the AMX path reads a huge-page
  // copy, made on the first call and reused by the next.
  checkGemm(48, 1030, 260, true);
}

// Accumulators past 2^22 (bytes of one sign, K = 512): the vector epilogue
// leaves its double-precision path for the 64-bit one.
TEST(QLayerKernels, AccumulatorsPastTheExactDoubleRange) {
  checkGemm(20, 512, 70, false, /*lowestByte=*/120, /*lowestShift=*/16);
  checkGemm(33, 512, 64, true, /*lowestByte=*/120, /*lowestShift=*/16);
}

// Negative shifts scale accumulators up, past what the epilogues' path in
// doubles converts back to i32: they take the integer path, and clamp. A
// convolution's epilogue has one channel per row, a matmul's one per lane.
TEST(QLayerKernels, NegativeShiftsScaleUp) {
  for (int64_t groups : {1, 6})
    checkConv({6, 5, 33, 12, 3, 3, 1, 1, 1, groups}, /*halves=*/false,
              ShiftRange{-16, -10});
  checkGemm(20, 64, 70, false, /*lowestByte=*/-128, /*lowestShift=*/-16);
}

// A byte table fused into the layer (QC_QLAYER_LOOKUP) maps every stored
// output byte: vector epilogues of convolutions (several panels and a
// partial one), depthwise planes, stride-2 windows and matmuls; the rounding
// modes include double_round, whose epilogue is scalar.
TEST(QLayerKernels, FusedLookupTablesMapTheStoredBytes) {
  for (bool unsignedInput : {false, true}) {
    checkConv({8, 9, 19, 70, 3, 3, 1, 1, 1, 1, unsignedInput}, false, {}, /*lookup=*/true);
    checkConv({6, 7, 40, 6, 3, 3, 1, 1, 1, 6, unsignedInput}, false, {}, /*lookup=*/true);
    checkConv({4, 12, 20, 12, 3, 3, 2, 1, 1, 1, unsignedInput}, false, {}, /*lookup=*/true);
  }
  checkGemm(33, 200, 100, false, -128, 8, /*lookup=*/true);
  checkGemm(5, 64, 70, true, -128, 8, /*lookup=*/true);
}

TEST(QLayerKernels, HugePageCopiesEqualTheirSourceAndAreReused) {
  std::vector<int8_t> small(1000, 3), large(kernels::kHugePageMinBytes + 100);
  for (size_t i = 0; i < large.size(); ++i)
    large[i] = static_cast<int8_t>(i * 7);
  EXPECT_EQ(kernels::hugePageCopy(small.data(), small.size()), small.data());
  const int8_t *copy = kernels::hugePageCopy(large.data(), large.size());
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(std::memcmp(copy, large.data(), large.size()), 0);
  EXPECT_EQ(kernels::hugePageCopy(large.data(), large.size()), copy);
}

// Output channels around the AMX blocks (weights as tile rows, reading the
// packed slack), reductions with and without a tail.
TEST(QLayerKernels, ConvolutionChannelBlocks) {
  for (int64_t n : {8, 16, 17, 32, 33, 48, 70})
    for (int64_t c : {7, 16, 24})
      checkConv({c, 9, 11, n, 3, 3, 1, 1, 1, 1, c == 7}, false);
  checkConv({64, 6, 6, 40, 1, 1, 1, 1, 0, 1}, false);
  checkConv({32, 7, 9, 48, 3, 3, 1, 1, 1, 2}, false);
}

// Stride-2 windows over rows wider than 128 bytes (the every-other-byte
// copy in several 64-byte steps and a tail), with and without padding.
TEST(QLayerKernels, StrideTwoRowsOfEveryWidth) {
  checkConv({8, 9, 301, 16, 3, 3, 2, 1, 1, 1}, false);
  checkConv({4, 7, 258, 8, 3, 3, 2, 1, 0, 1}, true);
  checkConv({4, 5, 129, 8, 1, 1, 2, 1, 0, 1}, false);
}

// Images large enough for two threads: from 8 panels, each thread packs
// the panels it multiplies (after the phase planes or the unfolding, split
// over the threads); below, the threads pack every panel first, then share
// the blocks of channels and panels.
TEST(QLayerKernels, ImagesPackedByTwoThreads) {
  quantc_artifact_set_num_threads(2);
  checkConv({32, 32, 33, 40, 3, 3, 1, 1, 1, 1}, false);
  checkConv({16, 130, 128, 24, 3, 3, 2, 1, 1, 1}, false);
  checkConv({16, 40, 40, 24, 3, 3, 1, 2, 2, 1}, false);
  checkConv({32, 16, 16, 40, 3, 3, 1, 1, 1, 1}, false);
  checkConv({32, 16, 16, 40, 3, 3, 1, 2, 2, 1}, true);
  quantc_artifact_set_num_threads(1);
}
} // namespace
