//===- LoweringUtils.cpp - shared pieces of convert-qc-to-linalg -*- C++ -*-===//
#include "LoweringUtils.h"
#include "quantc/Dialect/QC/QuantUtils.h"
#include "quantc/Reference/Tensor.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::conversion;

QCTypeConverter::QCTypeConverter() {
  addConversion([](Type t) { return t; });
  // Sub-byte integers (int4 weights) live in i8 containers holding their
  // value: LLVM has no memory layout for tensors of i4.
  auto container = [](MLIRContext *ctx, unsigned width) {
    return IntegerType::get(ctx, width > 1 && width < 8 ? 8 : width);
  };
  addConversion([container](RankedTensorType t) -> Type {
    if (auto q = dyn_cast<quant::QuantizedType>(t.getElementType()))
      return t.clone(container(t.getContext(), q.getStorageTypeIntegralWidth()));
    if (auto i = dyn_cast<IntegerType>(t.getElementType()); i && i.isSignless())
      return t.clone(container(t.getContext(), i.getWidth()));
    // Float8 values live in f32 containers, as the reference evaluator
    // holds them: the casts that produce them round to the format.
    if (reference::isFloat8(t.getElementType()))
      return t.clone(Float32Type::get(t.getContext()));
    return t;
  });
  auto materialize = [](OpBuilder &b, Type type, ValueRange inputs,
                        Location loc) -> Value {
    return UnrealizedConversionCastOp::create(b, loc, type, inputs).getResult(0);
  };
  addSourceMaterialization(materialize);
  addTargetMaterialization(materialize);
}

bool conversion::isUnsignedStorage(Type type) {
  auto q = dyn_cast<quant::QuantizedType>(getElementTypeOrSelf(type));
  return q && !q.isSigned();
}

Value conversion::emptyLike(OpBuilder &b, Location loc, RankedTensorType type) {
  return tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
}

Value conversion::filledTensor(OpBuilder &b, Location loc,
                               RankedTensorType type, TypedAttr value) {
  Value scalar = arith::ConstantOp::create(b, loc, value);
  return linalg::FillOp::create(b, loc, scalar, emptyLike(b, loc, type))
      .getResult(0);
}

AffineMap conversion::broadcastMap(ArrayRef<int64_t> shape,
                                   ArrayRef<int64_t> outShape,
                                   MLIRContext *ctx) {
  SmallVector<AffineExpr> exprs;
  size_t offset = outShape.size() - shape.size();
  for (size_t i = 0; i < shape.size(); ++i)
    exprs.push_back(shape[i] == 1 && outShape[i + offset] != 1
                        ? getAffineConstantExpr(0, ctx)
                        : getAffineDimExpr(i + offset, ctx));
  return AffineMap::get(outShape.size(), 0, exprs, ctx);
}

Value conversion::buildElementwise(OpBuilder &b, Location loc,
                                   RankedTensorType resultType,
                                   ValueRange inputs,
                                   ArrayRef<AffineMap> inputMaps,
                                   ScalarBuilder body) {
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(b.getMultiDimIdentityMap(resultType.getRank()));
  SmallVector<utils::IteratorType> iterators(resultType.getRank(),
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, resultType, inputs, emptyLike(b, loc, resultType), maps,
      iterators, [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result = body(nested, nestedLoc, args.drop_back());
        linalg::YieldOp::create(nested, nestedLoc, result);
      });
  return generic.getResult(0);
}

Value conversion::buildElementwise(OpBuilder &b, Location loc,
                                   RankedTensorType resultType,
                                   ValueRange inputs, ScalarBuilder body) {
  SmallVector<AffineMap> maps;
  for (Value input : inputs)
    maps.push_back(broadcastMap(cast<RankedTensorType>(input.getType()).getShape(),
                                resultType.getShape(), b.getContext()));
  return buildElementwise(b, loc, resultType, inputs, maps, body);
}

Value conversion::constantI64(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIntOp::create(b, loc, b.getI64Type(), v);
}

Value conversion::constantF32(OpBuilder &b, Location loc, float v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

Value conversion::constantI64Tensor(OpBuilder &b, Location loc,
                                    ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                    b.getI64Type());
  return arith::ConstantOp::create(b, loc, DenseIntElementsAttr::get(type, values));
}

Value conversion::constantF32Tensor(OpBuilder &b, Location loc,
                                    ArrayRef<float> values) {
  auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                    b.getF32Type());
  return arith::ConstantOp::create(b, loc, DenseFPElementsAttr::get(type, values));
}

