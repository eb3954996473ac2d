//===- ElementwiseLowering.cpp - element-wise qc ops → linalg ---*- C++ -*-===//
//
// Float element-wise ops compute in f32 (f16/bf16 widen and round back), as
// the reference evaluator does; integer ones use arith on the storage type.
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "quantc/Reference/Tensor.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <limits>

using namespace mlir;
using namespace quantc;
using namespace quantc::conversion;

namespace {
using arith::CmpFPredicate;
using arith::CmpIPredicate;

template <typename OpTy>
using UnaryFn = Value (*)(OpTy, OpBuilder &, Location, Value);

/// A float unary op: `fn` maps the f32 element.
template <typename OpTy>
struct UnaryLowering : OpConversionPattern<OpTy> {
  UnaryLowering(const TypeConverter &converter, MLIRContext *ctx,
                UnaryFn<OpTy> fn)
      : OpConversionPattern<OpTy>(converter, ctx), fn(fn) {}

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Type element = type.getElementType();
    if (!isa<FloatType>(element))
      return rewriter.notifyMatchFailure(op, "integer operand");
    Value result = buildElementwise(
        rewriter, op.getLoc(), type, adaptor.getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          return fromF32(b, loc, fn(op, b, loc, toF32(b, loc, args[0])),
                         element);
        });
    rewriter.replaceOp(op, result);
    return success();
  }

  UnaryFn<OpTy> fn;
};

template <typename OpTy>
void addUnary(QCTypeConverter &converter, RewritePatternSet &patterns,
              UnaryFn<OpTy> fn) {
  patterns.add<UnaryLowering<OpTy>>(converter, patterns.getContext(), fn);
}

Value f32(OpBuilder &b, Location loc, float v) { return constantF32(b, loc, v); }

/// std::min / std::max on floats: the first operand unless the second is
/// strictly smaller / larger.
Value minF(OpBuilder &b, Location loc, Value x, Value y) {
  Value less = arith::CmpFOp::create(b, loc, CmpFPredicate::OLT, y, x);
  return arith::SelectOp::create(b, loc, less, y, x);
}
Value maxF(OpBuilder &b, Location loc, Value x, Value y) {
  Value less = arith::CmpFOp::create(b, loc, CmpFPredicate::OLT, x, y);
  return arith::SelectOp::create(b, loc, less, y, x);
}
Value clampF(OpBuilder &b, Location loc, Value x, float lo, float hi) {
  return minF(b, loc, f32(b, loc, hi), maxF(b, loc, f32(b, loc, lo), x));
}

Value sigmoid(OpBuilder &b, Location loc, Value x) {
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return arith::DivFOp::create(b, loc, f32(b, loc, 1.0f),
                               arith::AddFOp::create(b, loc, f32(b, loc, 1.0f), e));
}

Value gelu(qc::GeluOp op, OpBuilder &b, Location loc, Value x) {
  Value half = arith::MulFOp::create(b, loc, f32(b, loc, 0.5f), x);
  Value inner;
  if (op.getApproximateTanh()) {
    Value cube = arith::MulFOp::create(
        b, loc, arith::MulFOp::create(b, loc, f32(b, loc, 0.044715f), x),
        arith::MulFOp::create(b, loc, x, x));
    inner = math::TanhOp::create(
        b, loc,
        arith::MulFOp::create(b, loc, f32(b, loc, 0.7978845608028654f),
                              arith::AddFOp::create(b, loc, x, cube)));
  } else {
    inner = math::ErfOp::create(
        b, loc, arith::MulFOp::create(b, loc, x, f32(b, loc, 0.7071067811865476f)));
  }
  return arith::MulFOp::create(
      b, loc, half, arith::AddFOp::create(b, loc, f32(b, loc, 1.0f), inner));
}

