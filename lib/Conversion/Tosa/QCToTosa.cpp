//===- QCToTosa.cpp - the convert-qc-to-tosa pass ---------------*- C++ -*-===//
//
// Exports the integer graph of a folded qc module to TOSA 1.0, the form that
// TOSA-based stacks consume: storage integers with explicit zero-point
// operands, NHWC layers, and one tosa.rescale per requantization.
//
// The export is exact, never approximate: every op is either translated into
// TOSA ops with the same integer results or rejected, with the reason, before
// anything is rewritten. Function arguments that are only quantized and
// results that are only dequantized become the storage integers themselves
// (their `!quant.uniform` type kept in `qc.quant_type`), because TOSA cannot
// divide by a scale in float as qc.quantize does.
//
//===----------------------------------------------------------------------===//
#include "quantc/Conversion/Passes.h"
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Dialect/QC/QuantUtils.h"
#include "quantc/Reference/Tensor.h"

#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Dialect/Tosa/Transforms/Passes.h"
#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/TypeSwitch.h"

namespace quantc {
#define GEN_PASS_DEF_CONVERTQCTOTOSA
#include "quantc/Conversion/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;

namespace {
constexpr StringLiteral kQuantTypeAttr = "qc.quant_type";

//===----------------------------------------------------------------------===//
// What TOSA expresses
//===----------------------------------------------------------------------===//

/// The zero point of a per-tensor type, or of a per-axis type whose zero
/// points all agree (TOSA has one zero point per operand).
std::optional<int64_t> uniformZeroPoint(Type type) {
  FailureOr<qc::QuantLayout> layout = qc::QuantLayout::get(type);
  if (failed(layout) || !llvm::all_equal(layout->zeroPoints))
    return std::nullopt;
  return layout->zeroPoints.front();
}

/// Whether `type` is a tensor of signed 8- or 16-bit quantized values, the
/// storage TOSA's integer profile computes on.
bool isSignedStorage(Type type, unsigned maxBits = 16) {
  auto q = qc::getQuantizedType(type);
  return q && q.isSigned() && q.getStorageTypeIntegralWidth() <= maxBits;
}

/// TOSA's right shift `31 + shift` must lie in [2, 62].
bool isTosaShift(int64_t shift) { return 31 + shift >= 2 && 31 + shift <= 62; }

/// Whether all users of `arg` quantize it to one type.
bool isOnlyQuantized(Value arg) {
  return !arg.use_empty() && llvm::all_of(arg.getUsers(), [&](Operation *user) {
    return isa<qc::QuantizeOp>(user) &&
           user->getResult(0).getType() ==
               (*arg.getUsers().begin())->getResult(0).getType();
  });
}

/// Whether `op` converts a function argument or result at the boundary,
/// where the caller quantizes or dequantizes instead.
bool isBoundaryConversion(Operation *op) {
  if (auto q = dyn_cast<qc::QuantizeOp>(op))
    return isa<BlockArgument>(q.getInput()) && isOnlyQuantized(q.getInput());
  return isa<qc::DequantizeOp>(op) &&
         llvm::all_of(op->getUsers(), llvm::IsaPred<func::ReturnOp>);
}

/// Why `op` has no exact TOSA form, or success.
LogicalResult checkExportable(Operation *op) {
  auto reject = [&](const Twine &why) {
    return op->emitError() << "has no exact TOSA form: " << why;
  };
  auto checkRescale = [&](ArrayRef<int32_t> shifts, qc::RoundingMode mode,
                          int64_t leftShift = 0) -> LogicalResult {
    if (mode != qc::RoundingMode::HalfUp)
      return reject("TOSA rescales round half up (SINGLE_ROUND); quantize "
                    "with rounding=half_up (qc-fold-scales, quantc "
                    "--rounding half_up) to export, not " +
                    qc::stringifyRoundingMode(mode));
    for (int32_t s : shifts)
      if (!isTosaShift(s - leftShift))
        return reject("a rescale shift of " + Twine(31 + s - leftShift) +
                      " is outside TOSA's [2, 62]");
    return success();
  };
  return TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](qc::RequantizeOp r) -> LogicalResult {
        if (!isSignedStorage(r.getType()) ||
            (qc::getQuantizedType(r.getInput().getType()) &&
             !isSignedStorage(r.getInput().getType())))
          return reject("TOSA rescales signed 8/16-bit values");
        return checkRescale(r.getShift(), r.getRounding());
      })
      .Case([&](qc::QAddOp a) -> LogicalResult {
        if (!isSignedStorage(a.getLhs().getType()) ||
            !isSignedStorage(a.getRhs().getType()) ||
            !isSignedStorage(a.getType()))
          return reject("TOSA adds signed 8/16-bit values");
        if (failed(checkRescale(a.getShift().take_front(2), a.getRounding(),
                                a.getLeftShift())))
          return failure();
        return checkRescale(a.getShift().drop_front(2), a.getRounding());
      })
      .Case([&](qc::QConvOp c) -> LogicalResult {
        auto w = c.getWeight().getType();
        if (w.getRank() != 4)
          return reject("only 2-d convolutions map to tosa.conv2d");
        if (!isSignedStorage(c.getInput().getType(), 8) ||
            !isSignedStorage(w, 8) || !uniformZeroPoint(w))
          return reject("TOSA convolves signed 8-bit values with one weight "
                        "zero point");
        int64_t channels = c.getInput().getType().getDimSize(1);
        int64_t group = c.getGroup();
        if (group != 1 && (group != channels || w.getDimSize(1) != 1))
          return reject("TOSA has plain and depthwise convolutions, not " +
                        Twine(group) + " groups");
        return success();
      })
      .Case([&](qc::QMatMulOp m) -> LogicalResult {
        auto lhs = m.getLhs().getType(), rhs = m.getRhs().getType();
        if (!isSignedStorage(lhs, 8) || !isSignedStorage(rhs, 8) ||
            !uniformZeroPoint(rhs))
          return reject("TOSA multiplies signed 8-bit matrices with one zero "
                        "point each");
        if (lhs.getRank() < 2 || (rhs.getRank() != 2 && rhs.getRank() != lhs.getRank()))
          return reject("the operands are not (batched) matrices");
        return success();
      })
      .Case([&](qc::LookupTableOp t) -> LogicalResult {
        if (!isSignedStorage(t.getInput().getType(), 8) ||
            !isSignedStorage(t.getType(), 8))
          return reject("tosa.table maps signed 8-bit values to signed 8-bit "
                        "values");
        return success();
      })
      .Case([&](qc::MaxPoolOp p) -> LogicalResult {
        if (cast<RankedTensorType>(p.getInput().getType()).getRank() != 4 ||
            !qc::getUniformType(p.getType()))
          return reject("only 2-d max pooling of quantized tensors exports");
        if (llvm::any_of(p.getDilations(), [](int64_t d) { return d != 1; }))
          return reject("tosa.max_pool2d has no dilation");
        return success();
      })
      .Case([&](qc::SliceOp s) -> LogicalResult {
        if (llvm::any_of(s.getSteps(), [](int64_t step) { return step != 1; }))
          return reject("tosa.slice takes unit steps");
        return success();
      })
      .Case([&](qc::PadOp p) -> LogicalResult {
        if (p.getMode() != "constant" || !p.getValue().isZero())
          return reject("tosa.pad fills with the real zero only here");
        return success();
      })
      .Case<qc::ConstantOp, qc::ReshapeOp, qc::TransposeOp, qc::ConcatOp,
            qc::IdentityOp, quant::StorageCastOp>(
          [](Operation *) { return success(); })
      .Case<qc::QuantizeOp, qc::DequantizeOp>([&](Operation *op) -> LogicalResult {
        if (isBoundaryConversion(op))
          return success();
        return reject("float values inside the graph; only the function's "
                      "inputs and outputs may be quantized and dequantized");
      })
      .Default([&](Operation *other) -> LogicalResult {
        if (isa<qc::QCDialect>(other->getDialect()))
          return reject("no integer TOSA equivalent");
        return success();
      });
}