Value conversion::extendInteger(OpBuilder &b, Location loc, Value v, Type type,
                                bool isUnsigned) {
  if (v.getType() == type)
    return v;
  if (isUnsigned)
    return arith::ExtUIOp::create(b, loc, type, v);
  return arith::ExtSIOp::create(b, loc, type, v);
}

Value conversion::extendToI64(OpBuilder &b, Location loc, Value v,
                              bool isUnsigned) {
  return extendInteger(b, loc, v, b.getI64Type(), isUnsigned);
}

Value conversion::clampAndTruncate(OpBuilder &b, Location loc, Value v,
                                   int64_t lo, int64_t hi, Type type) {
  v = arith::MaxSIOp::create(b, loc, v, constantI64(b, loc, lo));
  v = arith::MinSIOp::create(b, loc, v, constantI64(b, loc, hi));
  if (type.isInteger(64))
    return v;
  return arith::TruncIOp::create(b, loc, type, v);
}

/// gemmlowp's saturating rounding doubling high multiply and rounding divide
/// by a power of two, on i64 values holding i32 quantities.
static Value buildDoubleRound(OpBuilder &b, Location loc, Value value,
                              Value multiplier, Value shift) {
  auto c = [&](int64_t v) { return constantI64(b, loc, v); };
  Value zero = c(0);
  Value leftShift = arith::MaxSIOp::create(
      b, loc, arith::SubIOp::create(b, loc, zero, shift), zero);
  Value rightShift = arith::MaxSIOp::create(b, loc, shift, zero);
  Value shifted = arith::ShLIOp::create(b, loc, value, leftShift);
  shifted = arith::MaxSIOp::create(b, loc, shifted, c(INT32_MIN));
  shifted = arith::MinSIOp::create(b, loc, shifted, c(INT32_MAX));
  // roundingDoublingHighMul; the INT32_MIN * INT32_MIN case saturates.
  Value product = arith::MulIOp::create(b, loc, shifted, multiplier);
  Value nonNegative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, product, zero);
  Value nudge = arith::SelectOp::create(b, loc, nonNegative, c(1ll << 30),
                                        c(1 - (1ll << 30)));
  Value high = arith::DivSIOp::create(
      b, loc, arith::AddIOp::create(b, loc, product, nudge), c(1ll << 31));
  Value minA = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, shifted,
                                     c(INT32_MIN));
  Value minB = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                     multiplier, c(INT32_MIN));
  high = arith::SelectOp::create(b, loc,
                                 arith::AndIOp::create(b, loc, minA, minB),
                                 c(INT32_MAX), high);
  // roundingDivideByPOT: ties away from zero.
  Value mask = arith::SubIOp::create(
      b, loc, arith::ShLIOp::create(b, loc, c(1), rightShift), c(1));
  Value remainder = arith::AndIOp::create(b, loc, high, mask);
  Value negative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, high, zero);
  Value threshold = arith::AddIOp::create(
      b, loc, arith::ShRSIOp::create(b, loc, mask, c(1)),
      arith::ExtUIOp::create(b, loc, b.getI64Type(), negative));
  Value up = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt,
                                   remainder, threshold);
  Value result = arith::AddIOp::create(
      b, loc, arith::ShRSIOp::create(b, loc, high, rightShift),
      arith::ExtUIOp::create(b, loc, b.getI64Type(), up));
  return result;
}