/// softplus(x) = x + log1p(exp(-x)) for x > 0, log1p(exp(x)) otherwise: the
/// evaluator's formula, exact where exp would overflow.
Value softplus(qc::SoftplusOp, OpBuilder &b, Location loc, Value x) {
  Value positive = arith::CmpFOp::create(b, loc, CmpFPredicate::OGT, x, f32(b, loc, 0));
  Value magnitude = math::AbsFOp::create(b, loc, x);
  Value tail = math::Log1pOp::create(
      b, loc, math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, magnitude)));
  Value head = arith::SelectOp::create(b, loc, positive, x, f32(b, loc, 0));
  // For x <= 0, -|x| = x and the head is 0: log1p(exp(x)).
  return arith::AddFOp::create(b, loc, head, tail);
}

/// A binary op on broadcast operands: float and integer forms.
struct BinaryFns {
  Value (*onFloat)(OpBuilder &, Location, Value, Value);
  Value (*onInt)(OpBuilder &, Location, Value, Value);
};

template <typename OpTy>
struct BinaryLowering : OpConversionPattern<OpTy> {
  BinaryLowering(const TypeConverter &converter, MLIRContext *ctx, BinaryFns fns)
      : OpConversionPattern<OpTy>(converter, ctx), fns(fns) {}

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Type operandElement = getElementTypeOrSelf(adaptor.getLhs().getType());
    bool isFloat = isa<FloatType>(operandElement);
    if (!isFloat && !fns.onInt)
      return rewriter.notifyMatchFailure(op, "no integer form");
    Type element = type.getElementType();
    Value result = buildElementwise(
        rewriter, op.getLoc(), type, adaptor.getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          if (!isFloat)
            return fns.onInt(b, loc, args[0], args[1]);
          Value y = fns.onFloat(b, loc, toF32(b, loc, args[0]),
                                toF32(b, loc, args[1]));
          return isa<FloatType>(element) ? fromF32(b, loc, y, element) : y;
        });
    rewriter.replaceOp(op, result);
    return success();
  }

  BinaryFns fns;
};

template <typename OpTy>
void addBinary(QCTypeConverter &converter, RewritePatternSet &patterns,
               BinaryFns fns) {
  patterns.add<BinaryLowering<OpTy>>(converter, patterns.getContext(), fns);
}

template <typename FloatOp, typename IntOp>
BinaryFns arithmetic() {
  return {[](OpBuilder &b, Location loc, Value x, Value y) -> Value {
            return FloatOp::create(b, loc, x, y);
          },
          [](OpBuilder &b, Location loc, Value x, Value y) -> Value {
            return IntOp::create(b, loc, x, y);
          }};
}

template <CmpFPredicate F, CmpIPredicate I>
BinaryFns comparison() {
  return {[](OpBuilder &b, Location loc, Value x, Value y) -> Value {
            return arith::CmpFOp::create(b, loc, F, x, y);
          },
          [](OpBuilder &b, Location loc, Value x, Value y) -> Value {
            return arith::CmpIOp::create(b, loc, I, x, y);
          }};
}

/// Integer division truncating toward zero, 0 for a zero divisor.
Value divideInt(OpBuilder &b, Location loc, Value x, Value y) {
  Value zero = arith::ConstantOp::create(b, loc, b.getIntegerAttr(y.getType(), 0));
  Value one = arith::ConstantOp::create(b, loc, b.getIntegerAttr(y.getType(), 1));
  Value isZero = arith::CmpIOp::create(b, loc, CmpIPredicate::eq, y, zero);
  Value safe = arith::SelectOp::create(b, loc, isZero, one, y);
  Value q = arith::DivSIOp::create(b, loc, x, safe);
  return arith::SelectOp::create(b, loc, isZero, zero, q);
}

struct WhereLowering : OpConversionPattern<qc::WhereOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::WhereOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(
        getTypeConverter()->convertType(op.getType()));
    rewriter.replaceOp(
        op, buildElementwise(rewriter, op.getLoc(), type, adaptor.getOperands(),
                             [](OpBuilder &b, Location loc, ValueRange args) {
                               return arith::SelectOp::create(b, loc, args[0],
                                                              args[1], args[2])
                                   .getResult();
                             }));
    return success();
  }
};

