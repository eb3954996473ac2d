//===- TosaToQC.cpp - the convert-tosa-to-qc pass ---------------*- C++ -*-===//
//
// Imports TOSA integer graphs (what convert-qc-to-tosa writes, and what
// TOSA-based frontends produce for int8 models) into qc, so quantc's
// evaluator, report and code generators apply to them.
//
// TOSA keeps zero points on the operations, not on the values, while qc keeps
// them in `!quant.uniform` types. Each imported value therefore takes the zero
// point its producer gives it (a rescale's output_zp; scale 1.0, since TOSA
// has no scales), and a consumer that reads it with another zero point sees
// it through a `quant.scast` re-typing, which changes no integer. This needs
// the producers' results before their consumers, so the pass translates each
// function in order instead of rewriting ops independently.
//
//===----------------------------------------------------------------------===//
#include "quantc/Conversion/Passes.h"
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Dialect/QC/QuantUtils.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/TypeSwitch.h"

namespace quantc {
#define GEN_PASS_DEF_CONVERTTOSATOQC
#include "quantc/Conversion/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;

namespace {
constexpr StringLiteral kQuantTypeAttr = "qc.quant_type";
constexpr int64_t kToNHWC[] = {0, 2, 3, 1}, kToNCHW[] = {0, 3, 1, 2};

/// Translates one function body from TOSA to qc.
class FunctionImporter {
public:
  explicit FunctionImporter(func::FuncOp func) : func(func), b(func.getContext()) {}

  LogicalResult run();

private:
  LogicalResult importOp(Operation *op);

  //---- values --------------------------------------------------------------
  /// The qc value of a TOSA value (a quantized tensor for 8/16-bit integers).
  Value lookup(Value v) { return mapping.lookupOrDefault(v); }
  /// `v` as a quantized tensor with zero point `zp`.
  Value withZeroPoint(Value v, int64_t zp);
  Value quantizedWith(Value tosaValue, Value zpOperand, Operation *op);
  FailureOr<int64_t> scalarOf(Value zpOperand);
  FailureOr<SmallVector<int64_t>> intsOf(Value constant);

  RankedTensorType quantizedType(RankedTensorType storage, int64_t zp);
  Value transpose(Value v, ArrayRef<int64_t> perm);

  //---- operations ----------------------------------------------------------
  LogicalResult importConst(tosa::ConstOp op);
  LogicalResult importRescale(tosa::RescaleOp op);
  LogicalResult importAddRescale(tosa::RescaleOp op, tosa::AddOp add);
  LogicalResult importClamp(tosa::ClampOp op);
  LogicalResult importConv(Operation *op, bool depthwise);
  LogicalResult importMatMul(tosa::MatMulOp op);
  LogicalResult importAdd(tosa::AddOp op);
  LogicalResult importTable(tosa::TableOp op);
  LogicalResult importMaxPool(tosa::MaxPool2dOp op);
  LogicalResult importMovement(Operation *op);