Value conversion::buildApplyMultiplier(OpBuilder &b, Location loc, Value value,
                                       Value multiplier, Value shift,
                                       qc::RoundingMode mode) {
  if (mode == qc::RoundingMode::DoubleRound)
    return buildDoubleRound(b, loc, value, multiplier, shift);
  auto c = [&](int64_t v) { return constantI64(b, loc, v); };
  // |value * multiplier| < 2^62 for i32 values and 31-bit multipliers, so
  // adding at most 2^61 below cannot overflow.
  Value product = arith::MulIOp::create(b, loc, value, multiplier);
  Value totalShift = arith::AddIOp::create(b, loc, shift, c(31));
  Value half = arith::ShLIOp::create(b, loc, c(1),
                                     arith::SubIOp::create(b, loc, totalShift, c(1)));
  if (mode == qc::RoundingMode::HalfUp) // an arithmetic shift floors
    return arith::ShRSIOp::create(b, loc, arith::AddIOp::create(b, loc, product, half),
                                  totalShift);
  if (mode == qc::RoundingMode::HalfAwayFromZero) {
    Value negative = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, product, c(0));
    Value magnitude = arith::SelectOp::create(
        b, loc, negative, arith::SubIOp::create(b, loc, c(0), product), product);
    Value quotient = arith::ShRUIOp::create(
        b, loc, arith::AddIOp::create(b, loc, magnitude, half), totalShift);
    return arith::SelectOp::create(
        b, loc, negative, arith::SubIOp::create(b, loc, c(0), quotient), quotient);
  }
  // Half to even without comparing remainders: with p = q 2^t + r and
  // 0 <= r < 2^t (an arithmetic shift floors), the rounded quotient is
  // floor((p + half - 1 + (q & 1)) / 2^t).
  Value parity = arith::AndIOp::create(
      b, loc, arith::ShRSIOp::create(b, loc, product, totalShift), c(1));
  Value bias = arith::AddIOp::create(b, loc, arith::SubIOp::create(b, loc, half, c(1)), parity);
  return arith::ShRSIOp::create(b, loc, arith::AddIOp::create(b, loc, product, bias),
                                totalShift);
}

Value conversion::buildQuantizeScalar(OpBuilder &b, Location loc, Value x,
                                      Value scale, Value zeroPoint,
                                      int64_t qmin, int64_t qmax,
                                      qc::RoundingMode mode) {
  Type intType = zeroPoint.getType();
  auto constant = [&](int64_t v) -> Value {
    return arith::ConstantIntOp::create(b, loc, intType, v);
  };
  Value scaled = arith::DivFOp::create(b, loc, x, scale);
  Value isNaN = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO,
                                      scaled, scaled);
  // Any bound beyond the final clamp gives the same result and keeps the
  // conversion to the integer type defined.
  Value bounded = arith::MaximumFOp::create(b, loc, scaled, constantF32(b, loc, -1e9f));
  bounded = arith::MinimumFOp::create(b, loc, bounded, constantF32(b, loc, 1e9f));
  Value rounded = mode == qc::RoundingMode::HalfToEven
                      ? math::RoundEvenOp::create(b, loc, bounded).getResult()
                      : math::RoundOp::create(b, loc, bounded).getResult();
  Value integer = arith::FPToSIOp::create(b, loc, intType, rounded);
  integer = arith::SelectOp::create(b, loc, isNaN, constant(0), integer);
  Value shifted = arith::AddIOp::create(b, loc, integer, zeroPoint);
  shifted = arith::MaxSIOp::create(b, loc, shifted, constant(qmin));
  return arith::MinSIOp::create(b, loc, shifted, constant(qmax));
}

Value conversion::toF32(OpBuilder &b, Location loc, Value v) {
  if (v.getType().isF32())
    return v;
  return arith::ExtFOp::create(b, loc, b.getF32Type(), v);
}

Value conversion::roundToFloat8(OpBuilder &b, Location loc, Value v, FloatType format) {
  const llvm::fltSemantics &semantics = format.getFloatSemantics();
  int mantissaBits = llvm::APFloat::semanticsPrecision(semantics) - 1;
  int minExponent = llvm::APFloat::semanticsMinExponent(semantics);
  float largest = llvm::APFloat::getLargest(semantics).convertToFloat();
  Type i32 = b.getI32Type();
  auto i32Constant = [&](int32_t c) {
    return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(c)).getResult();
  };
  auto powerOfTwo = [&](Value exponent) { // 2^exponent for exponents f32 holds as normals
    Value biased = arith::AddIOp::create(b, loc, exponent, i32Constant(127));
    Value bits = arith::ShLIOp::create(b, loc, biased, i32Constant(23));
    return arith::BitcastOp::create(b, loc, b.getF32Type(), bits).getResult();
  };
  // The spacing of the format's values around |v|: 2^(e - mantissa bits) for
  // |v|'s binary exponent e, no finer than the subnormals' (e held in a range
  // where infinities and NaN stay what they are).
  Value magnitude = math::AbsFOp::create(b, loc, v);
  Value bits = arith::BitcastOp::create(b, loc, i32, magnitude);
  Value exponent = arith::SubIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, bits, i32Constant(23)), i32Constant(127));
  exponent = arith::MaxSIOp::create(b, loc, exponent, i32Constant(minExponent));
  exponent = arith::MinSIOp::create(b, loc, exponent, i32Constant(30));
  Value step = arith::SubIOp::create(b, loc, exponent, i32Constant(mantissaBits));
  Value steps = math::RoundEvenOp::create(
      b, loc,
      arith::MulFOp::create(b, loc, magnitude,
                            powerOfTwo(arith::SubIOp::create(b, loc, i32Constant(0), step))));
  Value rounded = arith::MulFOp::create(b, loc, steps, powerOfTwo(step));
  // Past the largest finite value: infinity where the format has one, else NaN.
  bool hasInfinity = llvm::APFloat::semanticsHasInf(semantics);
  Value overflow = constantF32(b, loc, hasInfinity ? INFINITY : NAN);
  rounded = arith::SelectOp::create(
      b, loc, arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, rounded,
                                    constantF32(b, loc, largest)),
      overflow, rounded);
  Value result = math::CopySignOp::create(b, loc, rounded, v);
  // Formats without a negative zero (the FNUZ ones): -0 + 0 is +0.
  if (!llvm::APFloat::getZero(semantics, /*Negative=*/true).isNegative())
    result = arith::AddFOp::create(b, loc, result, constantF32(b, loc, 0.0f));
  return result;
}

