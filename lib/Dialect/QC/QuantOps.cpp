//===- QuantOps.cpp - verifiers and folders of qc's quantized ops -*- C++ -*-===//
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Dialect/QC/QuantUtils.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;

namespace {
/// Checks that `quantized`'s element type fits its own shape and is
/// expressed in `floatType` (when given).
LogicalResult verifyQuantizedTensor(Operation *op, Value quantized,
                                    Type floatType = {}) {
  auto type = cast<RankedTensorType>(quantized.getType());
  auto element = cast<quant::QuantizedType>(type.getElementType());
  if (floatType && element.getExpressedType() != floatType)
    return op->emitOpError("quantized type ")
           << element << " is not expressed in " << floatType;
  if (failed(QuantLayout::get(element, type.getShape(),
                              [&] { return op->emitOpError(); })))
    return failure();
  return success();
}

LogicalResult verifySameShape(Operation *op, Value input, Value output) {
  if (cast<ShapedType>(input.getType()).getShape() !=
      cast<ShapedType>(output.getType()).getShape())
    return op->emitOpError("input and output shapes differ");
  return success();
}

/// Integer layers take per-tensor activations and per-tensor or per-axis
/// (along `weightAxis`) weights; sub-channel weights stay weight-only.
LogicalResult verifyIntegerLayerOperands(Operation *op, Value activation,
                                         Value weight, int64_t weightAxis) {
  if (!getUniformType(activation.getType()))
    return op->emitOpError("activation operand must have a per-tensor "
                           "quantized type");
  quant::QuantizedType w = getQuantizedType(weight.getType());
  if (auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(w)) {
    if (perAxis.getQuantizedDimension() != weightAxis)
      return op->emitOpError("weight must be quantized along axis ")
             << weightAxis << ", not " << perAxis.getQuantizedDimension();
  } else if (!isa<quant::UniformQuantizedType>(w)) {
    return op->emitOpError("weight must be quantized per tensor or per axis");
  }
  for (Value v : {activation, weight}) {
    auto storage = getQuantizedType(v.getType()).getStorageTypeIntegralWidth();
    if (storage > 16)
      return op->emitOpError("storage types wider than 16 bits cannot "
                             "accumulate exactly in i32");
  }
  if (failed(verifyQuantizedTensor(op, activation)) ||
      failed(verifyQuantizedTensor(op, weight)))
    return failure();
  return success();
}

LogicalResult verifyBias(Operation *op, Value bias, int64_t channels) {
  if (!bias)
    return success();
  auto type = cast<RankedTensorType>(bias.getType());
  if (type.getRank() != 1 || type.getDimSize(0) != channels)
    return op->emitOpError("bias must have shape [") << channels << "], got "
                                                     << type;
  return success();
}
} // namespace

LogicalResult QuantizeOp::verify() {
  if (getRounding() == RoundingMode::DoubleRound ||
      getRounding() == RoundingMode::HalfUp)
    return emitOpError() << stringifyRoundingMode(getRounding())
                         << " applies to requantization only";
  if (failed(verifySameShape(*this, getInput(), getOutput())))
    return failure();
  return verifyQuantizedTensor(*this, getOutput(),
                               getInput().getType().getElementType());
}

OpFoldResult QuantizeOp::fold(FoldAdaptor) {
  // quantize(dequantize(q)) with the same type gives back q exactly.
  if (auto dequantize = getInput().getDefiningOp<DequantizeOp>())
    if (dequantize.getInput().getType() == getType())
      return dequantize.getInput();
  return {};
}

LogicalResult DequantizeOp::verify() {
  if (failed(verifySameShape(*this, getInput(), getOutput())))
    return failure();
  return verifyQuantizedTensor(*this, getInput(),
                               getOutput().getType().getElementType());
}

LogicalResult RequantizeOp::verify() {
  if (failed(verifySameShape(*this, getInput(), getOutput())))
    return failure();
  if (!getUniformType(getOutput().getType()))
    return emitOpError("result must have a per-tensor quantized type");
  if (getQuantizedType(getInput().getType()) &&
      !getUniformType(getInput().getType()))
    return emitOpError("quantized input must have a per-tensor type");
  ArrayRef<int32_t> multipliers = getMultiplier(), shifts = getShift();
  if (multipliers.empty() || multipliers.size() != shifts.size())
    return emitOpError("needs as many shifts as multipliers, at least one");
  if (multipliers.size() > 1) {
    auto type = cast<RankedTensorType>(getInput().getType());
    std::optional<uint64_t> axis = getAxis();
    if (!axis || (int64_t)*axis >= type.getRank())
      return emitOpError("per-channel multipliers need an axis within rank ")
             << type.getRank();
    if ((int64_t)multipliers.size() != type.getDimSize(*axis))
      return emitOpError("has ")
             << multipliers.size() << " multipliers for dimension " << *axis
             << " of size " << type.getDimSize(*axis);
  }
  for (auto [m, s] : llvm::zip(multipliers, shifts)) {
    if (m < 0)
      return emitOpError("multipliers must be non-negative");
    if (31 + s < 1 || 31 + s > 62)
      return emitOpError("shift ") << s << " is outside [-30, 31]";
  }
  std::optional<uint64_t> lo = getClampMin(), hi = getClampMax();
  if (lo && hi && (int64_t)*lo > (int64_t)*hi)
    return emitOpError("clamp_min exceeds clamp_max");
  return verifyQuantizedTensor(*this, getOutput());
}

