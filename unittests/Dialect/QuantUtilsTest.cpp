//===- QuantUtilsTest.cpp - quantization arithmetic ------------*- C++ -*-===//
//
// Properties of the fixed-point helpers on many random cases, against
// independent references (long double arithmetic is exact for products below
// 2^64), and of the quantized-type layouts.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/QuantUtils.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/MLIRContext.h"
#include "gtest/gtest.h"

#include <cfenv>
#include <cmath>
#include <random>

using namespace mlir;
using namespace quantc::qc;

namespace {
constexpr int kCases = 200000;

TEST(FixedPointMultiplier, RepresentsTheScaleToWithinOneUlpOf31Bits) {
  std::mt19937_64 rng(1);
  // The representable range: 31 + shift in [1, 62].
  std::uniform_real_distribution<double> exponent(-31.0, 29.5);
  for (int i = 0; i < kCases; ++i) {
    double real = std::exp2(exponent(rng));
    FailureOr<FixedPointMultiplier> fp = getFixedPointMultiplier(real);
    ASSERT_TRUE(succeeded(fp)) << real;
    EXPECT_GE(fp->multiplier, 1 << 30);
    double represented = std::ldexp(static_cast<double>(fp->multiplier),
                                    -31 - fp->shift);
    EXPECT_LE(std::fabs(represented - real), real * std::ldexp(1.0, -31));
  }
  EXPECT_EQ(getFixedPointMultiplier(0.0)->multiplier, 0);
  EXPECT_TRUE(failed(getFixedPointMultiplier(-1.0)));
  EXPECT_TRUE(failed(getFixedPointMultiplier(std::nan(""))));
  EXPECT_TRUE(failed(getFixedPointMultiplier(std::ldexp(1.0, 40))));
  EXPECT_TRUE(failed(getFixedPointMultiplier(std::ldexp(1.0, -40))));
}

/// value * multiplier * 2^-(31 + shift), exactly, rounded by `mode`.
int64_t referenceRescale(int64_t value, int32_t multiplier, int32_t shift,
                         RoundingMode mode) {
  long double exact = std::ldexp(static_cast<long double>(value) * multiplier,
                                 -31 - shift);
  return mode == RoundingMode::HalfToEven ? std::llrint(exact)
                                          : std::llroundl(exact);
}

TEST(ApplyMultiplier, MatchesExactRounding) {
  ASSERT_EQ(std::fegetround(), FE_TONEAREST);
  std::mt19937_64 rng(2);
  std::uniform_int_distribution<int64_t> values(INT32_MIN, INT32_MAX);
  std::uniform_int_distribution<int32_t> multipliers(1 << 30, INT32_MAX);
  std::uniform_int_distribution<int32_t> shifts(-8, 31);
  for (RoundingMode mode :
       {RoundingMode::HalfToEven, RoundingMode::HalfAwayFromZero})
    for (int i = 0; i < kCases; ++i) {
      int64_t v = values(rng) >> (rng() % 24); // Small values too.
      int32_t m = multipliers(rng), s = shifts(rng);
      if (s < 0 && std::llabs(v) > (int64_t(1) << (31 + s)))
        continue; // Results beyond 32 bits are not requantizations.
      ASSERT_EQ(applyMultiplier(v, m, s, mode), referenceRescale(v, m, s, mode))
          << v << " * " << m << " >> " << 31 + s;
    }
}

TEST(ApplyMultiplier, TiesFollowTheMode) {
  int32_t half = 1 << 30; // 0.5 with shift 0.
  for (int64_t v : {1, 3, 5, -1, -3, -5}) {
    int64_t even = applyMultiplier(v, half, 0, RoundingMode::HalfToEven);
    int64_t away = applyMultiplier(v, half, 0, RoundingMode::HalfAwayFromZero);
    EXPECT_EQ(even % 2, 0) << v;
    EXPECT_EQ(away, v > 0 ? (v + 1) / 2 : (v - 1) / 2) << v;
  }
}

TEST(ApplyMultiplier, DoubleRoundingIsWithinOneOfSingleRounding) {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<int32_t> values(-(1 << 24), 1 << 24);
  std::uniform_int_distribution<int32_t> multipliers(1 << 30, INT32_MAX);
  std::uniform_int_distribution<int32_t> shifts(0, 20);
  for (int i = 0; i < kCases; ++i) {
    int32_t v = values(rng), m = multipliers(rng), s = shifts(rng);
    int64_t twoSteps = applyMultiplier(v, m, s, RoundingMode::DoubleRound);
    int64_t oneStep = applyMultiplier(v, m, s, RoundingMode::HalfAwayFromZero);
    EXPECT_LE(std::llabs(twoSteps - oneStep), 1) << v << " " << m << " " << s;
  }
}

TEST(QuantizeValue, RoundsInFloatAndSaturates) {
  EXPECT_EQ(quantizeValue(0.25f, 0.5, 0, -128, 127, RoundingMode::HalfToEven), 0);
  EXPECT_EQ(quantizeValue(0.75f, 0.5, 0, -128, 127, RoundingMode::HalfToEven), 2);
  EXPECT_EQ(quantizeValue(0.25f, 0.5, 0, -128, 127, RoundingMode::HalfAwayFromZero), 1);
  EXPECT_EQ(quantizeValue(1e9f, 0.5, 3, -128, 127, RoundingMode::HalfToEven), 127);
  EXPECT_EQ(quantizeValue(-1e30f, 0.5, 3, 0, 255, RoundingMode::HalfToEven), 0);
  EXPECT_EQ(quantizeValue(std::nanf(""), 0.5, 3, 0, 255, RoundingMode::HalfToEven), 3);
}

class QuantLayoutTest : public ::testing::Test {
protected:
  QuantLayoutTest() { context.loadDialect<quant::QuantDialect>(); }
  MLIRContext context;
};

TEST_F(QuantLayoutTest, PerAxisBlocksFollowTheAxis) {
  auto i8 = IntegerType::get(&context, 8);
  auto f32 = Float32Type::get(&context);
  auto type = quant::UniformQuantizedPerAxisType::get(
      quant::QuantizationFlags::Signed, i8, f32, {0.5, 0.25, 0.125}, {0, 1, 2},
      /*quantizedDimension=*/1, -128, 127);
  auto layout = QuantLayout::get(RankedTensorType::get({2, 3}, type));
  ASSERT_TRUE(succeeded(layout));
  EXPECT_EQ(layout->blockIndices({2, 3}), (SmallVector<int64_t>{0, 1, 2, 0, 1, 2}));
  EXPECT_EQ(layout->zeroPoints[2], 2);
}

TEST_F(QuantLayoutTest, SubChannelBlocksTileTheTensor) {
  auto i4 = IntegerType::get(&context, 4);
  auto f32 = Float32Type::get(&context);
  auto scales = DenseElementsAttr::get(RankedTensorType::get({2, 2}, f32),
                                       ArrayRef<float>{1, 2, 3, 4});
  auto zeros = DenseElementsAttr::get(RankedTensorType::get({2, 2}, i4),
                                      ArrayRef<APInt>{APInt(4, 8), APInt(4, 0),
                                                      APInt(4, 15), APInt(4, 1)});
  int32_t dims[] = {0, 1};
  int64_t sizes[] = {1, 2};
  auto type = quant::UniformQuantizedSubChannelType::get(
      /*flags=*/0, i4, f32, scales, zeros, dims, sizes, 0, 15);
  auto layout = QuantLayout::get(RankedTensorType::get({2, 4}, type));
  ASSERT_TRUE(succeeded(layout));
  EXPECT_EQ(layout->blockIndices({2, 4}),
            (SmallVector<int64_t>{0, 0, 1, 1, 2, 2, 3, 3}));
  // Unsigned 4-bit zero points read as 8 and 15, not -8 and -1.
  EXPECT_EQ(layout->zeroPoints, (SmallVector<int64_t>{8, 0, 15, 1}));
  EXPECT_EQ(layout->scales[3], 4.0);
}
} // namespace
