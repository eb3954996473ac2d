//===- TosaExportPatterns.cpp - qc ops as TOSA 1.0 ops ----------*- C++ -*-===//
//
// The rewrite patterns of convert-qc-to-tosa, one per qc op, and the TOSA
// builders they share. The pass has checked beforehand that every op it
// rewrites has an exact TOSA form.
//
//===----------------------------------------------------------------------===//
#include "TosaExport.h"
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Dialect/QC/QuantUtils.h"
#include "quantc/Reference/Tensor.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::tosa_export;

tosa_export::StorageTypeConverter::StorageTypeConverter() {
  addConversion([](Type t) { return t; });
  addConversion([](RankedTensorType t) -> Type {
    if (auto q = dyn_cast<quant::QuantizedType>(t.getElementType()))
      return t.clone(IntegerType::get(t.getContext(), q.getStorageTypeIntegralWidth()));
    return t;
  });
}

/// The zero point of a per-tensor type, or of a per-axis type whose zero
/// points all agree (TOSA has one zero point per operand).
std::optional<int64_t> tosa_export::uniformZeroPoint(Type type) {
  FailureOr<qc::QuantLayout> layout = qc::QuantLayout::get(type);
  if (failed(layout) || !llvm::all_equal(layout->zeroPoints))
    return std::nullopt;
  return layout->zeroPoints.front();
}