  func::FuncOp func;
  OpBuilder b;
  IRMapping mapping;
};

RankedTensorType FunctionImporter::quantizedType(RankedTensorType storage,
                                                 int64_t zp) {
  auto intType = cast<IntegerType>(storage.getElementType());
  unsigned bits = intType.getWidth();
  auto q = quant::UniformQuantizedType::get(
      quant::QuantizationFlags::Signed, intType, b.getF32Type(), 1.0, zp,
      APInt::getSignedMinValue(bits).getSExtValue(),
      APInt::getSignedMaxValue(bits).getSExtValue());
  return storage.clone(q);
}

Value FunctionImporter::withZeroPoint(Value v, int64_t zp) {
  auto type = cast<RankedTensorType>(v.getType());
  auto q = qc::getUniformType(type);
  if (q && q.getZeroPoint() == zp)
    return v;
  Location loc = v.getLoc();
  Value storage = v;
  if (q)
    storage = quant::StorageCastOp::create(b, loc, type.clone(q.getStorageType()), v);
  return quant::StorageCastOp::create(
      b, loc, quantizedType(cast<RankedTensorType>(storage.getType()), zp), storage);
}

FailureOr<SmallVector<int64_t>> FunctionImporter::intsOf(Value constant) {
  DenseElementsAttr attr;
  if (!matchPattern(constant, m_Constant(&attr)) ||
      !isa<IntegerType>(attr.getElementType()))
    return failure();
  SmallVector<int64_t> values;
  for (APInt v : attr.getValues<APInt>())
    values.push_back(v.getSExtValue());
  return values;
}

FailureOr<int64_t> FunctionImporter::scalarOf(Value zpOperand) {
  FailureOr<SmallVector<int64_t>> values = intsOf(zpOperand);
  if (failed(values) || values->size() != 1)
    return failure();
  return values->front();
}

Value FunctionImporter::quantizedWith(Value tosaValue, Value zpOperand,
                                      Operation *op) {
  FailureOr<int64_t> zp = scalarOf(zpOperand);
  if (failed(zp)) {
    op->emitError("needs constant zero points");
    return nullptr;
  }
  return withZeroPoint(lookup(tosaValue), *zp);
}

Value FunctionImporter::transpose(Value v, ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  return qc::TransposeOp::create(b, v.getLoc(), type.clone(shape), v, perm);
}

//===----------------------------------------------------------------------===//
// Operations
//===----------------------------------------------------------------------===//

LogicalResult FunctionImporter::importConst(tosa::ConstOp op) {
  // Integer constants are read later as what their consumer needs
  // (zero points, multipliers); as tensors they are storage integers.
  mapping.map(op.getResult(),
              qc::ConstantOp::create(b, op.getLoc(), op.getValues()));
  return success();
}

LogicalResult FunctionImporter::importRescale(tosa::RescaleOp op) {
  if (op.getInputUnsigned() || op.getOutputUnsigned() || !op.getScale32())
    return op.emitError("only signed rescales with 32-bit multipliers import");
  FailureOr<SmallVector<int64_t>> multipliers = intsOf(op.getMultiplier());
  FailureOr<SmallVector<int64_t>> shifts = intsOf(op.getShift());
  FailureOr<int64_t> outZp = scalarOf(op.getOutputZp());
  if (failed(multipliers) || failed(shifts) || failed(outZp))
    return op.emitError("needs constant multipliers, shifts and zero points");
  // SINGLE_ROUND is half_up. DOUBLE_ROUND only differs for shifts above 31,
  // and INEXACT_ROUND leaves the rounding to the implementation.
  bool doubleRounds = op.getRoundingMode() == tosa::RoundingMode::DOUBLE_ROUND &&
                      llvm::any_of(*shifts, [](int64_t s) { return s > 31; });
  if (doubleRounds)
    return op.emitError("DOUBLE_ROUND with shifts above 31 has no qc rounding");
  SmallVector<int32_t> m, s;
  for (auto [mult, shift] : llvm::zip(*multipliers, *shifts)) {
    m.push_back(mult);
    s.push_back(shift - 31);
  }
  if (auto add = op.getInput().getDefiningOp<tosa::AddOp>();
      add && !lookup(add.getResult()))
    return importAddRescale(op, add);
  Value input = lookup(op.getInput());
  if (qc::getQuantizedType(input.getType())) {
    input = quantizedWith(op.getInput(), op.getInputZp(), op);
    if (!input)
      return failure();
  }
  auto outType = cast<RankedTensorType>(op.getType());
  IntegerAttr axis;
  if (m.size() > 1)
    axis = b.getI64IntegerAttr(outType.getRank() - 1);
  mapping.map(op.getResult(),
              qc::RequantizeOp::create(b, op.getLoc(), quantizedType(outType, *outZp),
                                       input, m, s, axis, qc::RoundingMode::HalfUp,
                                       nullptr, nullptr));
  return success();
}

/// rescale(add(rescale(a), rescale(b))) into i32 and back, the TOSA form of
/// a quantized addition, as one qc.qadd.
LogicalResult FunctionImporter::importAddRescale(tosa::RescaleOp op,
                                                 tosa::AddOp add) {
  SmallVector<Value> inputs;
  SmallVector<int32_t> m, s;
  for (Value operand : {add.getInput1(), add.getInput2()}) {
    while (auto reshape = operand.getDefiningOp<tosa::ReshapeOp>())
      operand = reshape.getInput1(); // qc.qadd broadcasts numpy-style
    auto widen = operand.getDefiningOp<tosa::RescaleOp>();
    FailureOr<SmallVector<int64_t>> mult, shift;
    if (widen) {
      mult = intsOf(widen.getMultiplier());
      shift = intsOf(widen.getShift());
    }
    if (!widen || failed(mult) || failed(shift) || mult->size() != 1 ||
        widen.getRoundingMode() == tosa::RoundingMode::DOUBLE_ROUND)
      return add.emitError("only additions of two per-tensor rescales import");
    Value input = quantizedWith(widen.getInput(), widen.getInputZp(), widen);
    if (!input)
      return failure();
    inputs.push_back(input);
    m.push_back(mult->front());
    s.push_back(shift->front() - 31);
  }
  FailureOr<SmallVector<int64_t>> mult = intsOf(op.getMultiplier());
  FailureOr<SmallVector<int64_t>> shift = intsOf(op.getShift());
  FailureOr<int64_t> outZp = scalarOf(op.getOutputZp());
  if (failed(mult) || failed(shift) || failed(outZp) || mult->size() != 1)
    return op.emitError("needs one constant multiplier, shift and zero point");
  m.push_back(mult->front());
  s.push_back(shift->front() - 31);
  auto outType = quantizedType(cast<RankedTensorType>(op.getType()), *outZp);
  mapping.map(op.getResult(),
              qc::QAddOp::create(b, op.getLoc(), outType, inputs[0], inputs[1], m,
                                 s, /*left_shift=*/0, qc::RoundingMode::HalfUp));
  return success();
}

LogicalResult FunctionImporter::importClamp(tosa::ClampOp op) {
  // A clamp of a rescale's integers is the requantization's fused bound.
  auto requantize = lookup(op.getInput()).getDefiningOp<qc::RequantizeOp>();
  auto lo = dyn_cast<IntegerAttr>(op.getMinValAttr());
  auto hi = dyn_cast<IntegerAttr>(op.getMaxValAttr());
  if (!requantize || !op.getInput().hasOneUse() || !lo || !hi)
    return op.emitError("only integer clamps of a rescale import");
  requantize.setClampMinAttr(b.getI64IntegerAttr(
      std::max<int64_t>(lo.getInt(), requantize.getClampMin().value_or(INT64_MIN))));
  requantize.setClampMaxAttr(b.getI64IntegerAttr(
      std::min<int64_t>(hi.getInt(), requantize.getClampMax().value_or(INT64_MAX))));
  mapping.map(op.getResult(), requantize.getResult());
  return success();
}

/// tosa.conv2d / depthwise_conv2d (NHWC) as a qc.qconv (NCHW) between
/// transposes.
LogicalResult FunctionImporter::importConv(Operation *op, bool depthwise) {
  auto input = op->getOperand(0), weight = op->getOperand(1),
       bias = op->getOperand(2);
  auto outType = cast<RankedTensorType>(op->getResult(0).getType());
  if (!outType.getElementType().isInteger(32))
    return op->emitError("only integer convolutions with i32 accumulators import");
  Value x = quantizedWith(input, op->getOperand(3), op);
  Value w = quantizedWith(weight, op->getOperand(4), op);
  if (!x || !w)
    return failure();
  auto pad = op->getAttrOfType<DenseI64ArrayAttr>("pad").asArrayRef();
  auto stride = op->getAttrOfType<DenseI64ArrayAttr>("stride").asArrayRef();
  auto dilation = op->getAttrOfType<DenseI64ArrayAttr>("dilation").asArrayRef();
  int64_t channels = cast<RankedTensorType>(input.getType()).getDimSize(3);
  x = transpose(x, kToNCHW);
  if (depthwise) {
    // [KH, KW, C, M] → [C * M, 1, KH, KW].
    auto wType = cast<RankedTensorType>(w.getType());
    w = transpose(w, {2, 3, 0, 1});
    w = qc::ReshapeOp::create(
        b, op->getLoc(),
        wType.clone({wType.getDimSize(2) * wType.getDimSize(3), 1,
                     wType.getDimSize(0), wType.getDimSize(1)}),
        w);
  } else {
    w = transpose(w, kToNCHW); // OHWI → OIHW
  }
  SmallVector<int64_t> nchw = {outType.getDimSize(0), outType.getDimSize(3),
                               outType.getDimSize(1), outType.getDimSize(2)};
  // TOSA pads [top, bottom, left, right]; qc [top, left, bottom, right].
  Value conv = qc::QConvOp::create(
      b, op->getLoc(), outType.clone(nchw), x, w, lookup(bias), stride, dilation,
      {pad[0], pad[2], pad[1], pad[3]}, depthwise ? channels : 1);
  mapping.map(op->getResult(0), transpose(conv, kToNHWC));
  return success();
}

LogicalResult FunctionImporter::importMatMul(tosa::MatMulOp op) {
  if (!getElementTypeOrSelf(op.getType()).isInteger(32))
    return op.emitError("only integer matrix products import");
  Value lhs = quantizedWith(op.getA(), op.getAZp(), op);
  Value rhs = quantizedWith(op.getB(), op.getBZp(), op);
  if (!lhs || !rhs)
    return failure();
  mapping.map(op.getResult(),
              qc::QMatMulOp::create(b, op.getLoc(), op.getType(), lhs, rhs,
                                    /*bias=*/nullptr));
  return success();
}

/// i32 additions: a matrix product's bias, or the middle of a quantized
/// addition (rescale, rescale, add, rescale).
LogicalResult FunctionImporter::importAdd(tosa::AddOp op) {
  if (!getElementTypeOrSelf(op.getType()).isInteger(32))
    return op.emitError("only i32 additions of a bias or of two rescaled "
                        "tensors import");
  Value lhs = lookup(op.getInput1());
  auto matmul = lhs.getDefiningOp<qc::QMatMulOp>();
  FailureOr<SmallVector<int64_t>> bias = intsOf(op.getInput2());
  int64_t n = cast<RankedTensorType>(op.getType()).getShape().back();
  if (matmul && !matmul.getBias() && op.getInput1().hasOneUse() && succeeded(bias) &&
      (int64_t)bias->size() == n) {
    auto biasType = RankedTensorType::get({n}, b.getI32Type());
    b.setInsertionPoint(matmul);
    SmallVector<int32_t> values(bias->begin(), bias->end());
    Value biasValue = qc::ConstantOp::create(
        b, op.getLoc(), DenseElementsAttr::get(biasType, ArrayRef<int32_t>(values)));
    matmul.getBiasMutable().assign(biasValue);
    mapping.map(op.getResult(), matmul.getResult());
    return success();
  }
  // Left for the rescale that consumes it (see importAddRescale).
  mapping.map(op.getResult(), Value());
  return success();
}

LogicalResult FunctionImporter::importTable(tosa::TableOp op) {
  DenseElementsAttr table;
  auto outType = cast<RankedTensorType>(op.getType());
  if (!outType.getElementType().isInteger(8) ||
      !matchPattern(op.getTable(), m_Constant(&table)))
    return op.emitError("only constant 8-bit tables import");
  Value input = lookup(op.getInput1());
  mapping.map(op.getResult(),
              qc::LookupTableOp::create(b, op.getLoc(), quantizedType(outType, 0),
                                        input, table));
  return success();
}

LogicalResult FunctionImporter::importMaxPool(tosa::MaxPool2dOp op) {
  auto outType = cast<RankedTensorType>(op.getType());
  Value input = transpose(lookup(op.getInput()), kToNCHW);
  ArrayRef<int64_t> pad = op.getPad();
  auto inType = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> nchw = {outType.getDimSize(0), outType.getDimSize(3),
                               outType.getDimSize(1), outType.getDimSize(2)};
  Value pooled = qc::MaxPoolOp::create(
      b, op.getLoc(), inType.clone(nchw), input, op.getKernel(), op.getStride(),
      {1, 1}, {pad[0], pad[2], pad[1], pad[3]});
  mapping.map(op.getResult(), transpose(pooled, kToNHWC));
  return success();
}

LogicalResult FunctionImporter::importMovement(Operation *op) {
  Value input = lookup(op->getOperand(0));
  auto inType = cast<RankedTensorType>(input.getType());
  auto outShape = cast<RankedTensorType>(op->getResult(0).getType()).getShape();
  RankedTensorType outType = inType.clone(outShape);
  Location loc = op->getLoc();
  auto shapeOf = [&](Value v) -> FailureOr<SmallVector<int64_t>> {
    SmallVector<int64_t> values;
    if (!tosa::getConstShapeValues(v.getDefiningOp(), values))
      return failure();
    return values;
  };
  Value result =
      TypeSwitch<Operation *, Value>(op)
          .Case([&](tosa::ReshapeOp) {
            return qc::ReshapeOp::create(b, loc, outType, input);
          })
          .Case([&](tosa::TransposeOp t) {
            SmallVector<int64_t> perm(t.getPerms().begin(), t.getPerms().end());
            return transpose(input, perm);
          })
          .Case([&](tosa::ConcatOp c) -> Value {
            SmallVector<Value> inputs;
            for (Value v : c.getInput1()) {
              Value in = lookup(v);
              // qc concatenates values of one type.
              if (auto q = qc::getUniformType(inType))
                in = withZeroPoint(in, q.getZeroPoint());
              inputs.push_back(in);
            }
            return qc::ConcatOp::create(b, loc, outType, inputs, c.getAxis());
          })
          .Case([&](tosa::SliceOp s) -> Value {
            FailureOr<SmallVector<int64_t>> start = shapeOf(s.getStart());
            if (failed(start))
              return nullptr;
            SmallVector<int64_t> limits, steps(outShape.size(), 1);
            for (auto [begin, size] : llvm::zip(*start, outShape))
              limits.push_back(begin + size);
            return qc::SliceOp::create(b, loc, outType, input, *start, limits, steps);
          })
          .Case([&](tosa::PadOp p) -> Value {
            FailureOr<SmallVector<int64_t>> pairs = shapeOf(p.getPadding());
            FailureOr<int64_t> fill = scalarOf(p.getPadConst());
            auto q = qc::getUniformType(inType);
            if (failed(pairs) || failed(fill) || !q || *fill != q.getZeroPoint())
              return nullptr;
            SmallVector<int64_t> pads;
            for (size_t d = 0; d < pairs->size() / 2; ++d)
              pads.push_back((*pairs)[2 * d]);
            for (size_t d = 0; d < pairs->size() / 2; ++d)
              pads.push_back((*pairs)[2 * d + 1]);
            return qc::PadOp::create(b, loc, outType, input, pads, "constant",
                                     APFloat(0.0f));
          })
          .Default([](Operation *) { return nullptr; });
  if (!result)
    return op->emitError("has no qc form here (pads must fill with the zero "
                         "point, shapes must be constant)");
  mapping.map(op->getResult(0), result);
  return success();
}

LogicalResult FunctionImporter::importOp(Operation *op) {
  b.setInsertionPoint(op);
  // An i32 sum of two rescales only has a qc form as part of a qc.qadd.
  for (Value operand : op->getOperands())
    if (mapping.contains(operand) && !mapping.lookup(operand) &&
        !isa<tosa::RescaleOp>(op))
      return op->emitError("reads an i32 sum that only a rescale may consume");
  return TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](tosa::ConstOp c) { return importConst(c); })
      .Case([&](tosa::ConstShapeOp) { return success(); })
      .Case([&](tosa::RescaleOp r) { return importRescale(r); })
      .Case([&](tosa::ClampOp c) { return importClamp(c); })
      .Case([&](tosa::Conv2DOp c) { return importConv(c, false); })
      .Case([&](tosa::DepthwiseConv2DOp c) { return importConv(c, true); })
      .Case([&](tosa::MatMulOp m) { return importMatMul(m); })
      .Case([&](tosa::AddOp a) { return importAdd(a); })
      .Case([&](tosa::TableOp t) { return importTable(t); })
      .Case([&](tosa::MaxPool2dOp p) { return importMaxPool(p); })
      .Case<tosa::ReshapeOp, tosa::TransposeOp, tosa::ConcatOp, tosa::SliceOp,
            tosa::PadOp>([&](Operation *m) { return importMovement(m); })
      .Case([&](func::ReturnOp) { return success(); })
      .Default([](Operation *other) {
        return other->emitError("has no qc form: convert-tosa-to-qc imports "
                                "TOSA's integer layers, rescales, tables, max "
                                "pooling and data movement");
      });
}

