//===- FuseElementwise.cpp - fusion that keeps mma contractions -*- C++ -*-===//
//
// qc-gpu-fuse-elementwise: upstream's element-wise fusion of linalg ops on
// tensors, except into or out of contractions marked for tensor cores,
// which must keep the exact form of TensorCores.h (fusing the im2col or a
// quantize into one would turn it back into a plain loop nest).
//
//===----------------------------------------------------------------------===//
#include "quantc/Conversion/Passes.h"
#include "quantc/Conversion/TensorCores.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quantc {
#define GEN_PASS_DEF_QCGPUFUSEELEMENTWISE
#include "quantc/Conversion/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;

namespace {
bool isMarked(Operation *op) { return op && op->hasAttr(kMMAOperandsAttr); }

struct QCGPUFuseElementwisePass
    : quantc::impl::QCGPUFuseElementwiseBase<QCGPUFuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(
        patterns, [](OpOperand *operand) {
          return !isMarked(operand->getOwner()) &&
                 !isMarked(operand->get().getDefiningOp());
        });
    linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
