//===- FoldScales.cpp - the qc-fold-scales pass -----------------*- C++ -*-===//
//
// Turns the QDQ form produced by qc-quantize (or imported from a QDQ ONNX
// model) into integer layers: one rewrite pattern per folding rule.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Dialect/QC/QuantUtils.h"
#include "quantc/Reference/Evaluator.h"
#include "quantc/Transforms/Passes.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace quantc {
#define GEN_PASS_DEF_QCFOLDSCALES
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;
using reference::Tensor;

namespace {
constexpr int64_t kAccumulatorLimit = INT32_MAX;

/// Scales and zero points of a per-tensor or per-axis quantized value, with
/// one entry per channel (`channels` copies for a per-tensor type).
struct ChannelParams {
  SmallVector<double> scales;
  SmallVector<int64_t> zeroPoints;
  int64_t qmin, qmax;
};

std::optional<ChannelParams> getChannelParams(Type tensorType, int64_t channels) {
  quant::QuantizedType type = getQuantizedType(tensorType);
  ChannelParams p;
  if (!type)
    return std::nullopt;
  p.qmin = type.getStorageTypeMin();
  p.qmax = type.getStorageTypeMax();
  if (auto uniform = dyn_cast<quant::UniformQuantizedType>(type)) {
    p.scales.assign(channels, uniform.getScale());
    p.zeroPoints.assign(channels, uniform.getZeroPoint());
    return p;
  }
  auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(type);
  if (!perAxis || (int64_t)perAxis.getScales().size() != channels)
    return std::nullopt;
  p.scales.assign(perAxis.getScales().begin(), perAxis.getScales().end());
  p.zeroPoints.assign(perAxis.getZeroPoints().begin(),
                      perAxis.getZeroPoints().end());
  return p;
}

/// Largest |q - z| over the storage range.
int64_t maxCentered(int64_t qmin, int64_t qmax, int64_t zeroPoint) {
  return std::max(qmax - zeroPoint, zeroPoint - qmin);
}

/// The float value of a constant, or of a dequantized constant (QDQ models
/// store biases as i32 with a DequantizeLinear).
std::optional<Tensor> getFloatConstant(Value v) {
  if (auto dq = v.getDefiningOp<DequantizeOp>()) {
    auto cast = dq.getInput().getDefiningOp<quant::StorageCastOp>();
    std::optional<Tensor> stored =
        cast ? reference::getConstantValue(cast.getInput()) : std::nullopt;
    if (!stored)
      return std::nullopt;
    FailureOr<Tensor> quantized = reference::evaluateOp(cast, {&*stored});
    if (failed(quantized))
      return std::nullopt;
    FailureOr<Tensor> result = reference::evaluateOp(dq, {&*quantized});
    if (failed(result))
      return std::nullopt;
    return std::move(*result);
  }
  return reference::getConstantValue(v);
}

/// The quantized operand behind a `qc.dequantize`, if any.
Value getQuantizedSource(Value v) {
  auto dq = v.getDefiningOp<DequantizeOp>();
  return dq ? dq.getInput() : Value();
}

Value createI32Constant(PatternRewriter &rewriter, Location loc,
                        ArrayRef<int64_t> values) {
  Tensor t(rewriter.getI32Type(), {(int64_t)values.size()});
  llvm::copy(values, t.ints().begin());
  return ConstantOp::create(rewriter, loc, t.toAttr(t.getType(), "bias"));
}

/// Matmul with its weights laid out as [K, N]: a transposed constant `b` of
/// Gemm is transposed here, once.
FailureOr<Value> getKByNWeights(PatternRewriter &rewriter, Value quantized,
                                bool transposed) {
  if (!transposed)
    return quantized;
  auto cast = quantized.getDefiningOp<quant::StorageCastOp>();
  std::optional<Tensor> storage =
      cast ? reference::getConstantValue(cast.getInput()) : std::nullopt;
  if (!storage)
    return failure();
  int64_t n = storage->getShape()[0], k = storage->getShape()[1];
  Tensor t(storage->getElementType(), {k, n});
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < k; ++j)
      t.ints()[j * n + i] = storage->ints()[i * k + j];
  quant::QuantizedType type = getQuantizedType(quantized.getType());
  if (auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(type))
    type = quant::UniformQuantizedPerAxisType::get(
        perAxis.getFlags(), perAxis.getStorageType(), perAxis.getExpressedType(),
        perAxis.getScales(), perAxis.getZeroPoints(), 1,
        perAxis.getStorageTypeMin(), perAxis.getStorageTypeMax());
  Location loc = quantized.getLoc();
  Value c = ConstantOp::create(rewriter, loc, t.toAttr(t.getType(), "weight"));
  return Value(quant::StorageCastOp::create(
      rewriter, loc, RankedTensorType::get({k, n}, type), c));
}