namespace {
//===----------------------------------------------------------------------===//
// Builders
//===----------------------------------------------------------------------===//

RankedTensorType withShape(Value v, ArrayRef<int64_t> shape) {
  return cast<RankedTensorType>(v.getType()).clone(shape);
}

Value constant(OpBuilder &b, Location loc, DenseElementsAttr values) {
  return tosa::ConstOp::create(b, loc, values.getType(), values);
}

/// The elements of a qc constant (dense or dense_resource) as a dense
/// attribute of `type`, which TOSA's folders can read.
FailureOr<DenseElementsAttr> readDense(ElementsAttr attr, RankedTensorType type) {
  FailureOr<reference::Tensor> value = reference::Tensor::fromAttr(attr);
  if (failed(value))
    return failure();
  Type elem = type.getElementType();
  if (auto floatType = dyn_cast<FloatType>(elem)) {
    SmallVector<APFloat> floats;
    for (float f : value->floats()) {
      APFloat v(f);
      bool lost;
      v.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
      floats.push_back(v);
    }
    return DenseElementsAttr::get(type, floats);
  }
  SmallVector<APInt> ints;
  for (int64_t v : value->ints())
    ints.push_back(APInt(elem.getIntOrFloatBitWidth(), v, /*isSigned=*/true,
                         /*implicitTrunc=*/true));
  return DenseElementsAttr::get(type, ints);
}

/// A 1-element tensor (a zero point, a pad value).
Value scalar(OpBuilder &b, Location loc, Type elementType, int64_t value) {
  auto type = RankedTensorType::get({1}, elementType);
  return constant(b, loc, DenseElementsAttr::get(
                              type, b.getIntegerAttr(elementType, value)));
}

template <typename T>
Value vector(OpBuilder &b, Location loc, Type elementType, ArrayRef<T> values) {
  auto type = RankedTensorType::get({(int64_t)values.size()}, elementType);
  SmallVector<APInt> ints;
  for (T v : values)
    ints.push_back(APInt(elementType.getIntOrFloatBitWidth(), (int64_t)v, true));
  return constant(b, loc, DenseElementsAttr::get(type, ints));
}

Value reshape(PatternRewriter &b, Location loc, Value v, ArrayRef<int64_t> shape) {
  if (cast<RankedTensorType>(v.getType()).getShape() == shape)
    return v;
  return tosa::ReshapeOp::create(b, loc, withShape(v, shape), v,
                                 tosa::getTosaConstShape(b, loc, shape));
}

Value transpose(OpBuilder &b, Location loc, Value v, ArrayRef<int32_t> perm) {
  ArrayRef<int64_t> shape = cast<RankedTensorType>(v.getType()).getShape();
  SmallVector<int64_t> permuted;
  for (int32_t p : perm)
    permuted.push_back(shape[p]);
  return tosa::TransposeOp::create(b, loc, withShape(v, permuted), v, perm);
}

constexpr int32_t kToNHWC[] = {0, 2, 3, 1}, kToNCHW[] = {0, 3, 1, 2};

/// One tosa.rescale; `shifts` are qc shifts (TOSA's are `31 + shift`).
Value rescale(OpBuilder &b, Location loc, Type resultType, Value input,
              int64_t inputZp, int64_t outputZp, ArrayRef<int32_t> multipliers,
              ArrayRef<int32_t> shifts, int64_t leftShift = 0) {
  SmallVector<int32_t> tosaShifts;
  for (int32_t s : shifts)
    tosaShifts.push_back(31 + s - leftShift);
  Type inElem = getElementTypeOrSelf(input.getType());
  Type outElem = getElementTypeOrSelf(resultType);
  return tosa::RescaleOp::create(
      b, loc, resultType, input, vector(b, loc, b.getI32Type(), multipliers),
      vector(b, loc, b.getI8Type(), ArrayRef<int32_t>(tosaShifts)),
      scalar(b, loc, inElem, inputZp), scalar(b, loc, outElem, outputZp),
      /*scale32=*/true, tosa::RoundingMode::SINGLE_ROUND,
      /*per_channel=*/multipliers.size() > 1, /*input_unsigned=*/false,
      /*output_unsigned=*/false);
}

/// Pads or crops the end of each spatial dimension of an NHWC tensor so that
/// the window arithmetic TOSA verifies (`(in + pads - span) % stride == 0`)
/// yields exactly `outSizes`; the added rows are never read by a window.
/// Returns the input to use and the TOSA pad `[top, bottom, left, right]`.
std::pair<Value, SmallVector<int64_t>>
fitWindows(PatternRewriter &b, Location loc, Value nhwc, ArrayRef<int64_t> kernel,
           ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
           ArrayRef<int64_t> padsBegin, ArrayRef<int64_t> outSizes) {
  auto type = cast<RankedTensorType>(nhwc.getType());
  SmallVector<int64_t> pad, keep(type.getShape());
  for (int d = 0; d < 2; ++d) {
    int64_t in = type.getDimSize(1 + d);
    int64_t need = (outSizes[d] - 1) * strides[d] + (kernel[d] - 1) * dilations[d] +
                   1 - padsBegin[d];
    pad.append({padsBegin[d], std::max<int64_t>(need - in, 0)});
    keep[1 + d] = std::min(in, need);
  }
  if (keep != type.getShape())
    nhwc = tosa::SliceOp::create(
        b, loc, withShape(nhwc, keep), nhwc,
        tosa::getTosaConstShape(b, loc, SmallVector<int64_t>(4, 0)),
        tosa::getTosaConstShape(b, loc, keep));
  return {nhwc, pad};
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

template <typename Op>
struct ToTosa : OpConversionPattern<Op> {
  using OpConversionPattern<Op>::OpConversionPattern;
  RankedTensorType resultType(Op op) const {
    return cast<RankedTensorType>(
        this->getTypeConverter()->convertType(op->getResult(0).getType()));
  }
};

struct ConstantToTosa : ToTosa<qc::ConstantOp> {
  using ToTosa::ToTosa;
  LogicalResult matchAndRewrite(qc::ConstantOp op, OpAdaptor,
                                ConversionPatternRewriter &b) const override {
    FailureOr<DenseElementsAttr> values = readDense(op.getValue(), resultType(op));
    if (failed(values))
      return op.emitError("cannot read the constant");
    b.replaceOp(op, constant(b, op.getLoc(), *values));
    return success();
  }
};

template <typename Op>
struct ForwardToTosa : ToTosa<Op> {
  using ToTosa<Op>::ToTosa;
  LogicalResult matchAndRewrite(Op op, typename Op::Adaptor adaptor,
                                ConversionPatternRewriter &b) const override {
    b.replaceOp(op, adaptor.getOperands()[0]);
    return success();
  }
};

struct RequantizeToTosa : ToTosa<qc::RequantizeOp> {
  using ToTosa::ToTosa;
  LogicalResult matchAndRewrite(qc::RequantizeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &b) const override {
    Location loc = op.getLoc();
    RankedTensorType type = resultType(op);
    int64_t rank = type.getRank();
    auto out = qc::getUniformType(op.getType());
    int64_t inZp = 0;
    if (qc::getQuantizedType(op.getInput().getType()))
      inZp = qc::getUniformType(op.getInput().getType()).getZeroPoint();
    // TOSA's per-channel multipliers run along the last dimension.
    Value input = adaptor.getInput();
    SmallVector<int32_t> toLast, fromLast;
    if (op.getMultiplier().size() > 1 && (int64_t)*op.getAxis() != rank - 1) {
      for (int64_t d = 0; d < rank; ++d)
        if (d != (int64_t)*op.getAxis())
          toLast.push_back(d);
      toLast.push_back(*op.getAxis());
      fromLast.resize(rank);
      for (int64_t d = 0; d < rank; ++d)
        fromLast[toLast[d]] = d;
      input = transpose(b, loc, input, toLast);
    }
    auto inType = cast<RankedTensorType>(input.getType());
    Value result = rescale(b, loc, inType.clone(type.getElementType()), input,
                           inZp, out.getZeroPoint(), op.getMultiplier(),
                           op.getShift());
    // The type's (possibly narrow) range and a fused activation's bounds.
    int64_t lo = std::max<int64_t>(out.getStorageTypeMin(), op.getClampMin().value_or(INT64_MIN));
    int64_t hi = std::min<int64_t>(out.getStorageTypeMax(), op.getClampMax().value_or(INT64_MAX));
    unsigned bits = out.getStorageTypeIntegralWidth();
    if (lo > APInt::getSignedMinValue(bits).getSExtValue() ||
        hi < APInt::getSignedMaxValue(bits).getSExtValue())
      result = tosa::ClampOp::create(b, loc, result.getType(), result,
                                     b.getIntegerAttr(type.getElementType(), lo),
                                     b.getIntegerAttr(type.getElementType(), hi));
    if (!fromLast.empty())
      result = transpose(b, loc, result, fromLast);
    b.replaceOp(op, result);
    return success();
  }
};

struct QAddToTosa : ToTosa<qc::QAddOp> {
  using ToTosa::ToTosa;
  LogicalResult matchAndRewrite(qc::QAddOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &b) const override {
    Location loc = op.getLoc();
    RankedTensorType type = resultType(op);
    auto m = op.getMultiplier();
    auto s = op.getShift();
    // `(v << left_shift) * m >> (31 + s)` is `v * m >> (31 + s - left_shift)`
    // exactly, which is one rescale into i32 per operand.
    auto widen = [&](Value v, Value original, int i) {
      auto t = cast<RankedTensorType>(v.getType());
      Value wide = rescale(b, loc, t.clone(b.getI32Type()), v,
                           qc::getUniformType(original.getType()).getZeroPoint(),
                           0, m[i], s[i], op.getLeftShift());
      // tosa.add broadcasts between tensors of one rank.
      SmallVector<int64_t> shape(type.getRank() - t.getRank(), 1);
      llvm::append_range(shape, t.getShape());
      return reshape(b, loc, wide, shape);
    };
    Value sum = tosa::AddOp::create(b, loc, type.clone(b.getI32Type()),
                                    widen(adaptor.getLhs(), op.getLhs(), 0),
                                    widen(adaptor.getRhs(), op.getRhs(), 1));
    b.replaceOp(op, rescale(b, loc, type, sum, 0,
                            qc::getUniformType(op.getType()).getZeroPoint(),
                            m[2], s[2]));
    return success();
  }
};

/// qc.qconv (NCHW) as tosa.conv2d or tosa.depthwise_conv2d (NHWC) between
/// transposes, which cancel between consecutive layers.
struct QConvToTosa : ToTosa<qc::QConvOp> {
  using ToTosa::ToTosa;
  LogicalResult matchAndRewrite(qc::QConvOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &b) const override {
    Location loc = op.getLoc();
    RankedTensorType type = resultType(op);
    auto wType = op.getWeight().getType();
    int64_t outChannels = wType.getDimSize(0);
    int64_t inZp = qc::getUniformType(op.getInput().getType()).getZeroPoint();
    int64_t wZp = *uniformZeroPoint(wType);
    ArrayRef<int64_t> pads = op.getPads();
    Value input = transpose(b, loc, adaptor.getInput(), kToNHWC);
    Type i8 = b.getI8Type();
    SmallVector<int64_t> padsBegin = {pads[0], pads[1]};
    if (op.getZeroPointFolded()) {
      // The folded bias expects the padding to hold the stored zero point
      // and the input to be accumulated as stored.
      if (llvm::any_of(pads, [](int64_t p) { return p != 0; })) {
        auto shape = cast<RankedTensorType>(input.getType()).getShape();
        SmallVector<int64_t> padded(shape);
        padded[1] += pads[0] + pads[2];
        padded[2] += pads[1] + pads[3];
        input = tosa::PadOp::create(
            b, loc, withShape(input, padded), input,
            tosa::getTosaConstShape(b, loc, {0, 0, pads[0], pads[2], pads[1], pads[3], 0, 0}),
            scalar(b, loc, i8, inZp));
        padsBegin = {0, 0};
      }
      inZp = 0;
    }
    auto [fitted, tosaPad] =
        fitWindows(b, loc, input, wType.getShape().drop_front(2), op.getStrides(),
                   op.getDilations(), padsBegin, type.getShape().drop_front(2));
    Value bias = adaptor.getBias();
    if (!bias)
      bias = constant(b, loc, DenseElementsAttr::get(
                                  RankedTensorType::get({outChannels}, b.getI32Type()),
                                  b.getI32IntegerAttr(0)));
    SmallVector<int64_t> nhwc = {type.getDimSize(0), type.getDimSize(2),
                                 type.getDimSize(3), outChannels};
    auto accType = RankedTensorType::get(nhwc, b.getI32Type());
    Value result;
    if (op.getGroup() == 1) {
      Value weight = transpose(b, loc, adaptor.getWeight(), kToNHWC); // OHWI
      result = tosa::Conv2DOp::create(
          b, loc, accType, fitted, weight, bias, scalar(b, loc, i8, inZp),
          scalar(b, loc, i8, wZp), b.getDenseI64ArrayAttr(tosaPad),
          b.getDenseI64ArrayAttr(op.getStrides()),
          b.getDenseI64ArrayAttr(op.getDilations()), TypeAttr::get(b.getI32Type()),
          b.getBoolAttr(false));
    } else {
      // [C * M, 1, KH, KW] → [KH, KW, C, M].
      int64_t channels = op.getGroup();
      int64_t kh = wType.getDimSize(2), kw = wType.getDimSize(3);
      Value weight = reshape(b, loc, adaptor.getWeight(),
                             {channels, outChannels / channels, kh, kw});
      weight = transpose(b, loc, weight, {2, 3, 0, 1});
      result = tosa::DepthwiseConv2DOp::create(
          b, loc, accType, fitted, weight, bias, scalar(b, loc, i8, inZp),
          scalar(b, loc, i8, wZp), b.getDenseI64ArrayAttr(tosaPad),
          b.getDenseI64ArrayAttr(op.getStrides()),
          b.getDenseI64ArrayAttr(op.getDilations()), TypeAttr::get(b.getI32Type()),
          b.getBoolAttr(false));
    }
    b.replaceOp(op, transpose(b, loc, result, kToNCHW));
    return success();
  }
};

/// qc.qmatmul as a rank-3 tosa.matmul and a broadcast bias add.
struct QMatMulToTosa : ToTosa<qc::QMatMulOp> {
  using ToTosa::ToTosa;
  LogicalResult matchAndRewrite(qc::QMatMulOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &b) const override {
    Location loc = op.getLoc();
    RankedTensorType type = resultType(op);
    auto lhsType = op.getLhs().getType();
    auto rhsType = op.getRhs().getType();
    int64_t m = lhsType.getDimSize(lhsType.getRank() - 2);
    int64_t k = lhsType.getDimSize(lhsType.getRank() - 1);
    int64_t n = rhsType.getDimSize(rhsType.getRank() - 1);
    int64_t batch = lhsType.getNumElements() / (m * k);
    bool sharedRhs = rhsType.getRank() == 2;
    Value lhs = reshape(b, loc, adaptor.getLhs(),
                        sharedRhs ? SmallVector<int64_t>{1, batch * m, k}
                                  : SmallVector<int64_t>{batch, m, k});
    Value rhs = reshape(b, loc, adaptor.getRhs(),
                        {sharedRhs ? 1 : batch, k, n});
    int64_t lhsZp = op.getZeroPointFolded()
                        ? 0
                        : qc::getUniformType(lhsType).getZeroPoint();
    Type i8 = b.getI8Type();
    Value result = tosa::MatMulOp::create(
        b, loc,
        RankedTensorType::get({sharedRhs ? 1 : batch, sharedRhs ? batch * m : m, n},
                              b.getI32Type()),
        lhs, rhs, scalar(b, loc, i8, lhsZp),
        scalar(b, loc, i8, *uniformZeroPoint(rhsType)));
    if (Value bias = adaptor.getBias())
      result = tosa::AddOp::create(b, loc, result.getType(), result,
                                   reshape(b, loc, bias, {1, 1, n}));
    b.replaceOp(op, reshape(b, loc, result, type.getShape()));
    return success();
  }
};

struct LookupTableToTosa : ToTosa<qc::LookupTableOp> {
  using ToTosa::ToTosa;
  LogicalResult matchAndRewrite(qc::LookupTableOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &b) const override {
    // tosa.table reads entry `value + 128` of an i8 table: qc's `q - qmin`.
    FailureOr<DenseElementsAttr> table = readDense(
        op.getTable(), RankedTensorType::get({256}, b.getI8Type()));
    if (failed(table))
      return op.emitError("cannot read the table");
    b.replaceOpWithNewOp<tosa::TableOp>(op, resultType(op), adaptor.getInput(),
                                        constant(b, op.getLoc(), *table));
    return success();
  }
};

struct MaxPoolToTosa : ToTosa<qc::MaxPoolOp> {
  using ToTosa::ToTosa;
  LogicalResult matchAndRewrite(qc::MaxPoolOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &b) const override {
    Location loc = op.getLoc();
    RankedTensorType type = resultType(op);
    Value input = transpose(b, loc, adaptor.getInput(), kToNHWC);
    ArrayRef<int64_t> pads = op.getPads();
    auto [fitted, tosaPad] = fitWindows(
        b, loc, input, op.getKernelShape(), op.getStrides(), op.getDilations(),
        {pads[0], pads[1]}, type.getShape().drop_front(2));
    SmallVector<int64_t> nhwc = {type.getDimSize(0), type.getDimSize(2),
                                 type.getDimSize(3), type.getDimSize(1)};
    Value pooled = tosa::MaxPool2dOp::create(b, loc, type.clone(nhwc), fitted,
                                             op.getKernelShape(), op.getStrides(),
                                             tosaPad);
    b.replaceOp(op, transpose(b, loc, pooled, kToNCHW));
    return success();
  }
};

struct ReshapeToTosa : ToTosa<qc::ReshapeOp> {
  using ToTosa::ToTosa;
  LogicalResult matchAndRewrite(qc::ReshapeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &b) const override {
    b.replaceOp(op, reshape(b, op.getLoc(), adaptor.getInput(),
                            resultType(op).getShape()));
    return success();
  }
};

struct TransposeToTosa : ToTosa<qc::TransposeOp> {
  using ToTosa::ToTosa;
  LogicalResult matchAndRewrite(qc::TransposeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &b) const override {
    SmallVector<int32_t> perm(op.getPerm());
    b.replaceOp(op, transpose(b, op.getLoc(), adaptor.getInput(), perm));
    return success();
  }
};

struct ConcatToTosa : ToTosa<qc::ConcatOp> {
  using ToTosa::ToTosa;
  LogicalResult matchAndRewrite(qc::ConcatOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &b) const override {
    b.replaceOpWithNewOp<tosa::ConcatOp>(op, resultType(op), adaptor.getInputs(),
                                         (uint32_t)op.getAxis());
    return success();
  }
};

struct SliceToTosa : ToTosa<qc::SliceOp> {
  using ToTosa::ToTosa;
  LogicalResult matchAndRewrite(qc::SliceOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &b) const override {
    RankedTensorType type = resultType(op);
    b.replaceOpWithNewOp<tosa::SliceOp>(
        op, type, adaptor.getInput(),
        tosa::getTosaConstShape(b, op.getLoc(), op.getStarts()),
        tosa::getTosaConstShape(b, op.getLoc(), type.getShape()));
    return success();
  }
};

struct PadToTosa : ToTosa<qc::PadOp> {
  using ToTosa::ToTosa;
  LogicalResult matchAndRewrite(qc::PadOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &b) const override {
    // qc lists all begin pads, then all end pads; TOSA pairs them per dim.
    ArrayRef<int64_t> pads = op.getPads();
    int64_t rank = pads.size() / 2;
    SmallVector<int64_t> pairs;
    for (int64_t d = 0; d < rank; ++d)
      pairs.append({pads[d], pads[rank + d]});
    RankedTensorType type = resultType(op);
    int64_t zp = 0;
    if (auto q = qc::getUniformType(op.getType()))
      zp = q.getZeroPoint();
    Value fill = isa<FloatType>(type.getElementType())
                     ? constant(b, op.getLoc(),
                                DenseElementsAttr::get(
                                    RankedTensorType::get({1}, type.getElementType()),
                                    b.getFloatAttr(type.getElementType(), 0.0)))
                     : scalar(b, op.getLoc(), type.getElementType(), zp);
    b.replaceOpWithNewOp<tosa::PadOp>(
        op, type, adaptor.getInput(),
        tosa::getTosaConstShape(b, op.getLoc(), pairs), fill);
    return success();
  }
};

} // namespace

void tosa_export::populateQCToTosaPatterns(StorageTypeConverter &converter,
                                           RewritePatternSet &patterns) {
  patterns.add<ConstantToTosa, RequantizeToTosa, QAddToTosa, QConvToTosa, QMatMulToTosa,
               LookupTableToTosa, MaxPoolToTosa, ReshapeToTosa, TransposeToTosa,
               ConcatToTosa, SliceToTosa, PadToTosa, ForwardToTosa<qc::IdentityOp>,
               ForwardToTosa<quant::StorageCastOp>>(converter, patterns.getContext());
}
