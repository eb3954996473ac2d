//===- Simplify.cpp - the qc-simplify pass ----------------------*- C++ -*-===//
//
// Cleans an imported graph: constant subgraphs are evaluated by the reference
// evaluator, BatchNorm and per-channel additions fold into the producing
// conv/gemm, identities go.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Reference/Evaluator.h"
#include "quantc/Transforms/Passes.h"

#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace quantc {
#define GEN_PASS_DEF_QCSIMPLIFY
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;
using reference::Tensor;

namespace {
using reference::createConstant;
using reference::getConstantValue;

/// Evaluates a qc op whose operands are all constant.
struct FoldConstantSubgraph : RewritePattern {
  FoldConstantSubgraph(MLIRContext *ctx, int64_t maxElements)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx),
        maxElements(maxElements) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isa<qc::QCDialect>(op->getDialect()) || isa<qc::ConstantOp>(op) ||
        op->getNumResults() != 1)
      return failure();
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    // Layout and element-type changes of a constant (a tied embedding
    // transposed for the output layer, f16 weights widened) fold at any
    // size: they create no more elements than they read, and a layer needs
    // a constant weight to be quantized.
    bool relayout = isa<qc::TransposeOp, qc::ReshapeOp, qc::CastOp>(op);
    if (type.getNumElements() > maxElements && !relayout)
      return rewriter.notifyMatchFailure(op, "result too large to fold");
    std::optional<Tensor> result = reference::evaluateConstantOperands(op);
    if (!result)
      return failure();
    rewriter.replaceOp(op, createConstant(rewriter, op->getLoc(), *result,
                                          "folded"));
    return success();
  }

  int64_t maxElements;
};

/// Per-output-channel multiplier and offset equivalent to a batch_norm.
struct ChannelAffine {
  std::vector<float> scale, shift;
};

std::optional<ChannelAffine> getBatchNormAffine(qc::BatchNormOp bn) {
  auto gamma = getConstantValue(bn.getScale()), beta = getConstantValue(bn.getBias()),
       mean = getConstantValue(bn.getMean()), var = getConstantValue(bn.getVariance());
  if (!gamma || !beta || !mean || !var)
    return std::nullopt;
  ChannelAffine affine;
  float eps = bn.getEpsilon().convertToFloat();
  for (int64_t c = 0; c < gamma->getNumElements(); ++c) {
    float s = gamma->floats()[c] / std::sqrt(var->floats()[c] + eps);
    affine.scale.push_back(s);
    affine.shift.push_back(beta->floats()[c] - mean->floats()[c] * s);
  }
  return affine;
}

/// New bias = old bias * scale + shift (old bias defaults to zero).
Tensor foldBias(std::optional<Tensor> bias, const ChannelAffine &affine,
                Type elementType) {
  int64_t channels = affine.scale.size();
  Tensor result(elementType, {channels});
  for (int64_t c = 0; c < channels; ++c)
    result.floats()[c] =
        (bias ? bias->floats()[c] : 0.0f) * affine.scale[c] + affine.shift[c];
  return result;
}