/// A float layer in QDQ form, normalized over conv, matmul and gemm.
struct LayerMatch {
  Operation *layer;
  Value input, weight; // quantized
  std::optional<Tensor> bias;
  double alpha = 1.0, biasScale = 1.0;
  bool transposedWeight = false;
  int64_t channels, channelAxis, reduction;
};

FailureOr<LayerMatch> matchLayer(Operation *op) {
  LayerMatch m;
  m.layer = op;
  Value bias;
  if (auto conv = dyn_cast<ConvOp>(op)) {
    m.input = getQuantizedSource(conv.getInput());
    m.weight = getQuantizedSource(conv.getWeight());
    bias = conv.getBias();
    auto wShape = conv.getWeight().getType().getShape();
    m.channels = wShape[0];
    m.channelAxis = 1;
    m.reduction = 1;
    for (int64_t d : wShape.drop_front())
      m.reduction *= d;
  } else if (auto matmul = dyn_cast<MatMulOp>(op)) {
    auto lhs = matmul.getLhs().getType(), rhs = matmul.getRhs().getType();
    if (lhs.getRank() < 2 || rhs.getRank() < 2 ||
        (rhs.getRank() > 2 &&
         lhs.getShape().drop_back(2) != rhs.getShape().drop_back(2)))
      return failure();
    m.input = getQuantizedSource(matmul.getLhs());
    m.weight = getQuantizedSource(matmul.getRhs());
    m.channels = rhs.getShape().back();
    m.channelAxis = lhs.getRank() - 1;
    m.reduction = lhs.getShape().back();
  } else if (auto gemm = dyn_cast<GemmOp>(op)) {
    if (gemm.getTransA() || gemm.getAlpha().convertToDouble() <= 0)
      return failure();
    m.input = getQuantizedSource(gemm.getA());
    m.weight = getQuantizedSource(gemm.getB());
    m.transposedWeight = gemm.getTransB();
    m.alpha = gemm.getAlpha().convertToDouble();
    m.biasScale = gemm.getBeta().convertToDouble();
    bias = gemm.getC();
    m.channels = gemm.getType().getDimSize(1);
    m.channelAxis = 1;
    m.reduction = gemm.getA().getType().getDimSize(1);
  } else {
    return failure();
  }
  if (!m.input || !m.weight || !getUniformType(m.input.getType()))
    return failure();
  if (bias) {
    m.bias = getFloatConstant(bias);
    if (!m.bias || m.bias->getNumElements() != m.channels)
      return failure();
  }
  return m;
}

/// quantize(layer(dequantize(x), dequantize(w), bias) [-> relu | clip])
///   => requantize(qlayer(x, w, bias_i32)) with the activation as clamp.
struct FoldLayer : OpRewritePattern<QuantizeOp> {
  FoldLayer(MLIRContext *ctx, RoundingMode rounding)
      : OpRewritePattern(ctx), rounding(rounding) {}