/// quantize(reshape(x)) → reshape(quantize(x)), and the same for transposes:
/// exact, because quantization is element-wise, and it brings the quantize
/// of a function argument to the argument.
template <typename MovementOp>
struct HoistQuantize : OpRewritePattern<qc::QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(qc::QuantizeOp op,
                                PatternRewriter &b) const override {
    auto movement = op.getInput().getDefiningOp<MovementOp>();
    auto type = qc::getUniformType(op.getType());
    if (!movement || !type || !movement->hasOneUse())
      return failure();
    auto inType = cast<RankedTensorType>(movement.getInput().getType());
    Value quantized = qc::QuantizeOp::create(b, op.getLoc(), inType.clone(type),
                                             movement.getInput(), op.getRounding());
    Operation *moved = b.clone(*movement);
    moved->setOperand(0, quantized);
    moved->getResult(0).setType(op.getType());
    b.replaceOp(op, moved->getResults());
    return success();
  }
};

/// reshape(dequantize(q)) → dequantize(reshape(q)), and for transposes: the
/// mirror image for function results.
template <typename MovementOp>
struct SinkDequantize : OpRewritePattern<MovementOp> {
  using OpRewritePattern<MovementOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(MovementOp op, PatternRewriter &b) const override {
    auto dq = op.getInput().template getDefiningOp<qc::DequantizeOp>();
    if (!dq || !qc::getUniformType(dq.getInput().getType()) || !dq->hasOneUse())
      return failure();
    auto type = cast<RankedTensorType>(op.getType());
    Operation *moved = b.clone(*op);
    moved->setOperand(0, dq.getInput());
    moved->getResult(0).setType(type.clone(getElementTypeOrSelf(dq.getInput())));
    b.replaceOpWithNewOp<qc::DequantizeOp>(op, type, moved->getResult(0));
    return success();
  }
};

