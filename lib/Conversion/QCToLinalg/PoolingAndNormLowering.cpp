//===- PoolingAndNormLowering.cpp - pools, norms, softmax, reduce -*- C++ -*-===//
//
// Window and axis reductions become linalg.generic ops with reduction
// iterators, in the evaluator's order and accumulator precision (f64 where it
// sums in double), so quantized models whose float islands feed a quantize
// agree bit for bit.
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "PoolingWindow.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace quantc;
using namespace quantc::conversion;

namespace {
/// Reduces `input` over `reduced` dims into a tensor of `accType` elements
/// without them, starting from `init`; `combine(acc, x)` folds one element.
Value reduceDims(OpBuilder &b, Location loc, Value input,
                 ArrayRef<bool> reduced, Type accType, TypedAttr init,
                 function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> kept;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    iterators.push_back(reduced[d] ? utils::IteratorType::reduction
                                   : utils::IteratorType::parallel);
    if (!reduced[d]) {
      kept.push_back(type.getDimSize(d));
      outExprs.push_back(getAffineDimExpr(d, b.getContext()));
    }
  }
  auto outType = RankedTensorType::get(kept, accType);
  Value acc = filledTensor(b, loc, outType, init);
  SmallVector<AffineMap> maps = {
      b.getMultiDimIdentityMap(rank),
      AffineMap::get(rank, 0, outExprs, b.getContext())};
  return linalg::GenericOp::create(
             b, loc, outType, input, acc, maps, iterators,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, combine(nb, l, args[1], args[0]));
             })
      .getResult(0);
}

/// The map reading a reduced tensor (dims in `reduced` dropped) from the
/// iteration space of the full tensor.
AffineMap reducedMap(ArrayRef<bool> reduced, MLIRContext *ctx) {
  SmallVector<AffineExpr> exprs;
  for (size_t d = 0; d < reduced.size(); ++d)
    if (!reduced[d])
      exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(reduced.size(), 0, exprs, ctx);
}

/// acc + x, x widened to acc's type, with `flags`.
Value addFWith(OpBuilder &b, Location l, Value acc, Value x, arith::FastMathFlags flags) {
  if (acc.getType() != x.getType())
    x = arith::ExtFOp::create(b, l, acc.getType(), x);
  return arith::AddFOp::create(b, l, acc, x, flags);
}
Value addF(OpBuilder &b, Location l, Value acc, Value x) {
  return addFWith(b, l, acc, x, arith::FastMathFlags::none);
}
/// addF whose sums LLVM may reorder (and so vectorize): only where every
/// order gives the same bits (sumsExactlyInAnyOrder).
Value reassociableAddF(OpBuilder &b, Location l, Value acc, Value x) {
  return addFWith(b, l, acc, x, arith::FastMathFlags::reassoc);
}

/// Whether `count`-term f64 sums of the planes of `input` (reduced over
/// every dim past the channels) are exact in any order: `input` is a
/// dequantized tensor of w-bit integers, one scale s per plane (per tensor
/// or per channel), so each term is an f32 product k * s with |k| <= 2^w,
/// a multiple of 2^(e - 24) (e: the exponent of s) below 2^(e + w + 1) in
/// magnitude, and every partial sum is a multiple of 2^(e - 24) below
/// count * 2^(e + w + 1): it fits a double's 53 bits while count <=
/// 2^(28 - w), and no addition rounds.
bool sumsExactlyInAnyOrder(Value input, int64_t count) {
  auto dequantize = input.getDefiningOp<qc::DequantizeOp>();
  if (!dequantize)
    return false;
  Type element = getElementTypeOrSelf(dequantize.getInput().getType());
  if (!isa<quant::UniformQuantizedType, quant::UniformQuantizedPerAxisType>(element) ||
      !getElementTypeOrSelf(input.getType()).isF32())
    return false;
  if (auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(element);
      perAxis && perAxis.getQuantizedDimension() != 1)
    return false;
  unsigned width = cast<quant::QuantizedType>(element).getStorageTypeIntegralWidth();
  return width <= 16 && count <= (int64_t(1) << (28 - width));
}

Value mulF(OpBuilder &b, Location l, Value acc, Value x) {
  if (acc.getType() != x.getType())
    x = arith::ExtFOp::create(b, l, acc.getType(), x);
  return arith::MulFOp::create(b, l, acc, x);
}