  LogicalResult matchAndRewrite(QuantizeOp quantize,
                                PatternRewriter &rewriter) const override {
    Operation *point = quantize.getInput().getDefiningOp();
    if (!point)
      return failure();
    Operation *activation = nullptr;
    if (isa<ReluOp, ClipOp>(point)) {
      activation = point;
      point = point->getOperand(0).getDefiningOp();
      if (!point || !point->getResult(0).hasOneUse())
        return failure();
    }
    FailureOr<LayerMatch> m = matchLayer(point);
    if (failed(m))
      return failure();
    auto outType = getUniformType(quantize.getType());
    auto inType = getUniformType(m->input.getType());
    std::optional<ChannelParams> w = getChannelParams(m->weight.getType(), m->channels);
    if (!outType || !w)
      return rewriter.notifyMatchFailure(quantize, "unsupported quantized types");
    if (m->transposedWeight) {
      auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(
          getQuantizedType(m->weight.getType()));
      if (perAxis && perAxis.getQuantizedDimension() != 0)
        return failure();
    }

    // i32 bias with scale s_x * s_w[c] * alpha, and the rescale per channel.
    SmallVector<int64_t> bias(m->channels, 0);
    SmallVector<int32_t> multipliers, shifts;
    int64_t maxBias = 0;
    for (int64_t c = 0; c < m->channels; ++c) {
      double accScale = inType.getScale() * w->scales[c] * m->alpha;
      if (m->bias) {
        double b = std::nearbyint(m->bias->floats()[c] * m->biasScale / accScale);
        if (!(std::fabs(b) < kAccumulatorLimit))
          return remark(quantize, "its bias does not fit i32");
        bias[c] = static_cast<int64_t>(b);
        maxBias = std::max<int64_t>(maxBias, std::abs(bias[c]));
      }
      // Below 2^-32 (the least multiplier a shift reaches), every accumulator
      // (|acc| < 2^31) rescales to less than half a step, which rounds to 0
      // in every mode: the multiplier is exactly 0 (a channel of all but
      // zero weights and bias).
      double rescale = accScale / outType.getScale();
      FailureOr<FixedPointMultiplier> fp =
          getFixedPointMultiplier(rescale >= 0.0 && rescale < 0x1p-32 ? 0.0 : rescale);
      if (failed(fp))
        return remark(quantize, "its rescale is not representable");
      multipliers.push_back(fp->multiplier);
      shifts.push_back(fp->shift);
    }
    int64_t maxW = 0;
    for (int64_t z : w->zeroPoints)
      maxW = std::max(maxW, maxCentered(w->qmin, w->qmax, z));
    int64_t maxX = maxCentered(inType.getStorageTypeMin(),
                               inType.getStorageTypeMax(), inType.getZeroPoint());
    if (m->reduction * maxX * maxW + maxBias > kAccumulatorLimit)
      return remark(quantize, "its accumulator could overflow i32");

    Location loc = point->getLoc();
    FailureOr<Value> weight =
        getKByNWeights(rewriter, m->weight, m->transposedWeight);
    if (failed(weight))
      return failure();
    Value biasValue = m->bias || maxBias ? createI32Constant(rewriter, loc, bias)
                                         : Value();
    Value acc;
    if (auto conv = dyn_cast<ConvOp>(point))
      acc = QConvOp::create(rewriter, loc, m->input, *weight, biasValue,
                            conv.getStrides(), conv.getDilations(),
                            conv.getPads(), conv.getGroup(), false);
    else
      acc = QMatMulOp::create(rewriter, loc, m->input, *weight, biasValue, false);

    bool uniform = llvm::all_equal(multipliers) && llvm::all_equal(shifts);
    if (uniform) {
      multipliers.resize(1);
      shifts.resize(1);
    }
    auto [clampMin, clampMax] = getClamp(activation, outType);
    auto requantize = RequantizeOp::create(
        rewriter, activation ? activation->getLoc() : loc, quantize.getType(),
        acc, multipliers, shifts,
        uniform ? IntegerAttr() : rewriter.getI64IntegerAttr(m->channelAxis),
        rounding, clampMin, clampMax);
    // The layer's precision and why it was chosen stay with the integer layer.
    for (StringRef name : {"qc.precision", "qc.sensitivity", "qc.choice"})
      if (Attribute attr = point->getAttr(name))
        requantize->setAttr(name, attr);
    rewriter.replaceOp(quantize, requantize);
    return success();
  }

  /// Relu and Clip as bounds in the output's storage units: quantization is
  /// monotonic, so clamping after it equals clamping before.
  std::pair<IntegerAttr, IntegerAttr>
  getClamp(Operation *activation, quant::UniformQuantizedType type) const {
    Builder b(type.getContext());
    auto bound = [&](float x) {
      return b.getI64IntegerAttr(quantizeValue(
          x, type.getScale(), type.getZeroPoint(), type.getStorageTypeMin(),
          type.getStorageTypeMax(), RoundingMode::HalfToEven));
    };
    if (isa_and_nonnull<ReluOp>(activation))
      return {bound(0.0f), IntegerAttr()};
    if (auto clip = dyn_cast_or_null<ClipOp>(activation))
      return {bound(clip.getMin().convertToFloat()),
              bound(clip.getMax().convertToFloat())};
    return {};
  }

