//===- FuseAttention.cpp - the qc-fuse-attention pass -----------*- C++ -*-===//
//
// One pattern, rooted at the value matmul of an attention: it walks back
// through the softmax, the mask, the scale and the score matmul, and through
// the grouped-query repetition of keys and values.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Reference/Evaluator.h"
#include "quantc/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <limits>

namespace quantc {
#define GEN_PASS_DEF_QCFUSEATTENTION
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;

namespace {
int64_t dim(Value v, unsigned i) {
  return cast<RankedTensorType>(v.getType()).getDimSize(i);
}

/// `kv` [B, Hkv, S, D] when `v` is its grouped-query repetition
/// reshape(broadcast_to(reshape(kv))) of shape [B, Hkv * g, S, D], else `v`.
Value stripRepeatedHeads(Value v) {
  auto merge = v.getDefiningOp<qc::ReshapeOp>();
  auto spread = merge ? merge.getInput().getDefiningOp<qc::BroadcastToOp>() : nullptr;
  auto split = spread ? spread.getInput().getDefiningOp<qc::ReshapeOp>() : nullptr;
  if (!split)
    return v;
  Value kv = split.getInput();
  auto kvType = cast<RankedTensorType>(kv.getType());
  ArrayRef<int64_t> unit = split.getType().getShape();
  ArrayRef<int64_t> spreadShape = spread.getType().getShape();
  ArrayRef<int64_t> out = merge.getType().getShape();
  if (kvType.getRank() != 4 || unit.size() != 5 || out.size() != 4)
    return v;
  ArrayRef<int64_t> s = kvType.getShape();
  bool repeats = unit == ArrayRef<int64_t>{s[0], s[1], 1, s[2], s[3]} &&
                 spreadShape[0] == s[0] && spreadShape[1] == s[1] &&
                 spreadShape[3] == s[2] && spreadShape[4] == s[3] &&
                 out == ArrayRef<int64_t>{s[0], s[1] * spreadShape[2], s[2], s[3]};
  return repeats ? kv : v;
}

struct FuseAttentionPattern : OpRewritePattern<qc::MatMulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(qc::MatMulOp root,
                                PatternRewriter &rewriter) const override {
    auto softmax = root.getLhs().getDefiningOp<qc::SoftmaxOp>();
    if (!softmax || root.getType().getRank() != 4 ||
        (softmax.getAxis() != 3 && softmax.getAxis() != -1))
      return rewriter.notifyMatchFailure(root, "not softmax(scores) @ values");
    Value scores = softmax.getInput();
    Value mask;
    if (auto where = scores.getDefiningOp<qc::WhereOp>()) {
      std::optional<float> fill = reference::getScalarConstant(where.getRhs());
      if (!fill || *fill != std::numeric_limits<float>::lowest())
        return rewriter.notifyMatchFailure(root, "mask fill is not the lowest float");
      mask = where.getCondition();
      scores = where.getLhs();
    }
    float scale = 1.0f;
    if (auto mul = scores.getDefiningOp<qc::MulOp>()) {
      std::optional<float> c = reference::getScalarConstant(mul.getRhs());
      Value other = mul.getLhs();
      if (!c) {
        c = reference::getScalarConstant(mul.getLhs());
        other = mul.getRhs();
      }
      if (!c)
        return rewriter.notifyMatchFailure(root, "scores scaled by a tensor");
      scale = *c;
      scores = other;
    } else if (auto div = scores.getDefiningOp<qc::DivOp>()) {
      std::optional<float> c = reference::getScalarConstant(div.getRhs());
      if (!c || *c == 0)
        return rewriter.notifyMatchFailure(root, "scores divided by a tensor");
      scale = 1.0f / *c;
      scores = div.getLhs();
    }
    auto product = scores.getDefiningOp<qc::MatMulOp>();
    auto transpose = product ? product.getRhs().getDefiningOp<qc::TransposeOp>() : nullptr;
    if (!transpose || transpose.getPerm() != ArrayRef<int64_t>{0, 1, 3, 2})
      return rewriter.notifyMatchFailure(root, "scores are not q @ k^T");
    Value query = product.getLhs();
    Value key = stripRepeatedHeads(transpose.getInput());
    Value value = stripRepeatedHeads(root.getRhs());
    auto q = cast<RankedTensorType>(query.getType());
    if (q.getRank() != 4 || !q.getElementType().isF32() ||
        cast<RankedTensorType>(key.getType()).getRank() != 4 ||
        key.getType() != value.getType() || dim(key, 1) == 0 ||
        dim(query, 1) % dim(key, 1) != 0 || dim(key, 3) != dim(query, 3))
      return rewriter.notifyMatchFailure(root, "shapes are not [B, H, T, D]");
    if (mask) {
      SmallVector<int64_t> scoreShape = {dim(query, 0), dim(query, 1), dim(query, 2),
                                         dim(key, 2)};
      FailureOr<SmallVector<int64_t>> joint = qc::broadcastShapes(
          cast<RankedTensorType>(mask.getType()).getShape(), scoreShape);
      if (failed(joint) || ArrayRef<int64_t>(*joint) != ArrayRef<int64_t>(scoreShape))
        return rewriter.notifyMatchFailure(root, "mask does not fit the scores");
    }
    rewriter.replaceOpWithNewOp<qc::AttentionOp>(root, query, key, value, mask,
                                                 rewriter.getF32FloatAttr(scale));
    return success();
  }
};

struct QCFuseAttentionPass
    : quantc::impl::QCFuseAttentionBase<QCFuseAttentionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseAttentionPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
