//===- FuseElementwise.cpp - fusion without recomputation -------*- C++ -*-===//
//
// qc-fuse-elementwise: upstream's element-wise fusion of linalg ops on
// tensors, restricted to fusions that compute nothing twice and keep the
// forms the back ends map onto kernels:
//
// - a producer fuses only into a consumer reading it element for element (a
//   permutation map). Through a broadcast (a squeeze-excitation scale read
//   at every pixel) or a window (a pooling), the fused body would recompute
//   the producer's lookup tables and rescalings once per read instead of
//   once per element;
// - nothing fuses into or out of a contraction marked for tensor cores,
//   which must keep the exact form of TensorCores.h;
// - the op reading a contraction's accumulators (its requantization)
//   becomes the tensor-core kernel's epilogue, so it only fuses into
//   consumers that keep it element-wise (all-parallel).
//
//===----------------------------------------------------------------------===//
#include "quantc/Conversion/Passes.h"
#include "quantc/Conversion/TensorCores.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quantc {
#define GEN_PASS_DEF_QCFUSEELEMENTWISE
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

/// Whether `op`'s body reads a tensor at a computed index (a table lookup).
bool hasGather(Operation *op) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  return generic && !generic.getBody()->getOps<tensor::ExtractOp>().empty();
}

/// Whether fusing the producer of `operand` into its consumer computes each
/// producer element once and keeps the kernels' forms.
bool isWorthFusing(OpOperand *operand, bool isolateLookups) {
  Operation *producer = operand->get().getDefiningOp();
  auto consumer = dyn_cast<linalg::LinalgOp>(operand->getOwner());
  // A producer with other users would be computed both ways.
  if (!producer || !producer->hasOneUse() || !consumer)
    return false;
  if (isMarked(consumer) || isMarked(producer) ||
      !consumer.getMatchingIndexingMap(operand).isPermutation())
    return false;
  // A lookup keeps the loop it is in from vectorizing on CPUs: alone, it is
  // a cheap byte gather, and the rescaling loops around it vectorize.
  if (isolateLookups && (hasGather(producer) || hasGather(consumer)))
    return false;
  return !isEpilogue(producer) ||
         consumer.getNumParallelLoops() == consumer.getNumLoops();
}

struct QCFuseElementwisePass
    : quantc::impl::QCFuseElementwiseBase<QCFuseElementwisePass> {
  using Base::Base;

  void runOnOperation() override {
    linalg::ControlFusionFn control = [this](OpOperand *operand) {
      return isWorthFusing(operand, isolateLookups);
    };
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    // Upstream's set (linalg-fuse-elementwise-ops), with our control.
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, control);
    tensor::populateBubbleUpExpandShapePatterns(patterns);
    linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, ctx);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, ctx);
    ctx->getLoadedDialect<linalg::LinalgDialect>()->getCanonicalizationPatterns(patterns);
    linalg::populateConstantFoldLinalgOperations(patterns, control);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