Value conversion::fromF32(OpBuilder &b, Location loc, Value v, Type type) {
  if (type.isF32())
    return v;
  return arith::TruncFOp::create(b, loc, type, v);
}

Value conversion::padTensor(OpBuilder &b, Location loc, Value value,
                            ArrayRef<int64_t> low, ArrayRef<int64_t> high,
                            Value padValue) {
  if (llvm::all_of(low, [](int64_t v) { return v == 0; }) &&
      llvm::all_of(high, [](int64_t v) { return v == 0; }))
    return value;
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape(type.getShape());
  for (size_t i = 0; i < shape.size(); ++i)
    shape[i] += low[i] + high[i];
  auto padded = tensor::PadOp::create(
      b, loc, type.clone(shape), value,
      getAsIndexOpFoldResult(b.getContext(), low),
      getAsIndexOpFoldResult(b.getContext(), high), padValue);
  return padded.getResult();
}

SmallVector<ReassociationIndices> conversion::groupDims(ArrayRef<int64_t> sizes) {
  SmallVector<ReassociationIndices> groups;
  int64_t next = 0;
  for (int64_t size : sizes) {
    ReassociationIndices group;
    for (int64_t i = 0; i < size; ++i)
      group.push_back(next++);
    groups.push_back(group);
  }
  return groups;
}

AffineMap conversion::quantParamMap(const qc::QuantLayout &layout,
                                    MLIRContext *ctx) {
  int64_t rank = layout.paramShape.size();
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < rank; ++d)
    exprs.push_back(layout.paramShape[d] == 1
                        ? getAffineConstantExpr(0, ctx)
                        : getAffineDimExpr(d, ctx).floorDiv(layout.blockShape[d]));
  return AffineMap::get(rank, 0, exprs, ctx);
}

ElementsAttr conversion::getStoredConstant(Value weight) {
  while (Operation *def = weight.getDefiningOp()) {
    if (auto cast = dyn_cast<UnrealizedConversionCastOp>(def)) {
      if (cast.getInputs().size() != 1)
        return nullptr;
      weight = cast.getInputs()[0];
    } else if (auto cast = dyn_cast<quant::StorageCastOp>(def)) {
      weight = cast.getInput();
    } else if (auto constant = dyn_cast<qc::ConstantOp>(def)) {
      return dyn_cast<ElementsAttr>(constant.getValue());
    } else if (auto constant = dyn_cast<arith::ConstantOp>(def)) {
      return dyn_cast<ElementsAttr>(constant.getValue());
    } else {
      return nullptr;
    }
  }
  return nullptr;
}

Value conversion::as2D(OpBuilder &b, Location loc, Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getRank() == 4)
    return v;
  ArrayRef<int64_t> s = type.getShape();
  return tensor::ExpandShapeOp::create(
      b, loc, type.clone({s[0], s[1], 1, s[2]}), v,
      SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
}

Value conversion::buildKernelCall(OpBuilder &b, Location loc, StringRef kernel,
                                  SmallVector<Value> inputs, ArrayRef<int64_t> params,
                                  RankedTensorType resultType) {
  inputs.push_back(constantVector<int64_t>(b, loc, params, b.getI64Type()));
  return qc::MicrokernelOp::create(b, loc, TypeRange{resultType}, b.getStringAttr(kernel),
                                   inputs, ValueRange{emptyLike(b, loc, resultType)})
      .getResult(0);
}