/// Makes arguments that are only quantized, and results that are only
/// dequantized, the quantized values themselves.
void peelBoundaryConversions(func::FuncOp func) {
  if (func.isExternal())
    return;
  Block &entry = func.getBody().front();
  for (BlockArgument arg : entry.getArguments()) {
    if (!isOnlyQuantized(arg))
      continue;
    Type quantized = (*arg.getUsers().begin())->getResult(0).getType();
    for (Operation *user : llvm::make_early_inc_range(arg.getUsers())) {
      user->getResult(0).replaceAllUsesWith(arg);
      user->erase();
    }
    arg.setType(quantized);
    func.setArgAttr(arg.getArgNumber(), kQuantTypeAttr, TypeAttr::get(quantized));
  }
  func.walk([&](func::ReturnOp ret) {
    for (OpOperand &operand : ret->getOpOperands())
      if (auto dq = operand.get().getDefiningOp<qc::DequantizeOp>()) {
        operand.set(dq.getInput());
        func.setResultAttr(operand.getOperandNumber(), kQuantTypeAttr,
                           TypeAttr::get(dq.getInput().getType()));
        if (dq->use_empty())
          dq->erase();
      }
    func.setType(FunctionType::get(func.getContext(), entry.getArgumentTypes(),
                                   ret.getOperandTypes()));
  });
}

//===----------------------------------------------------------------------===//
// Builders
//===----------------------------------------------------------------------===//

class StorageTypeConverter : public TypeConverter {
public:
  StorageTypeConverter() {
    addConversion([](Type t) { return t; });
    addConversion([](RankedTensorType t) -> Type {
      if (auto q = dyn_cast<quant::QuantizedType>(t.getElementType()))
        return t.clone(IntegerType::get(t.getContext(),
                                        q.getStorageTypeIntegralWidth()));
      return t;
    });
  }
};

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

struct ConvertQCToTosaPass
    : quantc::impl::ConvertQCToTosaBase<ConvertQCToTosaPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    RewritePatternSet boundary(ctx);
    boundary.add<HoistQuantize<qc::ReshapeOp>, HoistQuantize<qc::TransposeOp>,
                 SinkDequantize<qc::ReshapeOp>, SinkDequantize<qc::TransposeOp>>(ctx);
    (void)applyPatternsGreedily(module, std::move(boundary));
    bool exportable = true;
    module.walk([&](Operation *op) {
      exportable &= succeeded(checkExportable(op));
    });
    if (!exportable)
      return signalPassFailure();
    module.walk(peelBoundaryConversions);

    StorageTypeConverter converter;
    RewritePatternSet patterns(ctx);
    patterns.add<ConstantToTosa, RequantizeToTosa, QAddToTosa, QConvToTosa,
                 QMatMulToTosa, LookupTableToTosa, MaxPoolToTosa, ReshapeToTosa,
                 TransposeToTosa, ConcatToTosa, SliceToTosa, PadToTosa,
                 ForwardToTosa<qc::IdentityOp>, ForwardToTosa<quant::StorageCastOp>>(
        converter, ctx);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                   converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    populateCallOpTypeConversionPattern(patterns, converter);
    ConversionTarget target(*ctx);
    target.addLegalDialect<tosa::TosaDialect>();
    target.addIllegalDialect<qc::QCDialect>();
    target.addIllegalOp<quant::StorageCastOp>();
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp op) {
      return converter.isSignatureLegal(op.getFunctionType()) &&
             converter.isLegal(&op.getBody());
    });
    target.addDynamicallyLegalOp<func::ReturnOp, func::CallOp>(
        [&](Operation *op) { return converter.isLegal(op); });
    target.addLegalOp<ModuleOp>();
    if (failed(applyFullConversion(module, target, std::move(patterns))))
      return signalPassFailure();

    // Cancel the layout transposes between layers and fold those of weights.
    RewritePatternSet cleanup(ctx);
    for (RegisteredOperationName op : ctx->getRegisteredOperations())
      if (op.getDialectNamespace() == tosa::TosaDialect::getDialectNamespace())
        op.getCanonicalizationPatterns(cleanup, ctx);
    tosa::populateTosaFoldConstantTransposePatterns(ctx, cleanup);
    (void)applyPatternsGreedily(module, std::move(cleanup));
  }
};
} // namespace