/// Element conversion with the reference's semantics: floats truncate toward
/// zero into integers (wrapping to the width), anything non-zero is true, and
/// float8 values are f32 containers (see QCTypeConverter): a cast to a float8
/// type rounds to it in f32.
Value castElement(OpBuilder &b, Location loc, Value v, Type to) {
  Type from = v.getType();
  if (from == to)
    return v;
  if (to.isInteger(1)) {
    if (isa<FloatType>(from))
      return arith::CmpFOp::create(b, loc, CmpFPredicate::UNE, v,
                                   arith::ConstantOp::create(b, loc, b.getFloatAttr(from, 0.0)));
    Value zero = arith::ConstantOp::create(b, loc, b.getIntegerAttr(from, 0));
    return arith::CmpIOp::create(b, loc, CmpIPredicate::ne, v, zero);
  }
  bool fromUnsigned = from.isUnsignedInteger() || from.isInteger(1);
  if (reference::isFloat8(to))
    return roundToFloat8(b, loc, castElement(b, loc, v, b.getF32Type()), cast<FloatType>(to));
  if (isa<FloatType>(to)) {
    if (isa<FloatType>(from))
      return fromF32(b, loc, toF32(b, loc, v), to);
    Type signless = b.getIntegerType(from.getIntOrFloatBitWidth());
    if (signless != from)
      v = UnrealizedConversionCastOp::create(b, loc, signless, v).getResult(0);
    if (fromUnsigned)
      return arith::UIToFPOp::create(b, loc, to, v);
    return arith::SIToFPOp::create(b, loc, to, v);
  }
  auto toInt = cast<IntegerType>(to);
  Value wide;
  if (isa<FloatType>(from))
    wide = arith::FPToSIOp::create(b, loc, b.getI64Type(), toF32(b, loc, v));
  else
    wide = extendToI64(b, loc, v, fromUnsigned);
  if (toInt.getWidth() == 64)
    return wide;
  return arith::TruncIOp::create(b, loc, b.getIntegerType(toInt.getWidth()), wide);
}

struct CastLowering : OpConversionPattern<qc::CastOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::CastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type to = op.getType().getElementType();
    Type from = getElementTypeOrSelf(op.getInput().getType());
    if ((from.isInteger() && !from.isSignlessInteger()) ||
        (to.isInteger() && !to.isSignlessInteger()))
      return rewriter.notifyMatchFailure(op, "signed/unsigned integer tensor");
    // Float8 operands and results are f32 containers (see QCTypeConverter).
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    rewriter.replaceOp(
        op, buildElementwise(rewriter, op.getLoc(), type, adaptor.getOperands(),
                             [&](OpBuilder &b, Location loc, ValueRange args) {
                               return castElement(b, loc, args[0], to);
                             }));
    return success();
  }
};

struct NotLowering : OpConversionPattern<qc::NotOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::NotOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, buildElementwise(rewriter, op.getLoc(), op.getType(), adaptor.getOperands(),
                             [](OpBuilder &b, Location loc, ValueRange args) -> Value {
                               Value one = arith::ConstantOp::create(b, loc, b.getBoolAttr(true));
                               return arith::XOrIOp::create(b, loc, args[0], one);
                             }));
    return success();
  }
};

template <typename IntOp>
BinaryFns logical() {
  return {nullptr, [](OpBuilder &b, Location loc, Value x, Value y) -> Value {
            return IntOp::create(b, loc, x, y);
          }};
}

template <typename OpTy, typename MathOp>
void addMathUnary(QCTypeConverter &converter, RewritePatternSet &patterns) {
  addUnary<OpTy>(converter, patterns, [](OpTy, OpBuilder &b, Location loc, Value x) -> Value {
    return MathOp::create(b, loc, x);
  });
}

