//===- DecomposeConvTranspose.cpp - qc-decompose-conv-transpose --*- C++ -*-===//
//
// Transposed convolutions as one convolution over output phases and a
// depth-to-space shuffle (see the pass description): the convolution kernels,
// the integer ones included, then run them, and no zero of a stride-spread
// input is multiplied.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Reference/Evaluator.h"
#include "quantc/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quantc {
#define GEN_PASS_DEF_QCDECOMPOSECONVTRANSPOSE
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;
using reference::Tensor;

namespace {
RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// The geometry of one spatial dimension: input length, window, stride,
/// dilation, padding before the output, output length.
struct PhaseAxis {
  int64_t input, window, stride, dilation, padBefore, output;

  /// Along a stride-1 axis the one phase is the layer's window flipped, as a
  /// convolution of the same dilation. A strided axis spreads the dilated
  /// window over J = floor(d (K - 1) / s) + 1 dense taps per phase, of which
  /// those landing on a window position carry its weight.
  int64_t convDilation() const { return stride == 1 ? dilation : 1; }
  int64_t taps() const { return stride == 1 ? window : dilation * (window - 1) / stride + 1; }
  /// How far back from its output position the phase convolution reads.
  int64_t reach() const { return (taps() - 1) * convDilation(); }
  /// The window position that phase `phase`'s tap `tap` reads (the tap
  /// reading input m - j takes f - s m = phase + s j), if any.
  std::optional<int64_t> windowPosition(int64_t phase, int64_t tap) const {
    if (stride == 1)
      return window - 1 - tap;
    int64_t spread = phase + stride * (taps() - 1 - tap);
    if (spread % dilation || spread / dilation >= window)
      return std::nullopt;
    return spread / dilation;
  }
  /// Phase-convolution outputs along this axis: enough that `stride` times
  /// them covers the output's positions, and no fewer than the input's (the
  /// padding after the input is what they need beyond it).
  int64_t positions() const {
    return std::max(input, (padBefore + output + stride - 1) / stride);
  }
};

/// The phase convolution's weights [O x P, C/g, J...] from the transposed
/// convolution's [C, O/g, K...]: output channel o x P + phase, each tap the
/// weight at its window position (zero where it has none).
Tensor phaseWeights(const Tensor &w, ArrayRef<PhaseAxis> axes, int64_t group) {
  ArrayRef<int64_t> shape = w.getShape();
  int64_t c = shape[0], og = shape[1], cg = c / group, rank = axes.size();
  int64_t phases = 1;
  SmallVector<int64_t> outShape = {og * group, cg};
  for (const PhaseAxis &a : axes) {
    phases *= a.stride;
    outShape.push_back(a.taps());
  }
  outShape[0] *= phases;
  Tensor v(w.getElementType(), outShape);
  int64_t tapCount = v.getNumElements() / (outShape[0] * cg);
  SmallVector<int64_t> phase(rank), tap(rank);
  for (int64_t out = 0; out < outShape[0]; ++out) {
    int64_t o = out / phases, g = o / og;
    for (int64_t i = rank - 1, rest = out % phases; i >= 0; --i) {
      phase[i] = rest % axes[i].stride;
      rest /= axes[i].stride;
    }
    for (int64_t ci = 0; ci < cg; ++ci)
      for (int64_t t = 0; t < tapCount; ++t) {
        for (int64_t i = rank - 1, rest = t; i >= 0; --i) {
          tap[i] = rest % axes[i].taps();
          rest /= axes[i].taps();
        }
        int64_t source = (g * cg + ci) * og + o % og;
        bool inWindow = true;
        for (int64_t i = 0; i < rank && inWindow; ++i) {
          std::optional<int64_t> k = axes[i].windowPosition(phase[i], tap[i]);
          inWindow = k.has_value();
          source = source * axes[i].window + k.value_or(0);
        }
        if (inWindow)
          v.floats()[(out * cg + ci) * tapCount + t] = w.floats()[source];
      }
  }
  return v;
}

struct ConvTransposeAsPhases : OpRewritePattern<qc::ConvTransposeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(qc::ConvTransposeOp op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType in = typeOf(op.getInput()), out = op.getType();
    int64_t rank = in.getRank() - 2;
    if (rank < 1 || rank > 3 || !in.hasStaticShape() || !out.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "not a static 1-d, 2-d or 3-d layer");
    std::optional<Tensor> weight = reference::getConstantValue(op.getWeight());
    std::optional<Tensor> bias;
    if (op.getBias())
      bias = reference::getConstantValue(op.getBias());
    if (!weight || !weight->isFloat() || (op.getBias() && !bias))
      return rewriter.notifyMatchFailure(op, "weights or bias not constant");
    ArrayRef<int64_t> strides = op.getStrides(), dilations = op.getDilations(),
                      pads = op.getPads();
    SmallVector<PhaseAxis> axes;
    int64_t phases = 1;
    for (int64_t i = 0; i < rank; ++i) {
      axes.push_back({in.getDimSize(2 + i), weight->getShape()[2 + i], strides[i], dilations[i],
                      pads[i], out.getDimSize(2 + i)});
      phases *= strides[i];
    }
    Location loc = op.getLoc();
    int64_t n = in.getDimSize(0), o = out.getDimSize(1);
    SmallVector<int64_t> convPads, convDilations, convShape = {n, o * phases};
    for (const PhaseAxis &a : axes) {
      convPads.push_back(a.reach());
      convDilations.push_back(a.convDilation());
    }
    for (const PhaseAxis &a : axes) {
      convPads.push_back(a.positions() - a.input);
      convShape.push_back(a.positions());
    }
    Value conv = qc::ConvOp::create(
        rewriter, loc, out.clone(convShape), op.getInput(),
        reference::createConstant(rewriter, loc, phaseWeights(*weight, axes, op.getGroup()),
                                  "phase_weight"),
        bias ? phaseBias(rewriter, loc, *bias, phases) : Value(),
        rewriter.getDenseI64ArrayAttr(SmallVector<int64_t>(rank, 1)),
        rewriter.getDenseI64ArrayAttr(convDilations), rewriter.getDenseI64ArrayAttr(convPads),
        op.getGroupAttr());
    rewriter.replaceOp(op, interleavePhases(rewriter, loc, conv, axes, out));
    return success();
  }

