//===- DecomposeConv3D.cpp - the qc-decompose-conv3d pass -------*- C++ -*-===//
//
// 3-d convolutions as 2-d ones over depth-unfolded inputs (see the pass
// description), so that every 2-d kernel, the integer ones included, runs
// them.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Reference/Evaluator.h"
#include "quantc/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quantc {
#define GEN_PASS_DEF_QCDECOMPOSECONV3D
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;

namespace {
RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

Value reshape(PatternRewriter &rewriter, Location loc, Value v, ArrayRef<int64_t> shape) {
  return qc::ReshapeOp::create(rewriter, loc, typeOf(v).clone(shape), v);
}

/// `v` with `before` and `after` zero planes around its depth (axis 2).
Value padDepth(PatternRewriter &rewriter, Location loc, Value v, int64_t before,
               int64_t after) {
  if (before == 0 && after == 0)
    return v;
  RankedTensorType type = typeOf(v);
  SmallVector<Value> parts;
  auto zeros = [&](int64_t depth) {
    SmallVector<int64_t> shape(type.getShape());
    shape[2] = depth;
    RankedTensorType planes = type.clone(shape);
    return qc::ConstantOp::create(
        rewriter, loc,
        DenseElementsAttr::get(planes, rewriter.getZeroAttr(type.getElementType())));
  };
  if (before)
    parts.push_back(zeros(before));
  parts.push_back(v);
  if (after)
    parts.push_back(zeros(after));
  return qc::ConcatOp::create(rewriter, loc, parts, rewriter.getI64IntegerAttr(2));
}

/// The weights [O, C/g, KD, KH, KW] as [O, C/g x KD, KH, KW]: the same
/// numbers, a constant again where they are one.
Value flattenWeights(PatternRewriter &rewriter, Location loc, Value weight) {
  ArrayRef<int64_t> w = typeOf(weight).getShape();
  SmallVector<int64_t> shape = {w[0], w[1] * w[2], w[3], w[4]};
  if (std::optional<reference::Tensor> value = reference::getConstantValue(weight))
    return reference::createConstant(rewriter, loc, value->reshaped(shape), "weight");
  return reshape(rewriter, loc, weight, shape);
}

struct Conv3DAs2D : OpRewritePattern<qc::ConvOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(qc::ConvOp conv,
                                PatternRewriter &rewriter) const override {
    RankedTensorType in = typeOf(conv.getInput()), out = conv.getType();
    if (in.getRank() != 5)
      return rewriter.notifyMatchFailure(conv, "not a 3-d convolution");
    Location loc = conv.getLoc();
    ArrayRef<int64_t> strides = conv.getStrides(), dilations = conv.getDilations(),
                      pads = conv.getPads();
    int64_t n = in.getDimSize(0), c = in.getDimSize(1);
    int64_t kd = typeOf(conv.getWeight()).getDimSize(2);
    int64_t od = out.getDimSize(2), o = out.getDimSize(1), oh = out.getDimSize(3),
            ow = out.getDimSize(4);
    // One strided depth slice per tap, each [N, C, 1, OD, H, W].
    Value padded = padDepth(rewriter, loc, conv.getInput(), pads[0], pads[3]);
    ArrayRef<int64_t> shape = typeOf(padded).getShape();
    SmallVector<Value> taps;
    for (int64_t t = 0; t < kd; ++t) {
      int64_t start = t * dilations[0];
      Value slice = qc::SliceOp::create(
          rewriter, loc, padded, rewriter.getDenseI64ArrayAttr({0, 0, start, 0, 0}),
          rewriter.getDenseI64ArrayAttr(
              {n, c, start + (od - 1) * strides[0] + 1, shape[3], shape[4]}),
          rewriter.getDenseI64ArrayAttr({1, 1, strides[0], 1, 1}));
      taps.push_back(reshape(rewriter, loc, slice, {n, c, 1, od, shape[3], shape[4]}));
    }
    Value stacked = taps.size() == 1 ? taps.front()
                                     : Value(qc::ConcatOp::create(
                                           rewriter, loc, taps, rewriter.getI64IntegerAttr(2)));
    // [N, C, KD, OD, H, W] -> [N x OD, C x KD, H, W].
    Value unfolded = qc::TransposeOp::create(rewriter, loc, stacked,
                                             rewriter.getDenseI64ArrayAttr({0, 3, 1, 2, 4, 5}));
    unfolded = reshape(rewriter, loc, unfolded, {n * od, c * kd, shape[3], shape[4]});
    Value planes = qc::ConvOp::create(
        rewriter, loc, out.clone({n * od, o, oh, ow}), unfolded,
        flattenWeights(rewriter, loc, conv.getWeight()), conv.getBias(),
        rewriter.getDenseI64ArrayAttr(strides.drop_front()),
        rewriter.getDenseI64ArrayAttr(dilations.drop_front()),
        rewriter.getDenseI64ArrayAttr({pads[1], pads[2], pads[4], pads[5]}),
        rewriter.getI64IntegerAttr(conv.getGroup()));
    Value result = qc::TransposeOp::create(
        rewriter, loc, reshape(rewriter, loc, planes, {n, od, o, oh, ow}),
        rewriter.getDenseI64ArrayAttr({0, 2, 1, 3, 4}));
    rewriter.replaceOp(conv, result);
    return success();
  }
};

struct DecomposeConv3DPass : quantc::impl::QCDecomposeConv3DBase<DecomposeConv3DPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<Conv3DAs2D>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