Value expm1(OpBuilder &b, Location loc, Value x) { return math::ExpM1Op::create(b, loc, x); }
Value mulF(OpBuilder &b, Location loc, Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
Value greaterF(OpBuilder &b, Location loc, Value x, float bound) {
  return arith::CmpFOp::create(b, loc, CmpFPredicate::OGT, x, f32(b, loc, bound));
}
Value lessF(OpBuilder &b, Location loc, Value x, float bound) {
  return arith::CmpFOp::create(b, loc, CmpFPredicate::OLT, x, f32(b, loc, bound));
}
Value select(OpBuilder &b, Location loc, Value c, Value x, Value y) {
  return arith::SelectOp::create(b, loc, c, x, y);
}
Value intConstant(OpBuilder &b, Location loc, Type type, int64_t v) {
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, v));
}

/// Integer negation and absolute value, wrapping (-INT_MIN is INT_MIN).
template <typename OpTy>
struct IntegerUnaryLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = op.getType();
    Type element = type.getElementType();
    if (!element.isSignlessInteger())
      return rewriter.notifyMatchFailure(op, "not a signless integer");
    rewriter.replaceOp(op, buildElementwise(
        rewriter, op.getLoc(), type, adaptor.getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          Value zero = intConstant(b, loc, element, 0);
          Value negated = arith::SubIOp::create(b, loc, zero, args[0]);
          if (std::is_same_v<OpTy, qc::NegOp>)
            return negated;
          Value negative = arith::CmpIOp::create(b, loc, CmpIPredicate::slt, args[0], zero);
          return select(b, loc, negative, negated, args[0]);
        }));
    return success();
  }
};

/// -1, 0 or 1 for integers; for floats NaN and signed zeros stay.
struct SignLowering : OpConversionPattern<qc::SignOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::SignOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = op.getType();
    Type element = type.getElementType();
    rewriter.replaceOp(op, buildElementwise(
        rewriter, op.getLoc(), type, adaptor.getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          if (isa<FloatType>(element)) {
            Value x = toF32(b, loc, args[0]);
            Value y = select(b, loc, greaterF(b, loc, x, 0), f32(b, loc, 1),
                             select(b, loc, lessF(b, loc, x, 0), f32(b, loc, -1), x));
            return fromF32(b, loc, y, element);
          }
          auto constant = [&](int64_t v) { return intConstant(b, loc, element, v); };
          Value x = args[0];
          Value positive = arith::CmpIOp::create(b, loc, CmpIPredicate::sgt, x, constant(0));
          Value negative = arith::CmpIOp::create(b, loc, CmpIPredicate::slt, x, constant(0));
          return select(b, loc, positive, constant(1),
                        select(b, loc, negative, constant(-1), constant(0)));
        }));
    return success();
  }
};

/// A float predicate into i1.
template <typename OpTy>
struct PredicateLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, buildElementwise(
        rewriter, op.getLoc(), op.getType(), adaptor.getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          return predicate(op, b, loc, toF32(b, loc, args[0]));
        }));
    return success();
  }
  static Value predicate(qc::IsNaNOp, OpBuilder &b, Location loc, Value x) {
    return arith::CmpFOp::create(b, loc, CmpFPredicate::UNO, x, x);
  }
  static Value predicate(qc::IsInfOp op, OpBuilder &b, Location loc, Value x) {
    float inf = std::numeric_limits<float>::infinity();
    Value positive = arith::CmpFOp::create(b, loc, CmpFPredicate::OEQ, x, f32(b, loc, inf));
    Value negative = arith::CmpFOp::create(b, loc, CmpFPredicate::OEQ, x, f32(b, loc, -inf));
    Value no = arith::ConstantOp::create(b, loc, b.getBoolAttr(false));
    return arith::OrIOp::create(b, loc, op.getDetectPositive() ? positive : no,
                                op.getDetectNegative() ? negative : no);
  }
};