LogicalResult FunctionImporter::run() {
  Block &entry = func.getBody().front();
  SmallVector<Operation *> tosaOps;
  for (Operation &op : entry.without_terminator())
    tosaOps.push_back(&op);
  b.setInsertionPointToStart(&entry);
  for (BlockArgument arg : entry.getArguments()) {
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!type || !type.getElementType().isSignlessInteger() ||
        type.getElementType().getIntOrFloatBitWidth() > 16)
      continue;
    Location loc = arg.getLoc();
    unsigned i = arg.getArgNumber();
    if (auto original = func.getArgAttrOfType<TypeAttr>(i, kQuantTypeAttr)) {
      // The caller quantized: quantize here again, as before the export.
      auto quantized = cast<RankedTensorType>(original.getValue());
      auto q = qc::getQuantizedType(quantized);
      arg.setType(quantized.clone(q.getExpressedType()));
      func.removeArgAttr(i, kQuantTypeAttr);
      mapping.map(arg, qc::QuantizeOp::create(b, loc, quantized, arg));
    } else {
      mapping.map(arg, quant::StorageCastOp::create(b, loc, quantizedType(type, 0), arg));
    }
  }
  for (Operation *op : tosaOps)
    if (failed(importOp(op)))
      return failure();

  Operation *ret = entry.getTerminator();
  b.setInsertionPoint(ret);
  for (OpOperand &operand : ret->getOpOperands()) {
    unsigned i = operand.getOperandNumber();
    Value v = lookup(operand.get());
    if (!v)
      return ret->emitError("reads an i32 sum that only a rescale may consume");
    if (auto original = func.getResultAttrOfType<TypeAttr>(i, kQuantTypeAttr)) {
      auto quantized = cast<RankedTensorType>(original.getValue());
      auto q = qc::getUniformType(quantized);
      if (!q)
        return func.emitError("result ") << i << " has no per-tensor type";
      v = withZeroPoint(v, q.getZeroPoint());
      Location loc = v.getLoc();
      auto storage = quantized.clone(q.getStorageType());
      v = quant::StorageCastOp::create(
          b, loc, quantized, quant::StorageCastOp::create(b, loc, storage, v));
      v = qc::DequantizeOp::create(b, loc, quantized.clone(q.getExpressedType()), v);
      func.removeResultAttr(i, StringAttr::get(func.getContext(), kQuantTypeAttr));
    } else if (auto q = qc::getQuantizedType(v.getType())) {
      v = quant::StorageCastOp::create(
          b, v.getLoc(), cast<RankedTensorType>(v.getType()).clone(q.getStorageType()), v);
    }
    operand.set(v);
  }
  func.setType(FunctionType::get(func.getContext(), entry.getArgumentTypes(),
                                 ret->getOperandTypes()));
  for (Operation *op : llvm::reverse(tosaOps)) {
    op->dropAllUses();
    op->erase();
  }
  // Requantizations into i32 that became part of a qc.qadd, unused constants.
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(entry)))
    if (isOpTriviallyDead(&op))
      op.erase();
  return success();
}

struct ConvertTosaToQCPass
    : quantc::impl::ConvertTosaToQCBase<ConvertTosaToQCPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (!func.isExternal() && failed(FunctionImporter(func).run()))
        return signalPassFailure();
  }
};
} // namespace
