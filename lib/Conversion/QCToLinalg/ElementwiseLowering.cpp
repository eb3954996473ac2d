//===- ElementwiseLowering.cpp - element-wise qc ops → linalg ---*- C++ -*-===//
//
// Float element-wise ops compute in f32 (f16/bf16 widen and round back), as
// the reference evaluator does; integer ones use arith on the storage type.
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

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
/// zero into integers (wrapping to the width), anything non-zero is true.
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
    auto type = cast<RankedTensorType>(op.getType());
    Type from = getElementTypeOrSelf(op.getInput().getType());
    if ((from.isInteger() && !from.isSignlessInteger()) ||
        (type.getElementType().isInteger() &&
         !type.getElementType().isSignlessInteger()))
      return rewriter.notifyMatchFailure(op, "signed/unsigned integer tensor");
    rewriter.replaceOp(
        op, buildElementwise(rewriter, op.getLoc(), type, adaptor.getOperands(),
                             [&](OpBuilder &b, Location loc, ValueRange args) {
                               return castElement(b, loc, args[0],
                                                  type.getElementType());
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
}