/// ONNX Mod: C fmod with `fmod`, else the remainder of floored division;
/// integer remainders by 0 (and by -1, which overflows INT_MIN) are 0.
struct ModLowering : OpConversionPattern<qc::ModOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::ModOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = op.getType();
    Type element = type.getElementType();
    if (isa<IntegerType>(element) && !element.isSignlessInteger())
      return rewriter.notifyMatchFailure(op, "unsigned integer tensor");
    bool floored = !op.getFmod();
    rewriter.replaceOp(op, buildElementwise(
        rewriter, op.getLoc(), type, adaptor.getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          if (isa<FloatType>(element)) {
            Value x = toF32(b, loc, args[0]), y = toF32(b, loc, args[1]);
            Value r = arith::RemFOp::create(b, loc, x, y);
            if (floored) {
              Value differ = arith::XOrIOp::create(b, loc, lessF(b, loc, r, 0), lessF(b, loc, y, 0));
              Value nonZero = arith::CmpFOp::create(b, loc, CmpFPredicate::ONE, r, f32(b, loc, 0));
              Value fix = arith::AndIOp::create(b, loc, differ, nonZero);
              r = select(b, loc, fix, arith::AddFOp::create(b, loc, r, y), r);
            }
            return fromF32(b, loc, r, element);
          }
          auto constant = [&](int64_t v) { return intConstant(b, loc, element, v); };
          Value x = args[0], y = args[1], zero = constant(0);
          Value trivial = arith::OrIOp::create(
              b, loc, arith::CmpIOp::create(b, loc, CmpIPredicate::eq, y, zero),
              arith::CmpIOp::create(b, loc, CmpIPredicate::eq, y, constant(-1)));
          Value r = arith::RemSIOp::create(b, loc, x, select(b, loc, trivial, constant(1), y));
          if (floored) {
            Value differ = arith::XOrIOp::create(
                b, loc, arith::CmpIOp::create(b, loc, CmpIPredicate::slt, r, zero),
                arith::CmpIOp::create(b, loc, CmpIPredicate::slt, y, zero));
            Value fix = arith::AndIOp::create(
                b, loc, differ, arith::CmpIOp::create(b, loc, CmpIPredicate::ne, r, zero));
            r = select(b, loc, fix, arith::AddIOp::create(b, loc, r, y), r);
          }
          return select(b, loc, trivial, zero, r);
        }));
    return success();
  }
};

/// Bitwise ops on signless integers. arith has no unsigned types, and
/// tensor.bitcast does not bufferize, so unsigned tensors are refused.
template <typename OpTy>
struct BitwiseLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = op.getType();
    if (!type.getElementType().isSignlessInteger())
      return rewriter.notifyMatchFailure(op, "unsigned integer tensor");
    rewriter.replaceOp(op, buildElementwise(
        rewriter, op.getLoc(), type, adaptor.getOperands(),
        [&](OpBuilder &b, Location l, ValueRange args) { return compute(b, l, args); }));
    return success();
  }

  static Value compute(OpBuilder &b, Location loc, ValueRange args) {
    Type t = args[0].getType();
    auto constant = [&](int64_t v) { return intConstant(b, loc, t, v); };
    if constexpr (std::is_same_v<OpTy, qc::BitwiseNotOp>) {
      return arith::XOrIOp::create(b, loc, args[0], constant(-1));
    } else if constexpr (std::is_same_v<OpTy, qc::BitwiseAndOp>) {
      return arith::AndIOp::create(b, loc, args[0], args[1]);
    } else if constexpr (std::is_same_v<OpTy, qc::BitwiseOrOp>) {
      return arith::OrIOp::create(b, loc, args[0], args[1]);
    } else if constexpr (std::is_same_v<OpTy, qc::BitwiseXorOp>) {
      return arith::XOrIOp::create(b, loc, args[0], args[1]);
    } else {
      // Shifts by the width or more give 0, as in the evaluator.
      Value tooFar = arith::CmpIOp::create(b, loc, CmpIPredicate::uge, args[1],
                                           constant(t.getIntOrFloatBitWidth()));
      Value shifted;
      if constexpr (std::is_same_v<OpTy, qc::ShiftLeftOp>)
        shifted = arith::ShLIOp::create(b, loc, args[0], args[1]);
      else
        shifted = arith::ShRUIOp::create(b, loc, args[0], args[1]);
      return select(b, loc, tooFar, constant(0), shifted);
    }
  }
};