/// batch_norm(conv(x, w, b)) -> conv(x, w * s, b * s + t).
template <typename ConvLike>
struct FoldBatchNormIntoConv : OpRewritePattern<qc::BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(qc::BatchNormOp bn,
                                PatternRewriter &rewriter) const override {
    auto conv = bn.getInput().template getDefiningOp<ConvLike>();
    if (!conv || !conv->hasOneUse())
      return failure();
    std::optional<Tensor> weight = getConstantValue(conv.getWeight());
    std::optional<Tensor> bias;
    if (conv.getBias() && !(bias = getConstantValue(conv.getBias())))
      return failure();
    std::optional<ChannelAffine> affine = getBatchNormAffine(bn);
    if (!weight || !affine)
      return failure();
    scaleOutputChannels(conv, *weight, affine->scale);
    Location loc = conv.getLoc();
    Value newWeight = createConstant(rewriter, loc, *weight, "weight");
    Value newBias = createConstant(
        rewriter, loc, foldBias(bias, *affine, weight->getElementType()), "bias");
    rewriter.modifyOpInPlace(conv, [&] {
      conv.getWeightMutable().assign(newWeight);
      conv.getBiasMutable().assign(newBias);
      conv->setLoc(FusedLoc::get(rewriter.getContext(), {loc, bn.getLoc()}));
    });
    rewriter.replaceOp(bn, conv.getResult());
    return success();
  }

  /// Multiplies output channel o of the weight by scale[o].
  static void scaleOutputChannels(ConvLike conv, Tensor &weight,
                                  ArrayRef<float> scale) {
    ArrayRef<int64_t> shape = weight.getShape();
    int64_t kernel = 1;
    for (int64_t d : shape.drop_front(2))
      kernel *= d;
    MutableArrayRef<float> w = weight.floats();
    if constexpr (std::is_same_v<ConvLike, qc::ConvOp>) {
      int64_t perOut = weight.getNumElements() / shape[0];
      for (int64_t o = 0; o < shape[0]; ++o)
        for (float &x : w.slice(o * perOut, perOut))
          x *= scale[o];
    } else { // conv_transpose: [C, O/group, k...].
      int64_t cPerGroup = shape[0] / conv.getGroup(), oPerGroup = shape[1];
      for (int64_t c = 0; c < shape[0]; ++c)
        for (int64_t j = 0; j < oPerGroup; ++j) {
          float s = scale[(c / cPerGroup) * oPerGroup + j];
          for (float &x : w.slice((c * oPerGroup + j) * kernel, kernel))
            x *= s;
        }
    }
  }
};

/// batch_norm(gemm(a, b, c)) over the N columns -> gemm(a, b * s, c * s + t).
struct FoldBatchNormIntoGemm : OpRewritePattern<qc::BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(qc::BatchNormOp bn,
                                PatternRewriter &rewriter) const override {
    auto gemm = bn.getInput().getDefiningOp<qc::GemmOp>();
    if (!gemm || !gemm->hasOneUse())
      return failure();
    std::optional<Tensor> b = getConstantValue(gemm.getB());
    std::optional<ChannelAffine> affine = getBatchNormAffine(bn);
    if (!b || !affine)
      return failure();
    int64_t n = gemm.getType().getDimSize(1);
    // A bias must be a per-column vector (or absent) to fold.
    std::optional<Tensor> c;
    if (gemm.getC()) {
      c = getConstantValue(gemm.getC());
      if (!c || c->getNumElements() != n)
        return failure();
    }
    float alpha = gemm.getAlpha().convertToFloat();
    float beta = gemm.getBeta().convertToFloat();
    int64_t k = b->getNumElements() / n;
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t j = 0; j < n; ++j) {
        int64_t idx = gemm.getTransB() ? j * k + kk : kk * n + j;
        b->floats()[idx] *= alpha * affine->scale[j];
      }
    if (c)
      for (float &x : c->floats())
        x *= beta;
    Location loc = gemm.getLoc();
    Value newB = createConstant(rewriter, loc, *b, "weight");
    Value newC = createConstant(rewriter, loc,
                                foldBias(c, *affine, b->getElementType()), "bias");
    rewriter.modifyOpInPlace(gemm, [&] {
      gemm.getBMutable().assign(newB);
      gemm.getCMutable().assign(newC);
      gemm.setAlphaAttr(rewriter.getF32FloatAttr(1.0f));
      gemm.setBetaAttr(rewriter.getF32FloatAttr(1.0f));
      gemm->setLoc(FusedLoc::get(rewriter.getContext(), {loc, bn.getLoc()}));
    });
    rewriter.replaceOp(bn, gemm.getResult());
    return success();
  }
};

