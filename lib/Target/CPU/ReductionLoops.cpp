//===- ReductionLoops.cpp - the qc-reduction-loops pass ---------*- C++ -*-===//
//
// Innermost reductions as loops whose accumulator lives in a register
// (an scf.for iter_arg) rather than in the output buffer, so that LLVM can
// pipeline them and, where the combiner allows (maximum), vectorize them.
//
//===----------------------------------------------------------------------===//
#include "quantc/Conversion/Passes.h"

#include "mlir/Dialect/Affine/Utils.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quantc {
#define GEN_PASS_DEF_QCREDUCTIONLOOPS
#include "quantc/Conversion/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;

namespace {
/// `op`'s operand `operand` at the loop indices `ivs`: a load, or the
/// operand itself where it is a scalar (a zero point).
Value loadAt(OpBuilder &b, Location loc, linalg::LinalgOp op, OpOperand &operand,
             ValueRange ivs) {
  if (!isa<MemRefType>(operand.get().getType()))
    return operand.get();
  AffineMap map = op.getMatchingIndexingMap(&operand);
  SmallVector<OpFoldResult> dims = getAsOpFoldResult(ivs);
  SmallVector<Value> indices;
  for (AffineExpr expr : map.getResults())
    indices.push_back(getValueOrCreateConstantIndexOp(
        b, loc,
        affine::makeComposedFoldedAffineApply(b, loc, AffineMap::get(map.getNumDims(), 0, expr),
                                              dims)));
  return memref::LoadOp::create(b, loc, operand.get(), indices);
}

/// The body of `op` at the loop indices `ivs` with the output element
/// `acc`: the payload's ops cloned at `b`, returning the yielded value.
Value cloneBody(OpBuilder &b, Location loc, linalg::LinalgOp op, ValueRange ivs, Value acc) {
  IRMapping mapping;
  Block *body = op.getBlock();
  for (OpOperand *input : op.getDpsInputOperands())
    if (op.payloadUsesValueFromOperand(input))
      mapping.map(body->getArgument(input->getOperandNumber()), loadAt(b, loc, op, *input, ivs));
  mapping.map(body->getArgument(op.getDpsInitsMutable()[0].getOperandNumber()), acc);
  for (Operation &bodyOp : body->without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(bodyOp)) {
      mapping.map(index.getResult(), ivs[index.getDim()]);
      continue;
    }
    b.clone(bodyOp, mapping);
  }
  return mapping.lookup(body->getTerminator()->getOperand(0));
}

/// A bufferized linalg op whose innermost loops are its reductions (a
/// pooling over a plane, a row's sum) and which writes one output, as
/// loops: the parallel loops outside, and inside them the reductions, in
/// the same order, carrying the output element as an iter_arg.
struct InnermostReductionsToLoops : OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 || op->getNumRegions() != 1)
      return rewriter.notifyMatchFailure(op, "not a bufferized op with one output");
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    unsigned loops = iterators.size(), parallel = op.getNumParallelLoops();
    if (op.getNumReductionLoops() == 0 ||
        !llvm::all_of(ArrayRef(iterators).drop_front(parallel), [](utils::IteratorType t) {
          return t == utils::IteratorType::reduction;
        }))
      return rewriter.notifyMatchFailure(op, "its reductions are not its innermost loops");
    OpOperand &init = op.getDpsInitsMutable()[0];
    AffineMap outputMap = op.getMatchingIndexingMap(&init);
    if (!outputMap.isProjectedPermutation() ||
        llvm::any_of(llvm::seq(parallel, loops),
                     [&](unsigned d) { return outputMap.isFunctionOfDim(d); }))
      return rewriter.notifyMatchFailure(op, "its output is not a projection of the parallel "
                                             "loops");
    if (!op.getBlock()->getTerminator()->getOperand(0).getType().isIntOrIndexOrFloat())
      return rewriter.notifyMatchFailure(op, "not a scalar reduction");

    Location loc = op.getLoc();
    SmallVector<Range> ranges = op.createLoopRanges(rewriter, loc);
    auto bounds = [&](unsigned d) {
      return std::array{getValueOrCreateConstantIndexOp(rewriter, loc, ranges[d].offset),
                        getValueOrCreateConstantIndexOp(rewriter, loc, ranges[d].size),
                        getValueOrCreateConstantIndexOp(rewriter, loc, ranges[d].stride)};
    };
    SmallVector<Value> ivs;
    // The parallel loops, outermost first.
    for (unsigned d = 0; d < parallel; ++d) {
      auto [lower, upper, step] = bounds(d);
      auto loop = scf::ForOp::create(rewriter, loc, lower, upper, step);
      ivs.push_back(loop.getInductionVar());
      rewriter.setInsertionPointToStart(loop.getBody());
    }
    // The output element, read before the reductions and written after
    // them (its map is a projection of the parallel loops).
    SmallVector<Value> outputIndices;
    for (AffineExpr expr : outputMap.getResults())
      outputIndices.push_back(ivs[cast<AffineDimExpr>(expr).getPosition()]);
    Value acc = memref::LoadOp::create(rewriter, loc, init.get(), outputIndices);
    // The reductions, each carrying the element into the next; the
    // innermost computes the body.
    SmallVector<scf::ForOp> reductions;
    for (unsigned d = parallel; d < loops; ++d) {
      auto [lower, upper, step] = bounds(d);
      auto loop = scf::ForOp::create(rewriter, loc, lower, upper, step, ValueRange{acc});
      ivs.push_back(loop.getInductionVar());
      acc = loop.getRegionIterArg(0);
      reductions.push_back(loop);
      rewriter.setInsertionPointToStart(loop.getBody());
    }
    Value result = cloneBody(rewriter, loc, op, ivs, acc);
    for (scf::ForOp loop : llvm::reverse(reductions)) {
      rewriter.setInsertionPointToEnd(loop.getBody());
      scf::YieldOp::create(rewriter, loc, result);
      result = loop.getResult(0);
    }
    rewriter.setInsertionPointAfter(reductions.front());
    memref::StoreOp::create(rewriter, loc, result, init.get(), outputIndices);
    rewriter.eraseOp(op);
    return success();
  }
};

struct QCReductionLoopsPass : quantc::impl::QCReductionLoopsBase<QCReductionLoopsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<InnermostReductionsToLoops>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