struct IdentityLowering : OpConversionPattern<qc::IdentityOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::IdentityOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, adaptor.getInput());
    return success();
  }
};
} // namespace

void conversion::populateElementwisePatterns(QCTypeConverter &converter,
                                             RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  addUnary<qc::SqrtOp>(converter, patterns, [](auto, OpBuilder &b, Location loc, Value x) -> Value {
    return math::SqrtOp::create(b, loc, x);
  });
  addUnary<qc::ExpOp>(converter, patterns, [](auto, OpBuilder &b, Location loc, Value x) -> Value {
    return math::ExpOp::create(b, loc, x);
  });
  addUnary<qc::LogOp>(converter, patterns, [](auto, OpBuilder &b, Location loc, Value x) -> Value {
    return math::LogOp::create(b, loc, x);
  });
  addUnary<qc::NegOp>(converter, patterns, [](auto, OpBuilder &b, Location loc, Value x) -> Value {
    return arith::NegFOp::create(b, loc, x);
  });
  addUnary<qc::AbsOp>(converter, patterns, [](auto, OpBuilder &b, Location loc, Value x) -> Value {
    return math::AbsFOp::create(b, loc, x);
  });
  addUnary<qc::ReciprocalOp>(converter, patterns, [](auto, OpBuilder &b, Location loc, Value x) -> Value {
    return arith::DivFOp::create(b, loc, f32(b, loc, 1.0f), x);
  });
  addUnary<qc::RoundOp>(converter, patterns, [](auto, OpBuilder &b, Location loc, Value x) -> Value {
    return math::RoundEvenOp::create(b, loc, x);
  });
  addUnary<qc::ReluOp>(converter, patterns, [](auto, OpBuilder &b, Location loc, Value x) -> Value {
    Value positive = arith::CmpFOp::create(b, loc, CmpFPredicate::OGT, x, f32(b, loc, 0));
    return arith::SelectOp::create(b, loc, positive, x, f32(b, loc, 0));
  });
  addUnary<qc::SigmoidOp>(converter, patterns, [](auto, OpBuilder &b, Location loc, Value x) {
    return sigmoid(b, loc, x);
  });
  addUnary<qc::TanhOp>(converter, patterns, [](auto, OpBuilder &b, Location loc, Value x) -> Value {
    return math::TanhOp::create(b, loc, x);
  });
  addUnary<qc::ErfOp>(converter, patterns, [](auto, OpBuilder &b, Location loc, Value x) -> Value {
    return math::ErfOp::create(b, loc, x);
  });
  addUnary<qc::HardSwishOp>(converter, patterns, [](auto, OpBuilder &b, Location loc, Value x) -> Value {
    Value t = arith::AddFOp::create(
        b, loc, arith::DivFOp::create(b, loc, x, f32(b, loc, 6.0f)), f32(b, loc, 0.5f));
    return arith::MulFOp::create(b, loc, x, clampF(b, loc, t, 0.0f, 1.0f));
  });
  addUnary<qc::SoftplusOp>(converter, patterns, softplus);
  addUnary<qc::CosOp>(converter, patterns, [](auto, OpBuilder &b, Location loc, Value x) -> Value {
    return math::CosOp::create(b, loc, x);
  });
  addUnary<qc::SinOp>(converter, patterns, [](auto, OpBuilder &b, Location loc, Value x) -> Value {
    return math::SinOp::create(b, loc, x);
  });
  addUnary<qc::LeakyReluOp>(converter, patterns, [](qc::LeakyReluOp op, OpBuilder &b, Location loc, Value x) -> Value {
    Value alpha = f32(b, loc, op.getAlpha().convertToFloat());
    Value nonNegative = arith::CmpFOp::create(b, loc, CmpFPredicate::OGE, x, f32(b, loc, 0));
    return arith::SelectOp::create(b, loc, nonNegative, x,
                                   arith::MulFOp::create(b, loc, alpha, x));
  });
  addUnary<qc::HardSigmoidOp>(converter, patterns, [](qc::HardSigmoidOp op, OpBuilder &b, Location loc, Value x) {
    Value alpha = f32(b, loc, op.getAlpha().convertToFloat());
    Value beta = f32(b, loc, op.getBeta().convertToFloat());
    Value t = arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, alpha, x), beta);
    return clampF(b, loc, t, 0.0f, 1.0f);
  });
  addUnary<qc::GeluOp>(converter, patterns, gelu);
  addUnary<qc::ClipOp>(converter, patterns, [](qc::ClipOp op, OpBuilder &b, Location loc, Value x) {
    return minF(b, loc, f32(b, loc, op.getMax().convertToFloat()),
                maxF(b, loc, f32(b, loc, op.getMin().convertToFloat()), x));
  });

  addBinary<qc::AddOp>(converter, patterns, arithmetic<arith::AddFOp, arith::AddIOp>());
  addBinary<qc::SubOp>(converter, patterns, arithmetic<arith::SubFOp, arith::SubIOp>());
  addBinary<qc::MulOp>(converter, patterns, arithmetic<arith::MulFOp, arith::MulIOp>());
  addBinary<qc::DivOp>(converter, patterns,
                       {[](OpBuilder &b, Location loc, Value x, Value y) -> Value {
                          return arith::DivFOp::create(b, loc, x, y);
                        },
                        divideInt});
  addBinary<qc::PowOp>(converter, patterns,
                       {[](OpBuilder &b, Location loc, Value x, Value y) -> Value {
                          return math::PowFOp::create(b, loc, x, y);
                        },
                        nullptr});
  addBinary<qc::MinOp>(converter, patterns,
                       {minF, [](OpBuilder &b, Location loc, Value x, Value y) -> Value {
                          return arith::MinSIOp::create(b, loc, x, y);
                        }});
  addBinary<qc::MaxOp>(converter, patterns,
                       {maxF, [](OpBuilder &b, Location loc, Value x, Value y) -> Value {
                          return arith::MaxSIOp::create(b, loc, x, y);
                        }});
  addBinary<qc::PReluOp>(converter, patterns,
                         {[](OpBuilder &b, Location loc, Value x, Value slope) -> Value {
                            Value nonNegative = arith::CmpFOp::create(
                                b, loc, CmpFPredicate::OGE, x, f32(b, loc, 0));
                            return arith::SelectOp::create(
                                b, loc, nonNegative, x,
                                arith::MulFOp::create(b, loc, slope, x));
                          },
                          nullptr});
  addBinary<qc::EqualOp>(converter, patterns, comparison<CmpFPredicate::OEQ, CmpIPredicate::eq>());
  addBinary<qc::LessOp>(converter, patterns, comparison<CmpFPredicate::OLT, CmpIPredicate::slt>());
  addBinary<qc::GreaterOp>(converter, patterns, comparison<CmpFPredicate::OGT, CmpIPredicate::sgt>());
  addBinary<qc::LessEqualOp>(converter, patterns, comparison<CmpFPredicate::OLE, CmpIPredicate::sle>());
  addBinary<qc::GreaterEqualOp>(converter, patterns, comparison<CmpFPredicate::OGE, CmpIPredicate::sge>());
  addBinary<qc::AndOp>(converter, patterns, logical<arith::AndIOp>());
  addBinary<qc::OrOp>(converter, patterns, logical<arith::OrIOp>());
  addBinary<qc::XorOp>(converter, patterns, logical<arith::XOrIOp>());
  patterns.add<WhereLowering, CastLowering, NotLowering, IdentityLowering>(converter, ctx);
  populateMathFunctionPatterns(converter, patterns);
}

