//===- FlattenElementwise.cpp - element-wise loops as one loop --*- C++ -*-===//
//
// qc-flatten-elementwise: upstream's collapsing of linalg.generic loops,
// applied to element-wise ops over whole tensors. See the pass description
// in Passes.td.
//
//===----------------------------------------------------------------------===//
#include "quantc/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quantc {
#define GEN_PASS_DEF_QCFLATTENELEMENTWISE
#include "quantc/Conversion/Passes.h.inc"
} // namespace quantc

using namespace mlir;

namespace {
/// All loops of an element-wise op on tensors as one group; none otherwise.
SmallVector<ReassociationIndices> elementwiseLoops(linalg::LinalgOp op) {
  int64_t loops = op.getNumLoops();
  bool elementwise = loops > 1 && op.hasPureTensorSemantics() &&
                     op.getNumLoops() == op.getNumParallelLoops() &&
                     llvm::all_of(op.getIndexingMapsArray(),
                                  [](AffineMap map) { return map.isIdentity(); }) &&
                     op->getRegion(0).getOps<linalg::IndexOp>().empty();
  if (!elementwise)
    return {};
  ReassociationIndices all;
  for (int64_t i = 0; i < loops; ++i)
    all.push_back(i);
  return {all};
}

struct QCFlattenElementwisePass
    : quantc::impl::QCFlattenElementwiseBase<QCFlattenElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateCollapseDimensions(patterns, elementwiseLoops);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