  LogicalResult remark(QuantizeOp op, const Twine &why) const {
    op->emitRemark("layer kept in QDQ form: ") << why;
    return failure();
  }

  RoundingMode rounding;
};

/// Precomputes -z_x * sum(w - z_w) into the bias of an integer layer with
/// constant weights, so the layer accumulates its input as stored.
template <typename LayerOp>
struct FoldZeroPoint : OpRewritePattern<LayerOp> {
  using OpRewritePattern<LayerOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(LayerOp op,
                                PatternRewriter &rewriter) const override {
    Value input = op->getOperand(0), weight = op->getOperand(1);
    auto inType = getUniformType(input.getType());
    int64_t zx = inType.getZeroPoint();
    auto storageCast = weight.getDefiningOp<quant::StorageCastOp>();
    if (op.getZeroPointFolded() || zx == 0 || !storageCast)
      return failure();
    std::optional<Tensor> w = reference::getConstantValue(storageCast.getInput());
    auto wType = cast<RankedTensorType>(weight.getType());
    if (!w || (std::is_same_v<LayerOp, QMatMulOp> && wType.getRank() != 2))
      return failure();
    bool channelsFirst = std::is_same_v<LayerOp, QConvOp>;
    int64_t channels = channelsFirst ? wType.getDimSize(0) : wType.getDimSize(1);
    std::optional<ChannelParams> params = getChannelParams(wType, channels);
    if (!params)
      return failure();
    int64_t perChannel = w->getNumElements() / channels;
    SmallVector<int64_t> sums(channels, 0);
    for (int64_t i = 0, e = w->getNumElements(); i < e; ++i) {
      int64_t c = channelsFirst ? i / perChannel : i % channels;
      sums[c] += w->ints()[i] - params->zeroPoints[c];
    }
    std::optional<Tensor> oldBias;
    if (op.getBias()) {
      oldBias = reference::getConstantValue(op.getBias());
      if (!oldBias)
        return failure();
    }
    SmallVector<int64_t> bias(channels);
    int64_t maxBias = 0, maxW = 0;
    for (int64_t c = 0; c < channels; ++c) {
      bias[c] = (oldBias ? oldBias->ints()[c] : 0) - zx * sums[c];
      maxBias = std::max<int64_t>(maxBias, std::abs(bias[c]));
      maxW = std::max(maxW, maxCentered(params->qmin, params->qmax,
                                        params->zeroPoints[c]));
    }
    int64_t maxX = std::max(std::abs(inType.getStorageTypeMin()),
                            std::abs(inType.getStorageTypeMax()));
    if (perChannel * maxX * maxW + maxBias > kAccumulatorLimit)
      return rewriter.notifyMatchFailure(op, "folded form could overflow");
    rewriter.modifyOpInPlace(op, [&] {
      if (op.getBias())
        op.getBiasMutable().assign(createI32Constant(rewriter, op.getLoc(), bias));
      else
        op.getBiasMutable().append(createI32Constant(rewriter, op.getLoc(), bias));
      op.setZeroPointFolded(true);
    });
    return success();
  }
};

/// quantize(dequantize(q)) between two per-tensor types => requantize(q).
struct FoldRequantization : OpRewritePattern<QuantizeOp> {
  FoldRequantization(MLIRContext *ctx, RoundingMode rounding)
      : OpRewritePattern(ctx), rounding(rounding) {}

  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    Value source = getQuantizedSource(op.getInput());
    auto from = source ? getUniformType(source.getType()) : nullptr;
    auto to = getUniformType(op.getType());
    if (!from || !to || source.getType() == op.getType())
      return failure();
    FailureOr<FixedPointMultiplier> fp =
        getFixedPointMultiplier(from.getScale() / to.getScale());
    if (failed(fp))
      return failure();
    rewriter.replaceOpWithNewOp<RequantizeOp>(
        op, op.getType(), source, ArrayRef<int32_t>{fp->multiplier},
        ArrayRef<int32_t>{fp->shift}, IntegerAttr(), rounding, IntegerAttr(),
        IntegerAttr());
    return success();
  }

  RoundingMode rounding;
};

