//===- Evaluator.cpp - the reference evaluator of qc IR ---------*- C++ -*-===//
#include "quantc/Reference/Evaluator.h"

#include "Kernels.h"
#include "quantc/Dialect/QC/QCOps.h"

#include "mlir/Dialect/Quant/IR/Quant.h"

#include "llvm/ADT/DenseMap.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::reference;

static const KernelRegistry &getRegistry() {
  static const KernelRegistry registry = [] {
    KernelRegistry r;
    r.add<qc::ConstantOp>([](qc::ConstantOp op, OperandTensors) {
      return Tensor::fromAttr(op.getValue());
    });
    registerElementwiseKernels(r);
    registerMathKernels(r);
    registerSelectionKernels(r);
    registerLinalgKernels(r);
    registerNNKernels(r);
    registerMovementKernels(r);
    registerQuantKernels(r);
    registerAttentionKernels(r);
    return r;
  }();
  return registry;
}

/// Kernels compute in f32; results of narrower float types are rounded to
/// them (nearest, ties to even) so that f16 and bf16 layers carry their error.
static void roundToElementType(Tensor &tensor) {
  auto type = dyn_cast<FloatType>(tensor.getElementType());
  if (!type || type.isF32() || type.isF64())
    return;
  for (float &v : tensor.floats()) {
    APFloat value(v);
    bool lost;
    value.convert(type.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    value.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
    v = value.convertToFloat();
  }
}

bool reference::canEvaluate(Operation *op) {
  return getRegistry().lookup(op) != nullptr;
}

/// Kernels read operands as their declared types say: each tensor must be
/// there and hold float data exactly where its operand is a float tensor.
/// (Shapes may differ: some passes evaluate an op detached, on other
/// shapes; kernels take shapes from the tensors.)
static LogicalResult checkOperands(Operation *op,
                                   ArrayRef<const Tensor *> operands) {
  if (operands.size() != op->getNumOperands())
    return op->emitOpError("got ") << operands.size() << " operand values for "
                                   << op->getNumOperands() << " operands";
  for (auto [i, operand] : llvm::enumerate(operands)) {
    auto type = dyn_cast<RankedTensorType>(op->getOperand(i).getType());
    if (!operand || !type)
      return op->emitOpError("operand #") << i << " has no value to evaluate";
    bool wantsFloat = isa<FloatType>(type.getElementType());
    if (operand->isFloat() != wantsFloat)
      return op->emitOpError("operand #")
             << i << " holds " << operand->getType() << " data, the op declares "
             << type;
  }
  return success();
}

FailureOr<Tensor> reference::evaluateOp(Operation *op,
                                        ArrayRef<const Tensor *> operands) {
  const Kernel *kernel = getRegistry().lookup(op);
  if (!kernel || op->getNumResults() != 1)
    return op->emitOpError("is not supported by the reference evaluator");
  if (failed(checkOperands(op, operands)))
    return failure();
  FailureOr<Tensor> result = (*kernel)(op, operands);
  if (failed(result))
    return op->emitOpError("could not be evaluated");
  roundToElementType(*result);
  return result;
}

FailureOr<Tensor> reference::evaluateOpAs(Operation *op, Type resultType,
                                          ArrayRef<const Tensor *> operands) {
  OpBuilder builder(op->getContext());
  Operation *scratch = builder.clone(*op);
  scratch->getResult(0).setType(resultType);
  FailureOr<Tensor> result = evaluateOp(scratch, operands);
  scratch->dropAllReferences();
  scratch->destroy();
  return result;
}

std::optional<Tensor> reference::getConstantValue(Value v) {
  auto constant = v.getDefiningOp<qc::ConstantOp>();
  if (!constant)
    return std::nullopt;
  FailureOr<Tensor> tensor = Tensor::fromAttr(constant.getValue());
  if (failed(tensor))
    return std::nullopt;
  return std::move(*tensor);
}

Value reference::createConstant(OpBuilder &builder, Location loc,
                                const Tensor &tensor, StringRef blobName) {
  auto quantized = dyn_cast<quant::QuantizedType>(tensor.getElementType());
  if (!quantized)
    return qc::ConstantOp::create(builder, loc,
                                  tensor.toAttr(tensor.getType(), blobName));
  auto storageType = RankedTensorType::get(tensor.getShape(),
                                           quantized.getStorageType());
  Value storage =
      qc::ConstantOp::create(builder, loc, tensor.toAttr(storageType, blobName));
  return quant::StorageCastOp::create(builder, loc, tensor.getType(), storage);
}

std::optional<Tensor> reference::evaluateConstantOperands(Operation *op) {
  if (op->getNumResults() != 1 || !canEvaluate(op) ||
      !llvm::all_of(op->getOperands(), [](Value v) {
        return v.getDefiningOp<qc::ConstantOp>();
      }))
    return std::nullopt;
  SmallVector<Tensor> operands;
  for (Value v : op->getOperands()) {
    std::optional<Tensor> t = getConstantValue(v);
    if (!t)
      return std::nullopt;
    operands.push_back(std::move(*t));
  }
  SmallVector<const Tensor *> ptrs;
  for (const Tensor &t : operands)
    ptrs.push_back(&t);
  FailureOr<Tensor> result = evaluateOp(op, ptrs);
  if (failed(result))
    return std::nullopt;
  return std::move(*result);
}

FailureOr<SmallVector<Tensor>>
reference::evaluateFunction(func::FuncOp func, ArrayRef<Tensor> inputs,
                            ValueObserver observer) {
  if (func.getNumArguments() != inputs.size())
    return func.emitError("expected ") << func.getNumArguments()
                                       << " inputs, got " << inputs.size();
  DenseMap<Value, Tensor> values;
  for (auto [arg, input] : llvm::zip(func.getArguments(), inputs)) {
    auto type = cast<RankedTensorType>(arg.getType());
    if (type.getShape() != input.getShape() ||
        type.getElementType().isIntOrIndex() != !input.isFloat())
      return func.emitError("input ")
             << arg.getArgNumber() << " has type " << input.getType()
             << ", expected " << type;
    values[arg] = input;
  }
  // Release each tensor after its last use to bound peak memory.
  DenseMap<Value, unsigned> remainingUses;
  for (Operation &op : func.getBody().front())
    for (Value operand : op.getOperands())
      ++remainingUses[operand];

  SmallVector<Tensor> results;
  for (Operation &op : func.getBody().front()) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (Value v : ret.getOperands())
        results.push_back(values.lookup(v));
      break;
    }
    SmallVector<const Tensor *> operands;
    for (Value operand : op.getOperands())
      operands.push_back(&values[operand]);
    FailureOr<Tensor> result = evaluateOp(&op, operands);
    if (failed(result))
      return failure();
    if (observer)
      observer(op.getResult(0), *result);
    for (Value operand : op.getOperands())
      if (--remainingUses[operand] == 0 && !isa<BlockArgument>(operand))
        values.erase(operand);
    values[op.getResult(0)] = std::move(*result);
  }
  return results;
}
