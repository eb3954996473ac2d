//===- AccuracyBudget.h - fewest layers kept precise for a metric -*- C++ -*-===//
//
// Internal to qc-assign-precision: the `max-drop` budget. The model is
// quantized as a whole (with the pipeline the user will run) and scored
// against the float model on the samples; while the score drops by more
// than the budget, layers are kept at a fallback precision, the most
// sensitive first, and then every kept layer that the budget does not need
// is released again.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_TRANSFORMS_ACCURACYBUDGET_H
#define QUANTC_LIB_TRANSFORMS_ACCURACYBUDGET_H

#include "quantc/Calibration/CalibrationSet.h"
#include "quantc/Dialect/QC/QCOps.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace quantc::qc {

struct AccuracyBudget {
  /// The largest drop of the metric: for `agreement`, the fraction of
  /// positions (along the last axis of the first output) whose top-1 class
  /// differs from the float model's; for `sqnr`, the output noise power
  /// relative to the signal (0.01: 20 dB).
  double maxDrop;
  std::string metric;
  /// The precisions a layer kept out of the default may take, in order:
  /// the first with which keeping every layer meets the budget is used.
  llvm::SmallVector<PrecisionAttr> fallbacks;
  /// Their names, for messages.
  llvm::SmallVector<std::string> fallbackNames;
  /// The quantization pipeline every trial runs (textual, on the module).
  std::string quantizePipeline;
  /// How many of the samples rank the layers (each quantized alone); all
  /// of them score the budget.
  int64_t rankingSamples;
};

/// Runs a pipeline of quantc transforms (textual; they are registered first,
/// once, for tools that do not) on `trial`, a clone of a module being
/// decided about, with the trial's remarks silenced.
llvm::LogicalResult runTrialPipeline(llvm::StringRef text, mlir::ModuleOp trial);

/// Whether `metric` is one the budget knows.
bool isBudgetMetric(llvm::StringRef metric);

/// Sets `qc.precision` to the fallback on the fewest layers of `func` for
/// which the quantized model stays within the budget on `samples`, with a
/// `qc.choice` sentence on each and a remark summing up.
llvm::LogicalResult keepWithinBudget(mlir::ModuleOp module, mlir::func::FuncOp func,
                                     llvm::ArrayRef<calibration::Sample> samples,
                                     const AccuracyBudget &budget);

} // namespace quantc::qc

#endif // QUANTC_LIB_TRANSFORMS_ACCURACYBUDGET_H