/// quantize(M(dequantize(q), ...)) => M(q, ...) for ops that only move or
/// select values (reshape, transpose, slice, concat, max pooling, nearest
/// resizing), when every input already has the result's type.
struct FoldScalePreserving : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    Operation *movement = op.getInput().getDefiningOp();
    if (!movement || movement->getNumResults() != 1)
      return failure();
    if (!keepsQuantizedType(movement) && !isa<ConcatOp>(movement))
      return failure();
    IRMapping mapping;
    for (Value operand : movement->getOperands()) {
      Value source = getQuantizedSource(operand);
      if (!source || cast<ShapedType>(source.getType()).getElementType() !=
                         op.getType().getElementType())
        return failure();
      mapping.map(operand, source);
    }
    Operation *integer = rewriter.clone(*movement, mapping);
    integer->getResult(0).setType(op.getType());
    rewriter.replaceOp(op, integer->getResults());
    return success();
  }
};

/// quantize(f(dequantize(q))) => lookup_table(q) for any element-wise float
/// function f of one 8-bit quantized value (sigmoid, tanh, SiLU, hard-swish,
/// GELU, ...): the table holds f at every storage value, computed with the
/// very float ops it replaces, so the result is exact.
struct FoldLookupTable : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    auto outType = op.getType();
    SmallVector<Operation *> region;
    DequantizeOp dequantize;
    if (failed(collectElementwiseRegion(op.getInput(), region, dequantize)))
      return failure();
    Value source = dequantize.getInput();
    auto inType = getQuantizedType(source.getType());
    if (!getUniformType(source.getType()) ||
        inType.getStorageTypeIntegralWidth() > 8 ||
        !getUniformType(outType))
      return failure();
    FailureOr<Tensor> table = tabulate(op, region, source);
    if (failed(table))
      return failure();
    auto storage = getQuantizedType(outType).getStorageType();
    auto tableType = RankedTensorType::get({table->getNumElements()}, storage);
    rewriter.replaceOpWithNewOp<LookupTableOp>(op, outType, source,
                                               table->toAttr(tableType, "table"));
    return success();
  }

  /// Runs the region on every storage value of `source` and quantizes the
  /// results as `op` does.
  static FailureOr<Tensor> tabulate(QuantizeOp op, ArrayRef<Operation *> region,
                                    Value source) {
    auto inType = getUniformType(source.getType());
    int64_t lo = inType.getStorageTypeMin(), hi = inType.getStorageTypeMax();
    int64_t count = hi - lo + 1;
    auto f32 = Float32Type::get(op.getContext());
    auto vectorType = RankedTensorType::get({count}, f32);
    Tensor inputs(f32, {count});
    for (int64_t v = lo; v <= hi; ++v)
      inputs.floats()[v - lo] = static_cast<float>(v - inType.getZeroPoint()) *
                                static_cast<float>(inType.getScale());
    DenseMap<Value, Tensor> values;
    auto valueOf = [&](Value v) -> Tensor {
      if (v.getDefiningOp<DequantizeOp>())
        return inputs;
      if (auto constant = v.getDefiningOp<ConstantOp>()) {
        auto dense = cast<DenseElementsAttr>(constant.getValue());
        Tensor splat(f32, {count});
        std::fill(splat.floats().begin(), splat.floats().end(),
                  dense.getSplatValue<APFloat>().convertToFloat());
        return splat;
      }
      return values[v];
    };
    // Each op runs detached, on 1-d tensors of `count` elements.
    for (Operation *original : region) {
      SmallVector<Tensor> operands;
      for (Value v : original->getOperands())
        operands.push_back(valueOf(v));
      SmallVector<const Tensor *> pointers;
      for (const Tensor &t : operands)
        pointers.push_back(&t);
      FailureOr<Tensor> result = reference::evaluateOpAs(original, vectorType, pointers);
      if (failed(result))
        return failure();
      values[original->getResult(0)] = std::move(*result);
    }
    auto outType = getUniformType(op.getType());
    Tensor table(outType.getStorageType(), {count});
    const Tensor &outputs = values[op.getInput()];
    for (int64_t i = 0; i < count; ++i)
      table.ints()[i] = quantizeValue(
          outputs.floats()[i], outType.getScale(), outType.getZeroPoint(),
          outType.getStorageTypeMin(), outType.getStorageTypeMax(),
          op.getRounding());
    return table;
  }
};

/// quantize(op(dequantize(a), dequantize(b))) for a binary op: the two
/// per-tensor quantized sources and the result type.
struct QuantizedBinary {
  Value lhs, rhs;
  quant::UniformQuantizedType lhsType, rhsType, outType;
};

