//===- QuantLowering.cpp - quantize/requantize/qadd/... → linalg -*- C++ -*-===//
//
// Quantization parameters become constant tensors of the type's parameter
// shape, read through `d floordiv block` maps, so per-tensor, per-axis and
// sub-channel types share one lowering. Integer arithmetic runs in i64 with
// the helpers of LoweringUtils, which mirror QuantUtils exactly; quantize and
// dequantize of storage types up to 16 bits run in i32, which holds every
// intermediate and doubles the lanes per vector.
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "quantc/Dialect/QC/QuantUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::conversion;

namespace {
/// Scales (f32) and zero points (i32 for storage types up to 16 bits, else
/// i64) of a quantized tensor type as constant tensors of its parameter
/// shape, and the map that reads them.
struct QuantParams {
  Value scales, zeroPoints;
  AffineMap map;
};

FailureOr<QuantParams> buildQuantParams(OpBuilder &b, Location loc,
                                        Type quantizedTensor) {
  FailureOr<qc::QuantLayout> layout = qc::QuantLayout::get(quantizedTensor);
  if (failed(layout))
    return failure();
  AffineMap paramMap = quantParamMap(*layout, b.getContext());
  SmallVector<float> scales(layout->scales.begin(), layout->scales.end());
  auto f32Type = RankedTensorType::get(layout->paramShape, b.getF32Type());
  unsigned width = qc::getQuantizedType(quantizedTensor).getStorageTypeIntegralWidth();
  auto zpType = RankedTensorType::get(layout->paramShape,
                                      width <= 16 ? b.getI32Type() : b.getI64Type());
  SmallVector<APInt> zeroPoints;
  for (int64_t zp : layout->zeroPoints)
    zeroPoints.push_back(APInt(zpType.getElementTypeBitWidth(), zp, /*isSigned=*/true));
  QuantParams params;
  params.scales = arith::ConstantOp::create(
      b, loc, DenseFPElementsAttr::get(f32Type, ArrayRef(scales)));
  params.zeroPoints = arith::ConstantOp::create(
      b, loc, DenseIntElementsAttr::get(zpType, zeroPoints));
  params.map = paramMap;
  return params;
}

struct QuantizeLowering : OpConversionPattern<qc::QuantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::QuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    FailureOr<QuantParams> params =
        buildQuantParams(rewriter, loc, op.getType());
    if (failed(params))
      return rewriter.notifyMatchFailure(op, "unsupported quantized type");
    auto quantized = qc::getQuantizedType(op.getType());
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    int64_t rank = type.getRank();
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    int64_t qmin = quantized.getStorageTypeMin(), qmax = quantized.getStorageTypeMax();
    qc::RoundingMode mode = op.getRounding();
    Value result = buildElementwise(
        rewriter, loc, type,
        {adaptor.getInput(), params->scales, params->zeroPoints},
        {identity, params->map, params->map},
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value q = buildQuantizeScalar(b, l, toF32(b, l, args[0]), args[1],
                                        args[2], qmin, qmax, mode);
          return arith::TruncIOp::create(b, l, type.getElementType(), q)
              .getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct DequantizeLowering : OpConversionPattern<qc::DequantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::DequantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    FailureOr<QuantParams> params =
        buildQuantParams(rewriter, loc, op.getInput().getType());
    if (failed(params))
      return rewriter.notifyMatchFailure(op, "unsupported quantized type");
    auto type = cast<RankedTensorType>(op.getType());
    bool isUnsigned = isUnsignedStorage(op.getInput().getType());
    AffineMap identity = rewriter.getMultiDimIdentityMap(type.getRank());
    Value result = buildElementwise(
        rewriter, loc, type,
        {adaptor.getInput(), params->scales, params->zeroPoints},
        {identity, params->map, params->map},
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value centered = arith::SubIOp::create(
              b, l, extendInteger(b, l, args[0], args[2].getType(), isUnsigned), args[2]);
          Value real = arith::MulFOp::create(
              b, l, arith::SIToFPOp::create(b, l, b.getF32Type(), centered),
              args[1]);
          return fromF32(b, l, real, type.getElementType());
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Reads a per-channel i32 array along `axis` as an i64 tensor input, or a
/// scalar constant when it has one element.
struct ChannelParam {
  std::optional<Value> tensor;
  int64_t scalar = 0;
};

ChannelParam channelParam(OpBuilder &b, Location loc, ArrayRef<int32_t> values) {
  if (values.size() == 1)
    return {std::nullopt, values[0]};
  SmallVector<int64_t> wide(values.begin(), values.end());
  return {constantI64Tensor(b, loc, wide), 0};
}

struct RequantizeLowering : OpConversionPattern<qc::RequantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::RequantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    auto outType = qc::getUniformType(op.getType());
    int64_t inputZeroPoint = 0;
    if (auto inType = qc::getUniformType(op.getInput().getType()))
      inputZeroPoint = inType.getZeroPoint();
    bool isUnsigned = isUnsignedStorage(op.getInput().getType());
    int64_t lo = std::max<int64_t>(outType.getStorageTypeMin(),
                                   op.getClampMin().value_or(INT64_MIN));
    int64_t hi = std::min<int64_t>(outType.getStorageTypeMax(),
                                   op.getClampMax().value_or(INT64_MAX));
    int64_t rank = type.getRank();
    ChannelParam multiplier = channelParam(rewriter, loc, op.getMultiplier());
    ChannelParam shift = channelParam(rewriter, loc, op.getShift());
    SmallVector<Value> inputs = {adaptor.getInput()};
    SmallVector<AffineMap> maps = {rewriter.getMultiDimIdentityMap(rank)};
    if (multiplier.tensor) {
      AffineMap channel = AffineMap::get(
          rank, 0, getAffineDimExpr(*op.getAxis(), getContext()));
      inputs.append({*multiplier.tensor, *shift.tensor});
      maps.append({channel, channel});
    }
    qc::RoundingMode mode = op.getRounding();
    int64_t outZeroPoint = outType.getZeroPoint();
    Value result = buildElementwise(
        rewriter, loc, type, inputs, maps,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value m = multiplier.tensor ? args[1] : constantI64(b, l, multiplier.scalar);
          Value s = shift.tensor ? args[2] : constantI64(b, l, shift.scalar);
          Value v = arith::SubIOp::create(b, l, extendToI64(b, l, args[0], isUnsigned),
                                          constantI64(b, l, inputZeroPoint));
          Value y = arith::AddIOp::create(b, l, buildApplyMultiplier(b, l, v, m, s, mode),
                                          constantI64(b, l, outZeroPoint));
          return clampAndTruncate(b, l, y, lo, hi, type.getElementType());
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Centred i64 value of a storage integer of a quantized operand.
Value centered(OpBuilder &b, Location loc, Value v, Type quantizedTensor) {
  auto type = qc::getUniformType(quantizedTensor);
  return arith::SubIOp::create(
      b, loc, extendToI64(b, loc, v, !type.isSigned()),
      constantI64(b, loc, type.getZeroPoint()));
}

struct QAddLowering : OpConversionPattern<qc::QAddOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::QAddOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    auto outType = qc::getUniformType(op.getType());
    ArrayRef<int32_t> m = op.getMultiplier(), s = op.getShift();
    int64_t leftShift = op.getLeftShift();
    qc::RoundingMode mode = op.getRounding();
    Value result = buildElementwise(
        rewriter, op.getLoc(), type, adaptor.getOperands(),
        [&](OpBuilder &b, Location l, ValueRange args) {
          auto c = [&](int64_t v) { return constantI64(b, l, v); };
          auto rescale = [&](Value v, Type t, int i) {
            Value x = arith::ShLIOp::create(b, l, centered(b, l, v, t), c(leftShift));
            return buildApplyMultiplier(b, l, x, c(m[i]), c(s[i]), mode);
          };
          Value sum = arith::AddIOp::create(b, l, rescale(args[0], op.getLhs().getType(), 0),
                                            rescale(args[1], op.getRhs().getType(), 1));
          Value y = arith::AddIOp::create(b, l, buildApplyMultiplier(b, l, sum, c(m[2]), c(s[2]), mode),
                                          c(outType.getZeroPoint()));
          return clampAndTruncate(b, l, y, outType.getStorageTypeMin(),
                                  outType.getStorageTypeMax(), type.getElementType());
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct QMulLowering : OpConversionPattern<qc::QMulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::QMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    auto outType = qc::getUniformType(op.getType());
    qc::RoundingMode mode = op.getRounding();
    Value result = buildElementwise(
        rewriter, op.getLoc(), type, adaptor.getOperands(),
        [&](OpBuilder &b, Location l, ValueRange args) {
          auto c = [&](int64_t v) { return constantI64(b, l, v); };
          Value product = arith::MulIOp::create(
              b, l, centered(b, l, args[0], op.getLhs().getType()),
              centered(b, l, args[1], op.getRhs().getType()));
          Value y = arith::AddIOp::create(
              b, l, buildApplyMultiplier(b, l, product, c(op.getMultiplier()),
                                         c(op.getShift()), mode),
              c(outType.getZeroPoint()));
          return clampAndTruncate(b, l, y, outType.getStorageTypeMin(),
                                  outType.getStorageTypeMax(), type.getElementType());
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

FailureOr<TypedAttr> conversion::getLookupTable(qc::LookupTableOp op, Type element) {
  // The table holds storage integers of the result (as qc-fold-scales
  // writes it, often as a resource); other integer tables are narrowed.
  auto tableType = RankedTensorType::get({op.getTable().getNumElements()}, element);
  TypedAttr tableAttr = cast<TypedAttr>(op.getTable());
  if (tableAttr.getType() == tableType)
    return tableAttr;
  auto dense = dyn_cast<DenseIntElementsAttr>(op.getTable());
  if (!dense)
    return failure();
  SmallVector<APInt> entries;
  for (const APInt &v : dense.getValues<APInt>())
    entries.push_back(v.sextOrTrunc(element.getIntOrFloatBitWidth()));
  return TypedAttr(DenseIntElementsAttr::get(tableType, entries));
}

namespace {
struct LookupTableLowering : OpConversionPattern<qc::LookupTableOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::LookupTableOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    auto inType = qc::getQuantizedType(op.getInput().getType());
    FailureOr<TypedAttr> tableAttr = getLookupTable(op, type.getElementType());
    if (failed(tableAttr))
      return rewriter.notifyMatchFailure(op, "table of another type");
    Value tableValue = arith::ConstantOp::create(rewriter, loc, *tableAttr);
    int64_t qmin = inType.getStorageTypeMin();
    bool isUnsigned = !inType.isSigned();
    Value result = buildElementwise(
        rewriter, loc, type, adaptor.getInput(),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value index = arith::SubIOp::create(
              b, l, extendToI64(b, l, args[0], isUnsigned), constantI64(b, l, qmin));
          index = arith::IndexCastOp::create(b, l, b.getIndexType(), index);
          return tensor::ExtractOp::create(b, l, tableValue, index).getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// A storage cast only reinterprets: the converted operand passes through.
struct StorageCastLowering : OpConversionPattern<quant::StorageCastOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(quant::StorageCastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, adaptor.getInput());
    return success();
  }
};
} // namespace

void conversion::populateQuantPatterns(QCTypeConverter &converter,
                                       RewritePatternSet &patterns) {
  patterns.add<QuantizeLowering, DequantizeLowering, RequantizeLowering,
               QAddLowering, QMulLowering, LookupTableLowering,
               StorageCastLowering>(converter, patterns.getContext());
}
