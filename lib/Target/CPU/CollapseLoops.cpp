//===- CollapseLoops.cpp - the qc-collapse-loops pass -----------*- C++ -*-===//
//
// The loops that generated code leaves to LLVM (element-wise ops with a
// broadcast operand, fills, poolings, reductions) as few and as long as
// their operands allow: unit dimensions dropped, then consecutive loops
// that every operand reads contiguously collapsed into one. See the pass
// description in Passes.td.
//
//===----------------------------------------------------------------------===//
#include "quantc/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quantc {
#define GEN_PASS_DEF_QCCOLLAPSELOOPS
#include "quantc/Conversion/Passes.h.inc"
} // namespace quantc

using namespace mlir;

namespace {
/// A fill or map (a padding's fill) of a buffer of two or more dimensions
/// as a linalg.generic, which the patterns below reshape (they take
/// generics only).
template <typename OpTy>
struct GeneralizeOnBuffers : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rewriter) const override {
    auto type = dyn_cast<MemRefType>(op.getDpsInits()[0].getType());
    if (!type || type.getRank() < 2)
      return rewriter.notifyMatchFailure(op, "not on a buffer of two or more dimensions");
    return linalg::generalizeNamedOp(rewriter, op);
  }
};

/// Whether `op`'s operands all read loops `outer` and `outer + 1` (of the
/// same kind) as consecutive indices of a layout that collapses them, or
/// neither of them. Operands indexed by loops only span their loops' whole
/// ranges (the verifier requires it), so such indices are consecutive
/// elements.
bool readContiguously(linalg::LinalgOp op, unsigned outer) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (iterators[outer] != iterators[outer + 1])
    return false;
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    std::optional<unsigned> first = map.getResultPosition(getAffineDimExpr(outer, op.getContext()));
    std::optional<unsigned> second =
        map.getResultPosition(getAffineDimExpr(outer + 1, op.getContext()));
    if (!first && !second)
      continue;
    if (!first || !second || *second != *first + 1)
      return false;
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type)
      return false;
    SmallVector<ReassociationIndices> pair;
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (d != *second)
        pair.push_back({d});
    pair[*first].push_back(*second);
    if (!memref::CollapseShapeOp::isGuaranteedCollapsible(type, pair))
      return false;
  }
  return true;
}

/// The runs of two or more consecutive loops of `op` that readContiguously
/// joins, for a bufferized generic whose operands are indexed by loops only
/// (no broadcast constants, no window offsets: upstream's collapsing reads
/// those wrongly) and whose body does not read its indices (collapsed, they
/// would be divided back out of one index at every element).
SmallVector<ReassociationIndices> contiguousLoops(linalg::LinalgOp op) {
  if (!isa<linalg::GenericOp>(op) || !op.hasPureBufferSemantics() ||
      !op.getBlock()->getOps<linalg::IndexOp>().empty() ||
      !llvm::all_of(op.getIndexingMapsArray(),
                    [](AffineMap map) { return map.isProjectedPermutation(); }))
    return {};
  SmallVector<ReassociationIndices> runs;
  ReassociationIndices run = {0};
  auto close = [&] {
    if (run.size() > 1)
      runs.push_back(run);
  };
  for (unsigned loop = 1; loop < op.getNumLoops(); ++loop) {
    if (!readContiguously(op, loop - 1)) {
      close();
      run.clear();
    }
    run.push_back(loop);
  }
  close();
  return runs;
}

/// Every loop of a generic whose operands are indexed by loops and constant
/// 0s only: a window's offsets (d1 * 2 + d3) would lose the extent that
/// bounds the window loop when d1 is dropped (the op would then read its
/// range from the plane).
SmallVector<unsigned> unitDimCandidates(Operation *op) {
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic || !llvm::all_of(generic.getIndexingMapsArray(), [](AffineMap map) {
        return llvm::all_of(map.getResults(), [](AffineExpr expr) {
          return isa<AffineDimExpr>(expr) || expr == getAffineConstantExpr(0, expr.getContext());
        });
      }))
    return {};
  return llvm::to_vector(llvm::seq<unsigned>(0, generic.getNumLoops()));
}

/// A buffer without its unit dimensions, through a collapse_shape view:
/// strided buffers too (a concatenation's slice), which upstream's default
/// declines.
FailureOr<Value> collapseUnitDims(RewriterBase &rewriter, Location loc, Value operand,
                                  ArrayRef<int64_t> /*targetShape*/,
                                  ArrayRef<ReassociationIndices> reassociation,
                                  const linalg::ControlDropUnitDims & /*control*/) {
  auto type = dyn_cast<MemRefType>(operand.getType());
  if (!type || !memref::CollapseShapeOp::isGuaranteedCollapsible(type, reassociation))
    return failure();
  return memref::CollapseShapeOp::create(rewriter, loc, operand, reassociation).getResult();
}

struct QCCollapseLoopsPass : quantc::impl::QCCollapseLoopsBase<QCCollapseLoopsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<GeneralizeOnBuffers<linalg::FillOp>, GeneralizeOnBuffers<linalg::MapOp>>(
        &getContext());
    linalg::ControlDropUnitDims unitDims;
    unitDims.controlFn = unitDimCandidates;
    unitDims.collapseFn = collapseUnitDims;
    linalg::populateFoldUnitExtentDimsPatterns(patterns, unitDims);
    linalg::populateCollapseDimensions(patterns, contiguousLoops);
    // A pattern that declines after building views leaves them dead, to
    // be erased: the IR stays right whether or not the driver converges.
    (void)applyPatternsGreedily(getOperation(), std::move(patterns));
  }
};
} // namespace