LogicalResult QMatMulOp::verify() {
  auto rhs = getRhs().getType();
  if (failed(verifyIntegerLayerOperands(*this, getLhs(), getRhs(),
                                        rhs.getRank() - 1)))
    return failure();
  return verifyBias(*this, getBias(), rhs.getShape().back());
}

LogicalResult QConvOp::verify() {
  if (failed(verifyConvWindow(*this, getStrides(), getDilations(), getPads())) ||
      failed(verifyIntegerLayerOperands(*this, getInput(), getWeight(), 0)))
    return failure();
  return verifyBias(*this, getBias(), getWeight().getType().getDimSize(0));
}

LogicalResult LookupTableOp::verify() {
  if (failed(verifySameShape(*this, getInput(), getOutput())))
    return failure();
  auto in = getQuantizedType(getInput().getType());
  auto out = getQuantizedType(getOutput().getType());
  if (in.getStorageTypeIntegralWidth() > 8)
    return emitOpError("input storage wider than 8 bits needs a table of more "
                       "than 256 entries");
  int64_t entries = in.getStorageTypeMax() - in.getStorageTypeMin() + 1;
  auto tableType = cast<ShapedType>(getTable().getType());
  if (tableType.getRank() != 1 || tableType.getNumElements() != entries ||
      tableType.getElementType() != out.getStorageType())
    return emitOpError("table must be a 1-d tensor of ")
           << entries << " " << out.getStorageType() << " values";
  if (failed(verifyQuantizedTensor(*this, getInput())) ||
      failed(verifyQuantizedTensor(*this, getOutput())))
    return failure();
  return success();
}

LogicalResult QAddOp::verify() {
  for (Value v : {getLhs(), getRhs(), getOutput()})
    if (!getUniformType(v.getType()))
      return emitOpError("operands and result must have per-tensor quantized "
                         "types");
  if (getMultiplier().size() != 3 || getShift().size() != 3)
    return emitOpError("needs three multipliers and shifts (lhs, rhs, result)");
  for (auto [m, s] : llvm::zip(getMultiplier(), getShift()))
    if (m < 0 || 31 + s < 1 || 31 + s > 62)
      return emitOpError("multipliers must be non-negative and shifts in "
                         "[-30, 31]");
  int64_t leftShift = getLeftShift();
  for (Value v : {getLhs(), getRhs()})
    if (leftShift < 0 || getQuantizedType(v.getType()).getStorageTypeIntegralWidth() +
                             1 + leftShift > 31)
      return emitOpError("left_shift ") << leftShift
                                        << " overflows i32 for the inputs";
  FailureOr<SmallVector<int64_t>> shape =
      broadcastShapes(getLhs().getType().getShape(), getRhs().getType().getShape());
  if (failed(shape) || ArrayRef<int64_t>(*shape) != getType().getShape())
    return emitOpError("operand shapes do not broadcast to the result shape");
  return success();
}

LogicalResult QMulOp::verify() {
  for (Value v : {getLhs(), getRhs(), getOutput()})
    if (!getUniformType(v.getType()))
      return emitOpError("operands and result must have per-tensor quantized "
                         "types");
  for (Value v : {getLhs(), getRhs()})
    if (getQuantizedType(v.getType()).getStorageTypeIntegralWidth() > 8)
      return emitOpError("inputs wider than 8 bits are not supported");
  if (getMultiplier() < 0 || 31 + getShift() < 1 || 31 + getShift() > 62)
    return emitOpError("multiplier must be non-negative and shift in [-30, 31]");
  FailureOr<SmallVector<int64_t>> shape =
      broadcastShapes(getLhs().getType().getShape(), getRhs().getType().getShape());
  if (failed(shape) || ArrayRef<int64_t>(*shape) != getType().getShape())
    return emitOpError("operand shapes do not broadcast to the result shape");
  return success();
}
