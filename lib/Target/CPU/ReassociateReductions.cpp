//===- ReassociateReductions.cpp - qc-reassociate-reductions ----*- C++ -*-===//
//
// The fast float mode allows reordered sums; a reduction whose combining
// operation carries `reassoc` is one LLVM's loop vectorizer splits across
// lanes (an in-order f64 sum adds one element per add latency).
//
//===----------------------------------------------------------------------===//
#include "quantc/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace quantc {
#define GEN_PASS_DEF_QCREASSOCIATEREDUCTIONS
#include "quantc/Conversion/Passes.h.inc"
} // namespace quantc

using namespace mlir;

namespace {
/// The float additions and multiplications that combine a reduction's
/// accumulator (its output block argument) with the next term.
struct ReassociateReductionSums : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op, PatternRewriter &rewriter) const override {
    if (op.getNumReductionLoops() == 0)
      return failure();
    auto yield = cast<linalg::YieldOp>(op.getBody()->getTerminator());
    bool changed = false;
    for (auto [index, value] : llvm::enumerate(yield.getValues())) {
      Operation *combine = value.getDefiningOp();
      auto flags = dyn_cast_or_null<arith::ArithFastMathInterface>(combine);
      BlockArgument acc = op.getMatchingBlockArgument(op.getDpsInitOperand(index));
      if (!flags || !isa<arith::AddFOp, arith::MulFOp>(combine) ||
          !llvm::is_contained(combine->getOperands(), acc))
        continue;
      arith::FastMathFlags current = flags.getFastMathFlagsAttr().getValue();
      arith::FastMathFlags wanted = current | arith::FastMathFlags::reassoc;
      if (wanted == current)
        continue;
      rewriter.modifyOpInPlace(combine, [&] {
        combine->setAttr(flags.getFastMathAttrName(),
                         arith::FastMathFlagsAttr::get(op.getContext(), wanted));
      });
      changed = true;
    }
    return success(changed);
  }
};

struct QCReassociateReductionsPass
    : quantc::impl::QCReassociateReductionsBase<QCReassociateReductionsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ReassociateReductionSums>(&getContext());
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