Value maxF(OpBuilder &b, Location l, Value acc, Value x) {
  if (acc.getType() != x.getType())
    x = arith::ExtFOp::create(b, l, acc.getType(), x);
  Value less = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, acc, x);
  return arith::SelectOp::create(b, l, less, x, acc);
}
/// The row maximum a softmax subtracts: as maxF, but NaN-propagating
/// (`llvm.maximum`, whose reductions LLVM vectorizes; compare-and-select
/// ones stay scalar). The softmax is the same either way: a NaN in a row
/// makes the whole row NaN through its sum, and a maximum of -0 or +0
/// subtracts alike.
Value rowMaxF(OpBuilder &b, Location l, Value acc, Value x) {
  return arith::MaximumFOp::create(b, l, acc, x);
}
Value minF(OpBuilder &b, Location l, Value acc, Value x) {
  if (acc.getType() != x.getType())
    x = arith::ExtFOp::create(b, l, acc.getType(), x);
  Value less = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x, acc);
  return arith::SelectOp::create(b, l, less, x, acc);
}

/// Folds every window of the padded `input` into `init` with `combine`.
Value poolWindows(OpBuilder &b, Location loc, Value padded, const Window &w,
                  Value init, function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  Type element = cast<RankedTensorType>(padded.getType()).getElementType();
  Value windowShape = tensor::EmptyOp::create(b, loc, w.kernel, element);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{padded, windowShape}, init,
             windowMaps(w, b.getContext()), windowIterators(w),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, combine(nb, l, args[2], args[0]));
             })
      .getResult(0);
}


