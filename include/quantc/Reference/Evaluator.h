//===- Evaluator.h - the reference evaluator of qc IR -----------*- C++ -*-===//
//
// Executes qc IR on host tensors. It is the numerical oracle of every test,
// the calibration engine, and the constant folder of the importer and of
// qc-simplify.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_REFERENCE_EVALUATOR_H
#define QUANTC_REFERENCE_EVALUATOR_H

#include "quantc/Reference/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"

namespace quantc::reference {

/// Whether the evaluator has a kernel for `op`.
bool canEvaluate(mlir::Operation *op);

/// Evaluates one single-result op on `operands`; emits an error at the op's
/// location on failure.
llvm::FailureOr<Tensor> evaluateOp(mlir::Operation *op,
                                   llvm::ArrayRef<const Tensor *> operands);

/// evaluateOp on a detached copy of `op` whose result has `resultType`: the
/// op's element-wise function over other shapes (a lookup table's inputs,
/// every storage value in a 1-d tensor). `op` is left as it is.
llvm::FailureOr<Tensor> evaluateOpAs(mlir::Operation *op, mlir::Type resultType,
                                     llvm::ArrayRef<const Tensor *> operands);

/// The value of `v` when a qc.constant defines it.
std::optional<Tensor> getConstantValue(mlir::Value v);
/// The value of `v` when a one-element float qc.constant defines it (a
/// per-tensor scale or shift); larger constants are not decoded.
std::optional<float> getScalarConstant(mlir::Value v);

/// Evaluates `op` when every operand is a qc.constant (checked before any
/// constant is decoded); std::nullopt otherwise or when evaluation fails.
std::optional<Tensor> evaluateConstantOperands(mlir::Operation *op);

/// A constant holding `tensor`: a qc.constant, viewed through quant.scast
/// when the tensor is quantized (constants hold storage integers). Large
/// tensors become `dense_resource` blobs named after `blobName`.
mlir::Value createConstant(mlir::OpBuilder &builder, mlir::Location loc,
                           const Tensor &tensor, llvm::StringRef blobName);

/// The real values of a quantized tensor, (q - zero_point) * scale in f32,
/// exactly as qc.dequantize computes them.
llvm::FailureOr<Tensor> dequantize(const Tensor &quantized);

/// Called with every op result the evaluator computes (for calibration).
using ValueObserver = llvm::function_ref<void(mlir::Value, const Tensor &)>;

/// Runs `func` on `inputs` (in argument order) and returns its results.
llvm::FailureOr<llvm::SmallVector<Tensor>>
evaluateFunction(mlir::func::FuncOp func, llvm::ArrayRef<Tensor> inputs,
                 ValueObserver observer = nullptr);

} // namespace quantc::reference

#endif // QUANTC_REFERENCE_EVALUATOR_H