void conversion::populateMathFunctionPatterns(QCTypeConverter &converter,
                                              RewritePatternSet &patterns) {
  addMathUnary<qc::TanOp, math::TanOp>(converter, patterns);
  addMathUnary<qc::AcosOp, math::AcosOp>(converter, patterns);
  addMathUnary<qc::AsinOp, math::AsinOp>(converter, patterns);
  addMathUnary<qc::AtanOp, math::AtanOp>(converter, patterns);
  addMathUnary<qc::CoshOp, math::CoshOp>(converter, patterns);
  addMathUnary<qc::SinhOp, math::SinhOp>(converter, patterns);
  addMathUnary<qc::AcoshOp, math::AcoshOp>(converter, patterns);
  addMathUnary<qc::AsinhOp, math::AsinhOp>(converter, patterns);
  addMathUnary<qc::AtanhOp, math::AtanhOp>(converter, patterns);
  addMathUnary<qc::CeilOp, math::CeilOp>(converter, patterns);
  addMathUnary<qc::FloorOp, math::FloorOp>(converter, patterns);
  addUnary<qc::SoftsignOp>(converter, patterns, [](auto, OpBuilder &b, Location loc, Value x) -> Value {
    Value denominator = arith::AddFOp::create(b, loc, f32(b, loc, 1), math::AbsFOp::create(b, loc, x));
    return arith::DivFOp::create(b, loc, x, denominator);
  });
  addUnary<qc::MishOp>(converter, patterns, [](auto, OpBuilder &b, Location loc, Value x) -> Value {
    return mulF(b, loc, x, math::TanhOp::create(b, loc, softplus({}, b, loc, x)));
  });
  addUnary<qc::EluOp>(converter, patterns, [](qc::EluOp op, OpBuilder &b, Location loc, Value x) {
    Value alpha = f32(b, loc, op.getAlpha().convertToFloat());
    return select(b, loc, lessF(b, loc, x, 0), mulF(b, loc, alpha, expm1(b, loc, x)), x);
  });
  addUnary<qc::CeluOp>(converter, patterns, [](qc::CeluOp op, OpBuilder &b, Location loc, Value x) {
    Value alpha = f32(b, loc, op.getAlpha().convertToFloat());
    Value tail = mulF(b, loc, alpha, expm1(b, loc, arith::DivFOp::create(b, loc, x, alpha)));
    return arith::AddFOp::create(b, loc, maxF(b, loc, f32(b, loc, 0), x),
                                 minF(b, loc, f32(b, loc, 0), tail)).getResult();
  });
  addUnary<qc::SeluOp>(converter, patterns, [](qc::SeluOp op, OpBuilder &b, Location loc, Value x) {
    Value alpha = f32(b, loc, op.getAlpha().convertToFloat());
    Value inner = select(b, loc, greaterF(b, loc, x, 0), x, mulF(b, loc, alpha, expm1(b, loc, x)));
    return mulF(b, loc, f32(b, loc, op.getGamma().convertToFloat()), inner);
  });
  addUnary<qc::ThresholdedReluOp>(converter, patterns, [](qc::ThresholdedReluOp op, OpBuilder &b, Location loc, Value x) {
    return select(b, loc, greaterF(b, loc, x, op.getAlpha().convertToFloat()), x, f32(b, loc, 0));
  });
  addUnary<qc::ShrinkOp>(converter, patterns, [](qc::ShrinkOp op, OpBuilder &b, Location loc, Value x) {
    float lambd = op.getLambd().convertToFloat();
    Value bias = f32(b, loc, op.getBias().convertToFloat());
    Value below = arith::AddFOp::create(b, loc, x, bias);
    Value above = arith::SubFOp::create(b, loc, x, bias);
    return select(b, loc, lessF(b, loc, x, -lambd), below,
                  select(b, loc, greaterF(b, loc, x, lambd), above, f32(b, loc, 0)));
  });
  patterns.add<SignLowering, IntegerUnaryLowering<qc::NegOp>, IntegerUnaryLowering<qc::AbsOp>,
               PredicateLowering<qc::IsNaNOp>, PredicateLowering<qc::IsInfOp>,
               ModLowering, BitwiseLowering<qc::BitwiseAndOp>, BitwiseLowering<qc::BitwiseOrOp>,
               BitwiseLowering<qc::BitwiseXorOp>, BitwiseLowering<qc::BitwiseNotOp>,
               BitwiseLowering<qc::ShiftLeftOp>, BitwiseLowering<qc::ShiftRightOp>>(
      converter, patterns.getContext());
}