struct MaxPoolLowering : OpConversionPattern<qc::MaxPoolOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::MaxPoolOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    Window w = getWindow(op, op.getDilations());
    Type element = type.getElementType();
    // Like the other ops, generated code computes on signless integers only.
    if (isa<IntegerType>(element) && !element.isSignlessInteger())
      return rewriter.notifyMatchFailure(op, "unsigned integer tensor");
    bool isUnsigned = isUnsignedStorage(op.getType());
    TypedAttr lowest;
    if (isa<FloatType>(element))
      lowest = rewriter.getFloatAttr(element, -std::numeric_limits<float>::infinity());
    else
      lowest = rewriter.getIntegerAttr(
          element, isUnsigned ? 0 : APInt::getSignedMinValue(element.getIntOrFloatBitWidth()).getSExtValue());
    Value padValue = arith::ConstantOp::create(rewriter, loc, lowest);
    Value padded = padTensor(rewriter, loc, adaptor.getInput(),
                             fullPads(w.padLow), fullPads(w.padHigh), padValue);
    Value init = filledTensor(rewriter, loc, type, lowest);
    Value result = poolWindows(
        rewriter, loc, padded, w, init,
        [&](OpBuilder &b, Location l, Value acc, Value x) -> Value {
          if (isa<FloatType>(element))
            return maxF(b, l, acc, x);
          if (isUnsigned)
            return arith::MaxUIOp::create(b, l, acc, x);
          return arith::MaxSIOp::create(b, l, acc, x);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Number of in-bounds positions of each window along one dim, for every
/// output position; `lo`/`hi` bound the positions that count.
SmallVector<int64_t> windowCounts(int64_t outSize, int64_t kernel, int64_t stride,
                                  int64_t dilation, int64_t padLow, int64_t lo, int64_t hi) {
  SmallVector<int64_t> counts(outSize, 0);
  for (int64_t o = 0; o < outSize; ++o)
    for (int64_t k = 0; k < kernel; ++k) {
      int64_t i = o * stride - padLow + k * dilation;
      counts[o] += i >= lo && i < hi;
    }
  return counts;
}

struct AvgPoolLowering : OpConversionPattern<qc::AvgPoolOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::AvgPoolOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    if (!type.getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "f32 only");
    Window w = getWindow(op, op.getDilations());
    auto inShape = cast<ShapedType>(op.getInput().getType()).getShape();
    Value zero = constantF32(rewriter, loc, 0.0f);
    Value padded = padTensor(rewriter, loc, adaptor.getInput(),
                             fullPads(w.padLow), fullPads(w.padHigh), zero);
    Value init = filledTensor(rewriter, loc, type, rewriter.getF32FloatAttr(0));
    Value sums = poolWindows(rewriter, loc, padded, w, init, addF);
    // Divisors depend only on the output position: a compile-time table.
    // With count_include_pad every tap counts, also those a ceil-mode window
    // reaches past the padding (as ONNX Runtime and ONNX's tests do).
    bool includePad = op.getCountIncludePad();
    SmallVector<SmallVector<int64_t>> perDim;
    for (int64_t i = 0; i < w.spatial; ++i) {
      int64_t size = inShape[i + 2];
      int64_t lo = includePad ? std::numeric_limits<int64_t>::min() : 0;
      int64_t hi = includePad ? std::numeric_limits<int64_t>::max() : size;
      perDim.push_back(windowCounts(type.getDimSize(i + 2), w.kernel[i], w.strides[i],
                                    w.dilations[i], w.padLow[i], lo, hi));
    }
    SmallVector<int64_t> countShape(type.getShape().drop_front(2));
    // A window's count is the product of its per-dimension counts, over the
    // output positions in row-major order.
    SmallVector<float> counts = {1.0f};
    for (ArrayRef<int64_t> dim : perDim) {
      SmallVector<float> next;
      for (float c : counts)
        for (int64_t n : dim)
          next.push_back(c * n);
      counts = std::move(next);
    }
    auto countType = RankedTensorType::get(countShape, rewriter.getF32Type());
    Value countTensor = arith::ConstantOp::create(
        rewriter, loc, DenseFPElementsAttr::get(countType, ArrayRef(counts)));
    int64_t rank = type.getRank();
    SmallVector<AffineExpr> countExprs;
    for (int64_t i = 2; i < rank; ++i)
      countExprs.push_back(getAffineDimExpr(i, getContext()));
    Value result = buildElementwise(
        rewriter, loc, type, {sums, countTensor},
        {rewriter.getMultiDimIdentityMap(rank),
         AffineMap::get(rank, 0, countExprs, getContext())},
        [](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value zeroCount = arith::CmpFOp::create(
              b, l, arith::CmpFPredicate::OEQ, args[1], constantF32(b, l, 0));
          Value q = arith::DivFOp::create(b, l, args[0], args[1]);
          return arith::SelectOp::create(b, l, zeroCount, constantF32(b, l, 0), q);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Reshapes a reduced tensor (reduced dims dropped) back to `type`, whose
/// reduced dims are 1.
Value keepDims(OpBuilder &b, Location loc, Value reducedValue,
               RankedTensorType type, ArrayRef<bool> reduced) {
  auto reducedType = cast<RankedTensorType>(reducedValue.getType());
  if (reducedType.getRank() == type.getRank())
    return reducedValue;
  if (reducedType.getRank() == 0)
    return tensor::ExpandShapeOp::create(b, loc, type, reducedValue,
                                         SmallVector<ReassociationIndices>{});
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices pending;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    pending.push_back(d);
    if (!reduced[d]) {
      groups.push_back(pending);
      pending.clear();
    }
  }
  if (!pending.empty())
    groups.back().append(pending.begin(), pending.end());
  return tensor::ExpandShapeOp::create(b, loc, type, reducedValue, groups);
}

template <typename OpTy>
struct GlobalPoolLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    SmallVector<bool> reduced(inType.getRank(), true);
    reduced[0] = reduced[1] = false;
    constexpr bool isMax = std::is_same_v<OpTy, qc::GlobalMaxPoolOp>;
    Value result;
    if (isMax) {
      result = reduceDims(rewriter, loc, adaptor.getInput(), reduced,
                          rewriter.getF32Type(),
                          rewriter.getF32FloatAttr(-std::numeric_limits<float>::infinity()),
                          maxF);
    } else {
      // The evaluator sums in double, in order; a dequantized plane's sum
      // is the same in any order, which lets LLVM vectorize it.
      int64_t count = inType.getNumElements() / (inType.getDimSize(0) * inType.getDimSize(1));
      Value sums = reduceDims(rewriter, loc, adaptor.getInput(), reduced,
                              rewriter.getF64Type(), rewriter.getF64FloatAttr(0),
                              sumsExactlyInAnyOrder(op.getInput(), count) ? reassociableAddF
                                                                          : addF);
      auto sumType = cast<RankedTensorType>(sums.getType());
      result = buildElementwise(
          rewriter, loc, sumType.clone(rewriter.getF32Type()), sums,
          [&](OpBuilder &b, Location l, ValueRange args) -> Value {
            Value c = arith::ConstantOp::create(b, l, b.getF64FloatAttr(double(count)));
            return arith::TruncFOp::create(b, l, b.getF32Type(),
                                           arith::DivFOp::create(b, l, args[0], c));
          });
    }
    rewriter.replaceOp(op, keepDims(rewriter, loc, result, type, reduced));
    return success();
  }
};

/// An integer reduction in the elements' own type (sums and products wrap
/// around; a bool's maximum is any, its minimum all), as the evaluator.
template <typename OpTy>
Value reduceIntegers(OpBuilder &b, Location loc, Value input, ArrayRef<bool> reduced,
                     IntegerType type) {
  unsigned bits = type.getWidth();
  APInt init = std::is_same_v<OpTy, qc::ReduceMaxOp>
                   ? (bits == 1 ? APInt::getZero(1) : APInt::getSignedMinValue(bits))
               : std::is_same_v<OpTy, qc::ReduceMinOp>
                   ? (bits == 1 ? APInt::getAllOnes(1) : APInt::getSignedMaxValue(bits))
               : std::is_same_v<OpTy, qc::ReduceProdOp> ? APInt(bits, 1)
                                                        : APInt::getZero(bits);
  return reduceDims(b, loc, input, reduced, type, b.getIntegerAttr(type, init),
                    [bits](OpBuilder &nb, Location l, Value acc, Value x) -> Value {
                      (void)bits; // Read only by the max and min reductions.
                      // A bool is 0 or 1 unsigned (true is -1 signed).
                      if constexpr (std::is_same_v<OpTy, qc::ReduceMaxOp>)
                        return bits == 1 ? Value(arith::MaxUIOp::create(nb, l, acc, x))
                                         : Value(arith::MaxSIOp::create(nb, l, acc, x));
                      else if constexpr (std::is_same_v<OpTy, qc::ReduceMinOp>)
                        return bits == 1 ? Value(arith::MinUIOp::create(nb, l, acc, x))
                                         : Value(arith::MinSIOp::create(nb, l, acc, x));
                      else if constexpr (std::is_same_v<OpTy, qc::ReduceProdOp>)
                        return arith::MulIOp::create(nb, l, acc, x);
                      else
                        return arith::AddIOp::create(nb, l, acc, x);
                    });
}

template <typename OpTy>
struct ReduceLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    int64_t rank = inType.getRank();
    SmallVector<bool> reduced(rank, op.getAxes().empty());
    for (int64_t a : op.getAxes())
      reduced[normalizeAxis(a, rank)] = true;
    if (auto integer = dyn_cast<IntegerType>(inType.getElementType())) {
      Value result = reduceIntegers<OpTy>(rewriter, loc, adaptor.getInput(), reduced, integer);
      if (op.getKeepdims())
        result = keepDims(rewriter, loc, result, type, reduced);
      rewriter.replaceOp(op, result);
      return success();
    }
    if (!inType.getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "f32 only");
    // The evaluator accumulates in double.
    Type f64 = rewriter.getF64Type();
    Value acc;
    if constexpr (std::is_same_v<OpTy, qc::ReduceMaxOp>)
      acc = reduceDims(rewriter, loc, adaptor.getInput(), reduced, f64,
                       rewriter.getF64FloatAttr(-INFINITY), maxF);
    else if constexpr (std::is_same_v<OpTy, qc::ReduceMinOp>)
      acc = reduceDims(rewriter, loc, adaptor.getInput(), reduced, f64,
                       rewriter.getF64FloatAttr(INFINITY), minF);
    else if constexpr (std::is_same_v<OpTy, qc::ReduceProdOp>)
      acc = reduceDims(rewriter, loc, adaptor.getInput(), reduced, f64,
                       rewriter.getF64FloatAttr(1), mulF);
    else
      acc = reduceDims(rewriter, loc, adaptor.getInput(), reduced, f64,
                       rewriter.getF64FloatAttr(0), addF);
    int64_t outCount = std::max<int64_t>(1, type.getNumElements());
    double count = double(inType.getNumElements()) / outCount;
    bool isMean = std::is_same_v<OpTy, qc::ReduceMeanOp>;
    auto accType = cast<RankedTensorType>(acc.getType());
    Value result = buildElementwise(
        rewriter, loc, accType.clone(rewriter.getF32Type()), acc,
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value v = args[0];
          if (isMean)
            v = arith::DivFOp::create(
                b, l, v, arith::ConstantOp::create(b, l, b.getF64FloatAttr(count)));
          return arith::TruncFOp::create(b, l, b.getF32Type(), v);
        });
    if (op.getKeepdims())
      result = keepDims(rewriter, loc, result, type, reduced);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// softmax / log_softmax along one axis: max, then the sum of exp(x - max)
