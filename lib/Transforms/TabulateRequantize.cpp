//===- TabulateRequantize.cpp - the qc-tabulate-requantize pass -----------===//
//
// 8-bit rescales as lookup tables (see the pass description).
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Dialect/QC/QuantUtils.h"
#include "quantc/Reference/Evaluator.h"
#include "quantc/Transforms/Passes.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quantc {
#define GEN_PASS_DEF_QCTABULATEREQUANTIZE
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;

namespace {
struct TabulateRequantize : OpRewritePattern<RequantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RequantizeOp op, PatternRewriter &rewriter) const override {
    auto inType = getUniformType(op.getInput().getType());
    auto outType = getUniformType(op.getType());
    if (!inType || !outType || inType.getStorageTypeIntegralWidth() > 8 ||
        op.getMultiplier().size() != 1)
      return rewriter.notifyMatchFailure(op, "not a per-tensor rescale of 8-bit values");
    FailureOr<reference::Tensor> table = tabulate(op, inType);
    if (failed(table))
      return rewriter.notifyMatchFailure(op, "the evaluator cannot run it");
    auto tableType = RankedTensorType::get({table->getNumElements()},
                                           outType.getStorageType());
    rewriter.replaceOpWithNewOp<LookupTableOp>(op, op.getType(), op.getInput(),
                                               table->toAttr(tableType, "table"));
    return success();
  }

  /// The evaluator's requantize of every storage value of the input, in
  /// order from the least: the table lookup_table indexes by q - qmin.
  static FailureOr<reference::Tensor> tabulate(RequantizeOp op,
                                               quant::UniformQuantizedType inType) {
    int64_t lo = inType.getStorageTypeMin(), hi = inType.getStorageTypeMax();
    int64_t count = hi - lo + 1;
    reference::Tensor values(inType.getStorageType(), {count});
    for (int64_t v = lo; v <= hi; ++v)
      values.ints()[v - lo] = v;
    const reference::Tensor *operands[] = {&values};
    return reference::evaluateOpAs(
        op, RankedTensorType::get({count}, op.getType().getElementType()), operands);
  }
};

struct TabulateRequantizePass
    : quantc::impl::QCTabulateRequantizeBase<TabulateRequantizePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<TabulateRequantize>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
