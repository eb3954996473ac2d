//===- GeneratorWeights.cpp - calibrated weights for generators -*- C++ -*-===//
#include "quantc/Transforms/GeneratorWeights.h"

#include "quantc/Calibration/CalibrationSet.h"
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Dialect/QC/TensorNames.h"
#include "quantc/Reference/Npz.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/StringMap.h"

using namespace mlir;
using namespace quantc;

llvm::Expected<int64_t> quantc::calibrationStepTokens(MLIRContext *ctx,
                                                      ArrayRef<std::string> paths) {
  llvm::Expected<std::vector<std::string>> files = calibration::listCalibrationFiles(paths);
  if (!files)
    return files.takeError();
  if (files->empty())
    return llvm::createStringError("no calibration .npz files in the --calib paths");
  llvm::Expected<reference::NamedTensors> arrays = reference::readNpz(ctx, files->front());
  if (!arrays)
    return llvm::createStringError("calibration file '" + files->front() +
                                   "': " + toString(arrays.takeError()));
  for (const auto &[name, tensor] : *arrays)
    if (name == "input_ids" && !tensor.getShape().empty())
      return tensor.getShape().back();
  return llvm::createStringError("calibration file '" + files->front() +
                                 "' has no input_ids: a generator calibrates on decoder calls");
}

/// The operand of `layer` that is a dequantized quantized constant, if any.
static std::optional<unsigned> quantizedWeightOperand(Operation *layer) {
  for (OpOperand &operand : layer->getOpOperands()) {
    auto dequantize = operand.get().getDefiningOp<qc::DequantizeOp>();
    auto cast = dequantize ? dequantize.getInput().getDefiningOp<quant::StorageCastOp>()
                           : nullptr;
    if (cast && cast.getInput().getDefiningOp<qc::ConstantOp>())
      return operand.getOperandNumber();
  }
  return std::nullopt;
}

/// The 1-D float constant operands of `op` into `target`, when it is the
/// same kind of op.
static void copyConstantVectors(Operation *op, Operation *target) {
  if (!target || target->getName() != op->getName() ||
      target->getNumOperands() != op->getNumOperands())
    return;
  for (OpOperand &operand : op->getOpOperands()) {
    auto constant = operand.get().getDefiningOp<qc::ConstantOp>();
    auto type = constant ? dyn_cast<RankedTensorType>(constant.getType()) : nullptr;
    if (!type || type.getRank() != 1 || !isa<FloatType>(type.getElementType()) ||
        target->getOperand(operand.getOperandNumber()).getType() != type)
      continue;
    OpBuilder b(target);
    Operation *copy = b.clone(*constant);
    Value old = target->getOperand(operand.getOperandNumber());
    target->setOperand(operand.getOperandNumber(), copy->getResult(0));
    if (Operation *def = old.getDefiningOp(); def && def->use_empty())
      def->erase();
  }
}

FailureOr<int64_t> quantc::copyQuantizedWeights(ModuleOp from, ModuleOp to) {
  llvm::StringMap<Operation *> targets;
  to.walk([&](Operation *op) {
    if (op->getNumOperands() > 1)
      if (std::string name = qc::getNodeName(op->getLoc()); !name.empty())
        targets[name] = op;
  });
  int64_t copied = 0;
  WalkResult result = from.walk([&](Operation *layer) {
    std::string name = qc::getNodeName(layer->getLoc());
    copyConstantVectors(layer, targets.lookup(name));
    std::optional<unsigned> index = quantizedWeightOperand(layer);
    if (!index)
      return WalkResult::advance();
    Operation *target = targets.lookup(name);
    if (!target || target->getName() != layer->getName()) {
      layer->emitError("no layer '") << name << "' in the generator to take its weights";
      return WalkResult::interrupt();
    }
    // constant -> quant.scast -> qc.dequantize, cloned before the layer.
    OpBuilder b(target);
    IRMapping mapping;
    Value dequantized = layer->getOperand(*index);
    auto dequantize = dequantized.getDefiningOp<qc::DequantizeOp>();
    auto cast = dequantize.getInput().getDefiningOp<quant::StorageCastOp>();
    b.clone(*cast.getInput().getDefiningOp(), mapping);
    b.clone(*cast, mapping);
    Operation *copy = b.clone(*dequantize, mapping);
    target->setOperand(*index, copy->getResult(0));
    if (Attribute precision = layer->getAttr("qc.precision"))
      target->setAttr("qc.precision", precision);
    ++copied;
    return WalkResult::advance();
  });
  if (result.wasInterrupted())
    return failure();
  return copied;
}
