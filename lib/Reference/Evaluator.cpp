//===- Evaluator.cpp - the reference evaluator of qc IR ---------*- C++ -*-===//
#include "quantc/Reference/Evaluator.h"

#include "Kernels.h"
#include "quantc/Dialect/QC/QCOps.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

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

std::optional<float> reference::getScalarConstant(Value v) {
  auto type = dyn_cast<ShapedType>(v.getType());
  if (!type || !type.hasStaticShape() || type.getNumElements() != 1)
    return std::nullopt;
  std::optional<Tensor> t = getConstantValue(v);
  if (!t || !t->isFloat() || t->getNumElements() != 1)
    return std::nullopt;
  return t->floats()[0];
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

namespace {
/// Runs the blocks of a function: qc ops through their kernels, and the
/// structured control flow the importer builds for run-time branches and
/// loops (scf.if, scf.while, and the tensor.extract of their conditions).
/// A value lives in `values` from its definition to its last use in its
/// block; values of a loop body are redefined by every iteration.
class Interpreter {
public:
  explicit Interpreter(ValueObserver observer) : observer(observer) {}

  /// Runs `block` with its arguments bound to `args`; returns the values
  /// of its terminator's operands.
  FailureOr<SmallVector<Tensor>> run(Block &block, ArrayRef<Tensor> args);

private:
  LogicalResult runOp(Operation &op);
  FailureOr<SmallVector<Tensor>> runIf(scf::IfOp op);
  FailureOr<SmallVector<Tensor>> runWhile(scf::WhileOp op);
  SmallVector<Tensor> lookup(ValueRange values);

  DenseMap<Value, Tensor> values;
  ValueObserver observer;
};
} // namespace

SmallVector<Tensor> Interpreter::lookup(ValueRange range) {
  SmallVector<Tensor> tensors;
  for (Value v : range)
    tensors.push_back(values.lookup(v));
  return tensors;
}

/// Whether a tensor holding one value holds a nonzero one.
static bool isTrue(const Tensor &condition) {
  return condition.getNumElements() == 1 && condition.getAsDouble(0) != 0;
}

FailureOr<SmallVector<Tensor>> Interpreter::runIf(scf::IfOp op) {
  Region &taken = isTrue(values[op.getCondition()]) ? op.getThenRegion()
                                                    : op.getElseRegion();
  if (taken.empty())
    return SmallVector<Tensor>();
  return run(taken.front(), {});
}

FailureOr<SmallVector<Tensor>> Interpreter::runWhile(scf::WhileOp op) {
  SmallVector<Tensor> carried = lookup(op.getInits());
  while (true) {
    FailureOr<SmallVector<Tensor>> before = run(*op.getBeforeBody(), carried);
    if (failed(before))
      return failure();
    // scf.condition's operands: the condition, then the values passed on.
    carried.assign(std::make_move_iterator(before->begin() + 1),
                   std::make_move_iterator(before->end()));
    if (!isTrue(before->front()))
      return carried;
    FailureOr<SmallVector<Tensor>> after = run(*op.getAfterBody(), carried);
    if (failed(after))
      return failure();
    carried = std::move(*after);
  }
}

LogicalResult Interpreter::runOp(Operation &op) {
  if (auto fail = dyn_cast<qc::FailOp>(op))
    return op.emitError(fail.getMessage());
  FailureOr<SmallVector<Tensor>> results;
  if (auto ifOp = dyn_cast<scf::IfOp>(op)) {
    results = runIf(ifOp);
  } else if (auto whileOp = dyn_cast<scf::WhileOp>(op)) {
    results = runWhile(whileOp);
  } else if (auto extract = dyn_cast<tensor::ExtractOp>(op)) {
    // A branch or loop condition: the one element of a tensor, as a tensor.
    const Tensor &source = values[extract.getTensor()];
    if (!extract.getIndices().empty() || source.getNumElements() != 1)
      return op.emitOpError("is evaluated only on one-element tensors without indices");
    results = SmallVector<Tensor>{source.reshaped({})};
  } else {
    SmallVector<const Tensor *> operands;
    for (Value operand : op.getOperands())
      operands.push_back(&values[operand]);
    FailureOr<Tensor> result = evaluateOp(&op, operands);
    if (failed(result))
      return failure();
    results = SmallVector<Tensor>{std::move(*result)};
  }
  if (failed(results))
    return failure();
  for (auto [result, tensor] : llvm::zip_equal(op.getResults(), *results)) {
    if (observer)
      observer(result, tensor);
    values[result] = std::move(tensor);
  }
  return success();
}

/// For each op of `block`, the values defined in `block` that no later op
/// reads (regions included): they can be released once it has run. What
/// the terminator reads is kept, since the block returns it.
static DenseMap<Operation *, SmallVector<Value>> lastReads(Block &block) {
  DenseMap<Value, Operation *> lastReader;
  for (Operation &op : block)
    op.walk([&](Operation *nested) {
      for (Value v : nested->getOperands())
        if (Operation *def = v.getDefiningOp(); def && def->getBlock() == &block)
          lastReader[v] = &op;
    });
  DenseMap<Operation *, SmallVector<Value>> released;
  for (auto [v, reader] : lastReader)
    released[reader].push_back(v);
  return released;
}

FailureOr<SmallVector<Tensor>> Interpreter::run(Block &block, ArrayRef<Tensor> args) {
  bool isRegion = !isa<func::FuncOp>(block.getParentOp());
  for (auto [arg, tensor] : llvm::zip_equal(block.getArguments(), args)) {
    if (observer && isRegion)
      observer(arg, tensor);
    values[arg] = tensor;
  }
  // Release each tensor after its last use, to bound peak memory.
  DenseMap<Operation *, SmallVector<Value>> released = lastReads(block);
  for (Operation &op : block.without_terminator()) {
    if (failed(runOp(op)))
      return failure();
    for (Value v : released.lookup(&op))
      values.erase(v);
  }
  return lookup(block.getTerminator()->getOperands());
}

FailureOr<SmallVector<Tensor>>
reference::evaluateFunction(func::FuncOp func, ArrayRef<Tensor> inputs,
                            ValueObserver observer) {
  if (func.getNumArguments() != inputs.size())
    return func.emitError("expected ") << func.getNumArguments()
                                       << " inputs, got " << inputs.size();
  for (auto [arg, input] : llvm::zip(func.getArguments(), inputs)) {
    auto type = cast<RankedTensorType>(arg.getType());
    if (type.getShape() != input.getShape() ||
        type.getElementType().isIntOrIndex() != !input.isFloat())
      return func.emitError("input ")
             << arg.getArgNumber() << " has type " << input.getType()
             << ", expected " << type;
  }
  return Interpreter(observer).run(func.getBody().front(), inputs);
}
