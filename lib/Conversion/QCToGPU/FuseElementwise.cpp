//===- FuseElementwise.cpp - fusion that keeps mma contractions -*- C++ -*-===//
//
// qc-gpu-fuse-elementwise: upstream's element-wise fusion of linalg ops on
// tensors, except into or out of contractions marked for tensor cores,
// which must keep the exact form of TensorCores.h (fusing the im2col or a
// quantize into one would turn it back into a plain loop nest). The op
// reading a contraction's accumulators (its requantization) becomes the
// tensor-core kernel's epilogue, so it only fuses into consumers that keep
// it element-wise: an all-parallel op reading it element for element.
//
//===----------------------------------------------------------------------===//
#include "quantc/Conversion/Passes.h"
#include "quantc/Conversion/TensorCores.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quantc {
#define GEN_PASS_DEF_QCGPUFUSEELEMENTWISE
#include "quantc/Conversion/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;

namespace {
bool isMarked(Operation *op) { return op && op->hasAttr(kMMAOperandsAttr); }

/// A value computed by a marked contraction, seen through reshapes.
bool isAccumulator(Value value) {
  while (auto expand = value.getDefiningOp<tensor::ExpandShapeOp>())
    value = expand.getSrc();
  return isMarked(value.getDefiningOp());
}

/// Whether `op` reads a contraction's accumulators: the future epilogue.
bool isEpilogue(Operation *op) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  return generic && llvm::any_of(generic.getDpsInputs(), isAccumulator);
}

/// Whether fusing through `operand` (of the consumer) keeps the forms the
/// tensor-core kernels take.
bool keepsTensorCoreForms(OpOperand *operand) {
  Operation *producer = operand->get().getDefiningOp();
  auto consumer = cast<linalg::LinalgOp>(operand->getOwner());
  if (isMarked(consumer) || isMarked(producer))
    return false;
  if (!isEpilogue(producer))
    return true;
  return consumer.getNumParallelLoops() == consumer.getNumLoops() &&
         consumer.getMatchingIndexingMap(operand).isIdentity();
}

struct QCGPUFuseElementwisePass
    : quantc::impl::QCGPUFuseElementwiseBase<QCGPUFuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns, keepsTensorCoreForms);
    linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