template <typename BinaryOp>
std::optional<QuantizedBinary> matchQuantizedBinary(QuantizeOp op) {
  auto binary = op.getInput().getDefiningOp<BinaryOp>();
  if (!binary)
    return std::nullopt;
  QuantizedBinary m;
  m.lhs = getQuantizedSource(binary.getLhs());
  m.rhs = getQuantizedSource(binary.getRhs());
  m.outType = getUniformType(op.getType());
  m.lhsType = m.lhs ? getUniformType(m.lhs.getType()) : nullptr;
  m.rhsType = m.rhs ? getUniformType(m.rhs.getType()) : nullptr;
  if (!m.outType || !m.lhsType || !m.rhsType)
    return std::nullopt;
  return m;
}

/// quantize(add(dequantize(a), dequantize(b))) => qadd(a, b): both inputs
/// move to twice the larger input scale with `left_shift` bits of headroom,
/// add, and rescale to the output (TFLite's scheme).
struct FoldAdd : OpRewritePattern<QuantizeOp> {
  FoldAdd(MLIRContext *ctx, RoundingMode rounding)
      : OpRewritePattern(ctx), rounding(rounding) {}

  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<QuantizedBinary> m = matchQuantizedBinary<AddOp>(op);
    if (!m)
      return failure();
    double lhsScale = m->lhsType.getScale(), rhsScale = m->rhsType.getScale();
    unsigned width = std::max(m->lhsType.getStorageTypeIntegralWidth(),
                              m->rhsType.getStorageTypeIntegralWidth());
    int64_t leftShift = width <= 8 ? 20 : 30 - width;
    double twiceMax = 2 * std::max(lhsScale, rhsScale);
    SmallVector<int32_t> multipliers, shifts;
    for (double real :
         {lhsScale / twiceMax, rhsScale / twiceMax,
          twiceMax / (std::ldexp(1.0, leftShift) * m->outType.getScale())}) {
      FailureOr<FixedPointMultiplier> fp = getFixedPointMultiplier(real);
      if (failed(fp))
        return failure();
      multipliers.push_back(fp->multiplier);
      shifts.push_back(fp->shift);
    }
    rewriter.replaceOpWithNewOp<QAddOp>(op, op.getType(), m->lhs, m->rhs,
                                        multipliers, shifts, leftShift, rounding);
    return success();
  }

  RoundingMode rounding;
};

/// quantize(mul(dequantize(a), dequantize(b))) => qmul(a, b): the product of
/// the centred integers, rescaled by s_a * s_b / s_out.
struct FoldMul : OpRewritePattern<QuantizeOp> {
  FoldMul(MLIRContext *ctx, RoundingMode rounding)
      : OpRewritePattern(ctx), rounding(rounding) {}

  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<QuantizedBinary> m = matchQuantizedBinary<MulOp>(op);
    if (!m || m->lhsType.getStorageTypeIntegralWidth() > 8 ||
        m->rhsType.getStorageTypeIntegralWidth() > 8)
      return failure();
    FailureOr<FixedPointMultiplier> fp = getFixedPointMultiplier(
        m->lhsType.getScale() * m->rhsType.getScale() / m->outType.getScale());
    if (failed(fp))
      return failure();
    rewriter.replaceOpWithNewOp<QMulOp>(op, op.getType(), m->lhs, m->rhs,
                                        fp->multiplier, fp->shift, rounding);
    return success();
  }

  RoundingMode rounding;
};

struct FoldScalesPass : quantc::impl::QCFoldScalesBase<FoldScalesPass> {
  using Base::Base;

  void runOnOperation() override {
    std::optional<RoundingMode> mode = symbolizeRoundingMode(rounding);
    if (!mode) {
      emitError(getOperation().getLoc(), "unknown rounding mode '") << rounding << "'";
      return signalPassFailure();
    }
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    patterns.add<FoldLayer, FoldRequantization, FoldAdd, FoldMul>(ctx, *mode);
    patterns.add<FoldScalePreserving, FoldLookupTable>(ctx);
    patterns.add<FoldZeroPoint<QConvOp>, FoldZeroPoint<QMatMulOp>>(ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // Layers that share a weight and read it transposed (a recurrent
    // layer's gemm at every time step) each got a transposed copy.
    deduplicateConstants(getOperation());
  }
};
} // namespace