/// add(conv(x, w, b), c) -> conv(x, w, b + c) for a constant `c` that varies
/// at most along the output channels, also through reshapes that keep the
/// batch and channel dimensions (exporters add the bias after squeezing a
/// 1-d convolution's unit axis). The bias then adds in the accumulator, and
/// the activation after it is one function for every channel (a table).
struct FoldChannelAddIntoConv : OpRewritePattern<qc::AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(qc::AddOp add,
                                PatternRewriter &rewriter) const override {
    for (unsigned i : {0u, 1u}) {
      Value x = add->getOperand(i);
      std::optional<Tensor> c = getConstantValue(add->getOperand(1 - i));
      auto conv = x.getType() == add.getType() ? getConvThroughReshapes(x)
                                                : qc::ConvOp();
      if (!conv || !c || !c->getElementType().isF32())
        continue;
      std::optional<Tensor> bias = channelBias(conv, *c, add.getType().getRank());
      if (!bias)
        continue;
      Location loc = conv.getLoc();
      Value newBias = createConstant(rewriter, loc, *bias, "bias");
      rewriter.modifyOpInPlace(conv, [&] {
        conv.getBiasMutable().assign(newBias);
        conv->setLoc(FusedLoc::get(rewriter.getContext(), {loc, add.getLoc()}));
      });
      rewriter.replaceOp(add, x);
      return success();
    }
    return failure();
  }

  /// The f32 convolution that `v` reshapes, when nothing else reads it and
  /// every reshape keeps dimensions 0 and 1.
  static qc::ConvOp getConvThroughReshapes(Value v) {
    while (auto reshape = v.getDefiningOp<qc::ReshapeOp>()) {
      auto in = cast<RankedTensorType>(reshape.getInput().getType());
      auto out = reshape.getType();
      if (!reshape->hasOneUse() || in.getRank() < 2 || out.getRank() < 2 ||
          in.getShape().take_front(2) != out.getShape().take_front(2))
        return {};
      v = reshape.getInput();
    }
    auto conv = v.getDefiningOp<qc::ConvOp>();
    if (!conv || !conv->hasOneUse() || !conv.getType().getElementType().isF32())
      return {};
    return conv;
  }

  /// The conv's bias plus `c`, when `c` (broadcast against a result of
  /// `rank` dimensions) has one value per channel or one for all.
  static std::optional<Tensor> channelBias(qc::ConvOp conv, const Tensor &c,
                                           int64_t rank) {
    int64_t channels = conv.getType().getDimSize(1);
    ArrayRef<int64_t> shape = c.getShape();
    int64_t offset = rank - static_cast<int64_t>(shape.size());
    for (auto [d, size] : llvm::enumerate(shape))
      if (size != 1 && (offset + static_cast<int64_t>(d) != 1 || size != channels))
        return std::nullopt;
    std::optional<Tensor> bias;
    if (conv.getBias() && !(bias = getConstantValue(conv.getBias())))
      return std::nullopt;
    if (!bias)
      bias = Tensor(c.getElementType(), {channels}); // zeros
    bool perChannel = c.getNumElements() == channels && channels > 1;
    for (int64_t ch = 0; ch < channels; ++ch)
      bias->floats()[ch] += c.floats()[perChannel ? ch : 0];
    return bias;
  }
};

struct QCSimplifyPass : quantc::impl::QCSimplifyBase<QCSimplifyPass> {
  using QCSimplifyBase::QCSimplifyBase;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    patterns.add<FoldConstantSubgraph>(ctx, maxFoldElements);
    patterns.add<FoldBatchNormIntoConv<qc::ConvOp>,
                 FoldBatchNormIntoConv<qc::ConvTransposeOp>,
                 FoldBatchNormIntoGemm, FoldChannelAddIntoConv>(ctx);
    for (RegisteredOperationName name : ctx->getRegisteredOperations())
      if (isa<qc::QCDialect>(name.getDialect()))
        name.getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    IRRewriter rewriter(ctx);
    DominanceInfo dominance;
    eliminateCommonSubExpressions(rewriter, dominance, getOperation());
  }
};
} // namespace
