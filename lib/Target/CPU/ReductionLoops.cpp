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

/// A bufferized linalg op whose last loop is its one reduction and which
/// writes one output, as loops: the parallel loops outside, and inside
/// them the reduction carrying the output element as an iter_arg.
struct InnermostReductionToLoops : OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 || op->getNumRegions() != 1)
      return rewriter.notifyMatchFailure(op, "not a bufferized op with one output");
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    unsigned loops = iterators.size();
    if (loops == 0 || op.getNumReductionLoops() != 1 ||
        iterators.back() != utils::IteratorType::reduction)
      return rewriter.notifyMatchFailure(op, "its last loop is not its only reduction");
    OpOperand &init = op.getDpsInitsMutable()[0];
    AffineMap outputMap = op.getMatchingIndexingMap(&init);
    if (!outputMap.isProjectedPermutation() || outputMap.isFunctionOfDim(loops - 1))
      return rewriter.notifyMatchFailure(op, "its output is not a projection of the parallel "
                                             "loops");
    if (!op.getBlock()->getTerminator()->getOperand(0).getType().isIntOrIndexOrFloat())
      return rewriter.notifyMatchFailure(op, "not a scalar reduction");

    Location loc = op.getLoc();
    SmallVector<Range> ranges = op.createLoopRanges(rewriter, loc);
    SmallVector<Value> ivs;
    // The parallel loops, outermost first.
    for (unsigned d = 0; d + 1 < loops; ++d) {
      auto loop = scf::ForOp::create(
          rewriter, loc, getValueOrCreateConstantIndexOp(rewriter, loc, ranges[d].offset),
          getValueOrCreateConstantIndexOp(rewriter, loc, ranges[d].size),
          getValueOrCreateConstantIndexOp(rewriter, loc, ranges[d].stride));
      ivs.push_back(loop.getInductionVar());
      rewriter.setInsertionPointToStart(loop.getBody());
    }
    // The output element, read before the reduction and written after it
    // (its map is a projection of the parallel loops).
    SmallVector<Value> outputIndices;
    for (AffineExpr expr : outputMap.getResults())
      outputIndices.push_back(ivs[cast<AffineDimExpr>(expr).getPosition()]);
    Value start = memref::LoadOp::create(rewriter, loc, init.get(), outputIndices);
    Range r = ranges.back();
    auto reduction = scf::ForOp::create(
        rewriter, loc, getValueOrCreateConstantIndexOp(rewriter, loc, r.offset),
        getValueOrCreateConstantIndexOp(rewriter, loc, r.size),
        getValueOrCreateConstantIndexOp(rewriter, loc, r.stride), ValueRange{start},
        [&](OpBuilder &b, Location l, Value iv, ValueRange acc) {
          SmallVector<Value> all = ivs;
          all.push_back(iv);
          IRMapping mapping;
          Block *body = op.getBlock();
          for (OpOperand *input : op.getDpsInputOperands())
            if (op.payloadUsesValueFromOperand(input))
              mapping.map(body->getArgument(input->getOperandNumber()),
                          loadAt(b, l, op, *input, all));
          mapping.map(body->getArgument(init.getOperandNumber()), acc[0]);
          for (Operation &bodyOp : body->without_terminator()) {
            if (auto index = dyn_cast<linalg::IndexOp>(bodyOp)) {
              mapping.map(index.getResult(), all[index.getDim()]);
              continue;
            }
            b.clone(bodyOp, mapping);
          }
          scf::YieldOp::create(b, l, mapping.lookup(body->getTerminator()->getOperand(0)));
        });
    memref::StoreOp::create(rewriter, loc, reduction.getResult(0), init.get(), outputIndices);
    rewriter.eraseOp(op);
    return success();
  }
};

struct QCReductionLoopsPass : quantc::impl::QCReductionLoopsBase<QCReductionLoopsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<InnermostReductionToLoops>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