  /// The transposed convolution's output from the phase convolution's
  /// [N, O x P, M...]: as [N, O, s..., M...], transposed to
  /// [N, O, M_1, s_1, ...], as [N, O, M_1 s_1, ...], sliced by the padding.
  static Value interleavePhases(PatternRewriter &rewriter, Location loc, Value conv,
                                ArrayRef<PhaseAxis> axes, RankedTensorType out) {
    int64_t rank = axes.size(), n = out.getDimSize(0), o = out.getDimSize(1);
    SmallVector<int64_t> phaseShape = {n, o}, fullShape = {n, o}, perm = {0, 1};
    SmallVector<int64_t> starts(2, 0), ends = {n, o};
    for (auto [i, a] : llvm::enumerate(axes)) {
      phaseShape.push_back(a.stride);
      fullShape.push_back(a.positions() * a.stride);
      perm.append({2 + rank + int64_t(i), 2 + int64_t(i)});
      starts.push_back(a.padBefore);
      ends.push_back(a.padBefore + a.output);
    }
    for (const PhaseAxis &a : axes)
      phaseShape.push_back(a.positions());
    Value full = conv;
    if (llvm::any_of(axes, [](const PhaseAxis &a) { return a.stride > 1; })) {
      full = qc::ReshapeOp::create(rewriter, loc, out.clone(phaseShape), full);
      full = qc::TransposeOp::create(rewriter, loc, full, rewriter.getDenseI64ArrayAttr(perm));
      full = qc::ReshapeOp::create(rewriter, loc, out.clone(fullShape), full);
    }
    if (ArrayRef(fullShape) == out.getShape())
      return full;
    return qc::SliceOp::create(rewriter, loc, full, rewriter.getDenseI64ArrayAttr(starts),
                               rewriter.getDenseI64ArrayAttr(ends),
                               rewriter.getDenseI64ArrayAttr(SmallVector<int64_t>(2 + rank, 1)));
  }

  /// Each output channel's bias once per phase.
  static Value phaseBias(PatternRewriter &rewriter, Location loc, const Tensor &bias,
                         int64_t phases) {
    int64_t o = bias.getNumElements();
    Tensor repeated(bias.getElementType(), {o * phases});
    for (int64_t i = 0; i < o * phases; ++i)
      repeated.floats()[i] = bias.floats()[i / phases];
    return reference::createConstant(rewriter, loc, repeated, "phase_bias");
  }
};

struct DecomposeConvTransposePass
    : quantc::impl::QCDecomposeConvTransposeBase<DecomposeConvTransposePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ConvTransposeAsPhases>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