/// in double, then the result element-wise.
template <typename OpTy, bool isLog>
struct SoftmaxLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    if (!type.getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "f32 only");
    int64_t rank = type.getRank();
    SmallVector<bool> reduced(rank, false);
    reduced[normalizeAxis(op.getAxis(), rank)] = true;
    Value x = adaptor.getInput();
    Value maxima = reduceDims(rewriter, loc, x, reduced, rewriter.getF32Type(),
                              rewriter.getF32FloatAttr(-INFINITY), rowMaxF);
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    AffineMap rowMap = reducedMap(reduced, this->getContext());
    Value exps = buildElementwise(
        rewriter, loc, type.clone(rewriter.getF64Type()), {x, maxima},
        {identity, rowMap}, [](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value e = math::ExpOp::create(b, l, arith::SubFOp::create(b, l, args[0], args[1]));
          return arith::ExtFOp::create(b, l, b.getF64Type(), e);
        });
    Value sums = reduceDims(rewriter, loc, exps, reduced, rewriter.getF64Type(),
                            rewriter.getF64FloatAttr(0), addF);
    Value result;
    if (isLog) {
      result = buildElementwise(
          rewriter, loc, type, {x, maxima, sums}, {identity, rowMap, rowMap},
          [](OpBuilder &b, Location l, ValueRange args) -> Value {
            Value shifted = arith::SubFOp::create(b, l, args[0], args[1]);
            Value wide = arith::ExtFOp::create(b, l, b.getF64Type(), shifted);
            return arith::TruncFOp::create(
                b, l, b.getF32Type(),
                arith::SubFOp::create(b, l, wide, math::LogOp::create(b, l, args[2])));
          });
    } else {
      // The exponentials are read again rather than recomputed: a row is
      // tens of KB, and an exp costs more than reading it back.
      result = buildElementwise(
          rewriter, loc, type, {exps, sums}, {identity, rowMap},
          [](OpBuilder &b, Location l, ValueRange args) -> Value {
            return arith::TruncFOp::create(b, l, b.getF32Type(),
                                           arith::DivFOp::create(b, l, args[0], args[1]));
          });
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct BatchNormLowering : OpConversionPattern<qc::BatchNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::BatchNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    int64_t rank = type.getRank();
    AffineMap channel = AffineMap::get(rank, 0, getAffineDimExpr(1, getContext()));
    float eps = op.getEpsilon().convertToFloat();
    Value result = buildElementwise(
        rewriter, op.getLoc(), type, adaptor.getOperands(),
        {rewriter.getMultiDimIdentityMap(rank), channel, channel, channel, channel},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          // scale = gamma / sqrt(var + eps); shift = beta - mean * scale.
          Value scale = arith::DivFOp::create(
              b, l, a[1],
              math::SqrtOp::create(b, l, arith::AddFOp::create(b, l, a[4], constantF32(b, l, eps))));
          Value shift = arith::SubFOp::create(b, l, a[2], arith::MulFOp::create(b, l, a[3], scale));
          return arith::AddFOp::create(b, l, arith::MulFOp::create(b, l, a[0], scale), shift);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// (x - mean) / sqrt(var + eps) over the `reduced` dims, mean and variance
/// in double (two passes), then `affine(y, indices...)`.
Value normalize(OpBuilder &b, Location loc, Value x, ArrayRef<bool> reduced,
                float eps) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank(), size = 1;
  for (int64_t d = 0; d < rank; ++d)
    if (reduced[d])
      size *= type.getDimSize(d);
  Type f64 = b.getF64Type();
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  AffineMap rowMap = reducedMap(reduced, b.getContext());
  auto divideBySize = [&](Value sums) {
    auto t = cast<RankedTensorType>(sums.getType());
    return buildElementwise(b, loc, t, sums, [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
      return arith::DivFOp::create(nb, l, a[0],
                                   arith::ConstantOp::create(nb, l, nb.getF64FloatAttr(size)));
    });
  };
  Value mean = divideBySize(reduceDims(b, loc, x, reduced, f64, b.getF64FloatAttr(0), addF));
  Value squares = buildElementwise(
      b, loc, type.clone(f64), {x, mean}, {identity, rowMap},
      [](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value d = arith::SubFOp::create(nb, l, arith::ExtFOp::create(nb, l, nb.getF64Type(), a[0]), a[1]);
        return arith::MulFOp::create(nb, l, d, d);
      });
  Value var = divideBySize(reduceDims(b, loc, squares, reduced, f64, b.getF64FloatAttr(0), addF));
  return buildElementwise(
      b, loc, type, {x, mean, var}, {identity, rowMap, rowMap},
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value epsilon = arith::ConstantOp::create(nb, l, nb.getF64FloatAttr(eps));
        Value inv = arith::TruncFOp::create(
            nb, l, nb.getF32Type(),
            arith::DivFOp::create(nb, l, arith::ConstantOp::create(nb, l, nb.getF64FloatAttr(1.0)),
                                  math::SqrtOp::create(nb, l, arith::AddFOp::create(nb, l, a[2], epsilon))));
        Value centered = arith::SubFOp::create(
            nb, l, arith::ExtFOp::create(nb, l, nb.getF64Type(), a[0]), a[1]);
        return arith::TruncFOp::create(
            nb, l, nb.getF32Type(),
            arith::MulFOp::create(nb, l, centered,
                                  arith::ExtFOp::create(nb, l, nb.getF64Type(), inv)));
      });
}

struct LayerNormLowering : OpConversionPattern<qc::LayerNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::LayerNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    if (!type.getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "f32 only");
    int64_t rank = type.getRank();
    int64_t axis = normalizeAxis(op.getAxis(), rank);
    SmallVector<bool> reduced(rank, false);
    for (int64_t d = axis; d < rank; ++d)
      reduced[d] = true;
    Location loc = op.getLoc();
    Value y = normalize(rewriter, loc, adaptor.getInput(), reduced,
                        op.getEpsilon().convertToFloat());
    SmallVector<Value> inputs = {y, adaptor.getScale()};
    if (adaptor.getBias())
      inputs.push_back(adaptor.getBias());
    y = buildElementwise(rewriter, loc, type, inputs,
                         [](OpBuilder &b, Location l, ValueRange a) -> Value {
                           Value v = arith::MulFOp::create(b, l, a[0], a[1]);
                           if (a.size() > 2)
                             v = arith::AddFOp::create(b, l, v, a[2]);
                           return v;
                         });
    rewriter.replaceOp(op, y);
    return success();
  }
};

struct InstanceNormLowering : OpConversionPattern<qc::InstanceNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::InstanceNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    if (!type.getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "f32 only");
    int64_t rank = type.getRank();
    SmallVector<bool> reduced(rank, true);
    reduced[0] = reduced[1] = false;
    Location loc = op.getLoc();
    Value y = normalize(rewriter, loc, adaptor.getInput(), reduced,
                        op.getEpsilon().convertToFloat());
    AffineMap channel = AffineMap::get(rank, 0, getAffineDimExpr(1, getContext()));
    y = buildElementwise(rewriter, loc, type, {y, adaptor.getScale(), adaptor.getBias()},
                         {rewriter.getMultiDimIdentityMap(rank), channel, channel},
                         [](OpBuilder &b, Location l, ValueRange a) -> Value {
                           return arith::AddFOp::create(
                               b, l, arith::MulFOp::create(b, l, a[0], a[1]), a[2]);
                         });
    rewriter.replaceOp(op, y);
    return success();
  }
};
} // namespace

void conversion::populatePoolingAndNormPatterns(QCTypeConverter &converter,
                                                RewritePatternSet &patterns) {
  patterns.add<MaxPoolLowering, AvgPoolLowering,
               GlobalPoolLowering<qc::GlobalAvgPoolOp>,
               GlobalPoolLowering<qc::GlobalMaxPoolOp>,
               ReduceLowering<qc::ReduceSumOp>, ReduceLowering<qc::ReduceMeanOp>,
               ReduceLowering<qc::ReduceMaxOp>, ReduceLowering<qc::ReduceMinOp>,
               ReduceLowering<qc::ReduceProdOp>,
               SoftmaxLowering<qc::SoftmaxOp, false>,
               SoftmaxLowering<qc::LogSoftmaxOp, true>, BatchNormLowering,
               LayerNormLowering, InstanceNormLowering>(converter,
                                                        patterns.getContext());
}
