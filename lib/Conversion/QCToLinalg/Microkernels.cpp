//===- Microkernels.cpp - 8-bit layers → packed-weight microkernels -*- C++ -*-===//
//
// An integer matmul or convolution with constant s8 weights (zero zero
// points), optionally followed by its qc.requantize and a byte
// qc.lookup_table of the requantized values, becomes one qc.microkernel call
// of libquantc_kernels. The weights are repacked here,
// once, into the panel layout of quantc/Runtime/Microkernels.h; the kernel
// forms u8 x s8 dot products, so the zero point and the 128 shifts between
// u8 and s8 fold into the bias as multiples of the weights' sums (exact in
// wrapping i32 arithmetic, since the true accumulator fits i32). Float
// layers' kernel calls are in FloatKernels.cpp.
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "PackableLayer.h"
#include "quantc/Dialect/QC/QuantUtils.h"
#include "quantc/Reference/Evaluator.h"
#include "quantc/Runtime/Microkernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Quant/IR/Quant.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::conversion;

bool conversion::isPackableWeight(Value weight) {
  auto type = qc::getQuantizedType(weight.getType());
  FailureOr<qc::QuantLayout> layout = qc::QuantLayout::get(weight.getType());
  if (!type || failed(layout) || !type.isSigned() ||
      type.getStorageTypeIntegralWidth() != 8 ||
      isa<quant::UniformQuantizedSubChannelType>(type) ||
      llvm::any_of(layout->zeroPoints, [](int64_t z) { return z != 0; }))
    return false;
  return static_cast<bool>(getStoredConstant(weight));
}

/// The stored integers of a packable weight.
static std::optional<reference::Tensor> getSignedWeights(Value weight) {
  if (!isPackableWeight(weight))
    return std::nullopt;
  FailureOr<reference::Tensor> value =
      reference::Tensor::fromAttr(getStoredConstant(weight));
  if (failed(value))
    return std::nullopt;
  return *value;
}

/// The integers of a constant bias.
static std::optional<reference::Tensor> getBias(Value bias) {
  ElementsAttr attr = getStoredConstant(bias);
  if (!attr)
    return std::nullopt;
  FailureOr<reference::Tensor> value = reference::Tensor::fromAttr(attr);
  if (failed(value))
    return std::nullopt;
  return *value;
}

bool conversion::isPackableLayer(Operation *op) {
  Value input, weight, bias;
  if (auto conv = dyn_cast<qc::QConvOp>(op)) {
    int64_t rank = cast<ShapedType>(conv.getInput().getType()).getRank();
    if (rank != 4 && rank != 3)
      return false;
    input = conv.getInput(), weight = conv.getWeight(), bias = conv.getBias();
  } else if (auto matmul = dyn_cast<qc::QMatMulOp>(op)) {
    if (cast<ShapedType>(matmul.getRhs().getType()).getRank() != 2 ||
        cast<ShapedType>(matmul.getLhs().getType()).getRank() < 2)
      return false;
    input = matmul.getLhs(), weight = matmul.getRhs(), bias = matmul.getBias();
  } else {
    return false;
  }
  auto inputType = qc::getUniformType(input.getType());
  return inputType && inputType.getStorageTypeIntegralWidth() == 8 &&
         isPackableWeight(weight) &&
         (!bias || getStoredConstant(bias));
}

FailureOr<PackableLayer> conversion::matchPackableLayer(Operation *op) {
  if (!isPackableLayer(op))
    return failure();
  PackableLayer layer;
  layer.op = op;
  if (auto conv = dyn_cast<qc::QConvOp>(op)) {
    auto inShape = cast<ShapedType>(conv.getInput().getType()).getShape();
    if (inShape.size() != 4 && inShape.size() != 3)
      return failure();
    std::optional<reference::Tensor> w = getSignedWeights(conv.getWeight());
    if (!w)
      return failure();
    ConvGeometry g = *getGeometry(conv);
    SmallVector<int64_t, 4> in = shape2D(inShape), ws = shape2D(w->getShape()),
                            out = shape2D(cast<ShapedType>(conv.getType()).getShape());
    int64_t n = ws[0], k = w->getNumElements() / n;
    layer.weights.resize(k * n);
    for (int64_t o = 0; o < n; ++o)
      for (int64_t i = 0; i < k; ++i)
        layer.weights[i * n + o] = static_cast<int8_t>(w->ints()[o * k + i]);
    layer.k = k;
    layer.n = n;
    layer.input = conv.getInput();
    layer.inputOffset = conv.getZeroPointFolded()
                            ? 0 : qc::getUniformType(conv.getInput().getType()).getZeroPoint();
    layer.params = {in[1], in[2], in[3], ws[2], ws[3],
                    g.strides[0], g.strides[1], g.dilations[0], g.dilations[1],
                    g.padLow[2], g.padLow[3], out[2], out[3]};
    if (conv.getBias())
      layer.bias = getBias(conv.getBias());
    if (conv.getBias() && !layer.bias)
      return failure();
  } else if (auto matmul = dyn_cast<qc::QMatMulOp>(op)) {
    std::optional<reference::Tensor> w = getSignedWeights(matmul.getRhs());
    auto lhsShape = cast<ShapedType>(matmul.getLhs().getType()).getShape();
    if (!w || w->getRank() != 2 || lhsShape.size() < 2)
      return failure();
    layer.k = w->getShape()[0];
    layer.n = w->getShape()[1];
    for (int64_t v : w->ints())
      layer.weights.push_back(static_cast<int8_t>(v));
    layer.input = matmul.getLhs();
    layer.inputOffset = matmul.getZeroPointFolded()
                            ? 0 : qc::getUniformType(matmul.getLhs().getType()).getZeroPoint();
    if (matmul.getBias())
      layer.bias = getBias(matmul.getBias());
    if (matmul.getBias() && !layer.bias)
      return failure();
  } else {
    return failure();
  }
  layer.inputType = qc::getUniformType(layer.input.getType());
  if (!layer.inputType || layer.inputType.getStorageTypeIntegralWidth() != 8)
    return failure();
  return layer;
}

int64_t conversion::weightSum(const PackableLayer &layer, int64_t channel) {
  int64_t sum = 0;
  for (int64_t k = 0; k < layer.k; ++k)
    sum += layer.weights[k * layer.n + channel];
  return sum;
}

namespace {
/// Matmul weights as the panels of quantc/Runtime/Microkernels.h;
/// convolution weights as rows of u8 (w + 128), one per output channel,
/// padded to a multiple of 4 taps, then the slack the AMX kernels read.
std::vector<int8_t> packWeights(const PackableLayer &layer) {
  constexpr int64_t panel = QC_PANEL_COLUMNS;
  int64_t kp = (layer.k + 3) / 4 * 4;
  if (isa<qc::QConvOp>(layer.op)) {
    std::vector<int8_t> rows((layer.n + QC_CONV_WEIGHT_SLACK_ROWS) * kp +
                                 QC_CONV_WEIGHT_SLACK_BYTES,
                             static_cast<int8_t>(0x80));
    for (int64_t c = 0; c < layer.n; ++c)
      for (int64_t k = 0; k < layer.k; ++k)
        rows[c * kp + k] = static_cast<int8_t>(
            static_cast<uint8_t>(layer.weights[k * layer.n + c]) ^ 0x80);
    return rows;
  }
  int64_t panels = (layer.n + panel - 1) / panel;
  std::vector<int8_t> packed(panels * kp * panel, 0);
  for (int64_t p = 0; p < panels; ++p)
    for (int64_t k = 0; k < layer.k; ++k)
      for (int64_t c = 0; c < panel && p * panel + c < layer.n; ++c)
        packed[((p * kp + k / 4 * 4) * panel) + c * 4 + k % 4] =
            layer.weights[k * layer.n + p * panel + c];
  return packed;
}

/// The bias with the zero-point and sign-shift corrections, wrapped to i32.
/// Matmul activations enter the kernel as u8 = a + 128 (for s8 a), so it
/// subtracts (128 + offset) times each weight column's sum. Convolution
/// activations enter as s8 = a - 128 (for u8 a) against u8 = w + 128
/// weights; the kernel removes 128 x each pixel's tap sum itself, and the
/// bias adds (128 - offset) times each weight row's sum for u8 inputs.
SmallVector<int32_t> foldedBias(const PackableLayer &layer) {
  bool isConv = isa<qc::QConvOp>(layer.op);
  bool isSigned = layer.inputType.isSigned();
  int64_t factor = isConv ? (isSigned ? 0 : 128) - layer.inputOffset
                          : -((isSigned ? 128 : 0) + layer.inputOffset);
  SmallVector<int32_t> bias(layer.n);
  for (int64_t c = 0; c < layer.n; ++c) {
    int64_t b = layer.bias ? layer.bias->ints()[c] : 0;
    bias[c] = static_cast<int32_t>(
        static_cast<uint32_t>(b + factor * weightSum(layer, c)));
  }
  return bias;
}

/// What turns a stored byte of a lookup's input into its table index: the
/// table is indexed from the input's lowest storage value, so a signed
/// byte's sign bit is flipped.
uint8_t lookupIndexFlip(qc::LookupTableOp lookup) {
  return qc::getQuantizedType(lookup.getInput().getType()).isSigned() ? 0x80 : 0;
}

/// `lookup`'s table as the kernel reads it (QC_QLAYER_LOOKUP): indexed by
/// the stored byte, in 64 words to follow the bias.
FailureOr<SmallVector<int32_t>> lookupWords(qc::LookupTableOp lookup) {
  FailureOr<reference::Tensor> table = reference::Tensor::fromAttr(lookup.getTable());
  if (failed(table))
    return failure();
  uint8_t flip = lookupIndexFlip(lookup);
  SmallVector<int32_t> words(64, 0);
  for (int byte = 0; byte < 256; ++byte) {
    auto entry = static_cast<uint8_t>(table->ints()[byte ^ flip]);
    words[byte / 4] = static_cast<int32_t>(static_cast<uint32_t>(words[byte / 4]) |
                                           uint32_t(entry) << (8 * (byte % 4)));
  }
  return words;
}

/// Lowers the layer (and `requantize` and `lookup`, when given) to one
/// microkernel call.
LogicalResult lowerLayer(const PackableLayer &layer, qc::RequantizeOp requantize,
                         qc::LookupTableOp lookup, Value input,
                         RankedTensorType resultType, StringRef suffix,
                         ConversionPatternRewriter &rewriter) {
  Location loc = layer.op->getLoc();
  SmallVector<int32_t> bias = foldedBias(layer);
  if (lookup) {
    FailureOr<SmallVector<int32_t>> table = lookupWords(lookup);
    if (failed(table))
      return rewriter.notifyMatchFailure(lookup, "unreadable table");
    bias.append(*table);
  }
  Value packedValue =
      blobConstant<int8_t>(rewriter, loc, packWeights(layer), rewriter.getI8Type());
  SmallVector<int32_t> multiplier = {1}, shift = {0};
  SmallVector<int64_t> params(QC_QLAYER_NUM_PARAMS, 0);
  bool isConv = isa<qc::QConvOp>(layer.op);
  auto inShape = cast<ShapedType>(layer.input.getType()).getShape();
  params[QC_QLAYER_KIND] = isConv;
  params[QC_QLAYER_M] = isConv ? inShape[0]
                               : ShapedType::getNumElements(inShape) / layer.k;
  params[QC_QLAYER_N] = layer.n;
  params[QC_QLAYER_K] = layer.k;
  params[QC_QLAYER_INPUT_UNSIGNED] = !layer.inputType.isSigned();
  params[QC_QLAYER_PAD_VALUE] = layer.inputType.getZeroPoint();
  if (auto conv = dyn_cast<qc::QConvOp>(layer.op))
    params[QC_QLAYER_GROUP] = conv.getGroup();
  if (isConv)
    llvm::copy(layer.params, params.begin() + QC_QLAYER_C);
  if (requantize) {
    auto outType = qc::getUniformType(requantize.getType());
    multiplier.assign(requantize.getMultiplier().begin(), requantize.getMultiplier().end());
    shift.assign(requantize.getShift().begin(), requantize.getShift().end());
    params[QC_QLAYER_OUTPUT] = outType.isSigned() ? 1 : 2;
    params[QC_QLAYER_OUTPUT_ZERO_POINT] = outType.getZeroPoint();
    params[QC_QLAYER_CLAMP_MIN] = std::max<int64_t>(
        outType.getStorageTypeMin(), requantize.getClampMin().value_or(INT64_MIN));
    params[QC_QLAYER_CLAMP_MAX] = std::min<int64_t>(
        outType.getStorageTypeMax(), requantize.getClampMax().value_or(INT64_MAX));
    params[QC_QLAYER_ROUNDING] = static_cast<int64_t>(requantize.getRounding());
    params[QC_QLAYER_PER_CHANNEL] = multiplier.size() > 1;
    params[QC_QLAYER_LOOKUP] = static_cast<bool>(lookup);
  }
  SmallVector<Value> inputs = {
      input, packedValue,
      constantVector<int32_t>(rewriter, loc, bias, rewriter.getI32Type()),
      constantVector<int32_t>(rewriter, loc, multiplier, rewriter.getI32Type()),
      constantVector<int32_t>(rewriter, loc, shift, rewriter.getI32Type()),
      constantVector<int64_t>(rewriter, loc, params, rewriter.getI64Type())};
  Value init = emptyLike(rewriter, loc, resultType);
  auto call = qc::MicrokernelOp::create(
      rewriter, loc, TypeRange{resultType},
      rewriter.getStringAttr("quantc_qlayer_" + suffix.str()), inputs,
      ValueRange{init});
  Operation *last = lookup ? lookup.getOperation()
                   : requantize ? requantize.getOperation()
                                : layer.op;
  rewriter.replaceOp(last, call.getResult(0));
  if (lookup)
    rewriter.eraseOp(requantize);
  if (requantize)
    rewriter.eraseOp(layer.op);
  return success();
}

/// Whether `requantize`'s per-channel parameters run along the layer's
/// output channels (dim 1 of a conv, the last dim of a matmul).
bool rescalesChannels(qc::RequantizeOp requantize, Operation *layer) {
  auto outType = qc::getUniformType(requantize.getType());
  if (!outType || outType.getStorageTypeIntegralWidth() != 8)
    return false;
  if (requantize.getMultiplier().size() == 1)
    return true;
  int64_t rank = cast<ShapedType>(requantize.getType()).getRank();
  int64_t channelAxis = isa<qc::QConvOp>(layer) ? 1 : rank - 1;
  return requantize.getAxis() && static_cast<int64_t>(*requantize.getAxis()) == channelAxis;
}

/// Whether `op` looks up every 8-bit storage value of its input in a table
/// of 256 8-bit entries.
bool isByteTable(qc::LookupTableOp op) {
  auto inType = qc::getQuantizedType(op.getInput().getType());
  auto outType = qc::getQuantizedType(op.getType());
  return inType && outType && inType.getStorageTypeIntegralWidth() == 8 &&
         outType.getStorageTypeIntegralWidth() == 8 &&
         op.getTable().getNumElements() == 256 &&
         inType.getStorageTypeMin() == (inType.isSigned() ? -128 : 0);
}

/// The byte lookup that is the only use of a fused `requantize`, which the
/// layer's kernel applies as it stores (QC_QLAYER_LOOKUP); null if none.
qc::LookupTableOp fusedLookup(qc::RequantizeOp requantize) {
  if (!requantize->hasOneUse())
    return nullptr;
  auto lookup = dyn_cast<qc::LookupTableOp>(*requantize->getUsers().begin());
  return lookup && isByteTable(lookup) ? lookup : nullptr;
}
} // namespace

bool conversion::isFusedIntoMicrokernel(Operation *layer) {
  if (!isPackableLayer(layer) || !layer->hasOneUse())
    return false;
  auto requantize = dyn_cast<qc::RequantizeOp>(*layer->getUsers().begin());
  return requantize && rescalesChannels(requantize, layer);
}

namespace {
/// requantize(layer) with a packable layer used only there.
struct FusedLayerLowering : KernelCallPattern<qc::RequantizeOp> {
  using KernelCallPattern::KernelCallPattern;

  LogicalResult
  matchAndRewrite(qc::RequantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Operation *producer = op.getInput().getDefiningOp();
    if (!producer || !conversion::isFusedIntoMicrokernel(producer))
      return failure();
    FailureOr<PackableLayer> layer = matchPackableLayer(producer);
    if (failed(layer))
      return failure();
    Value input = rewriter.getRemappedValue(layer->input);
    qc::LookupTableOp lookup = fusedLookup(op);
    Type resultType = lookup ? lookup.getType() : op.getType();
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(resultType));
    return lowerLayer(*layer, op, lookup, input, type, suffix, rewriter);
  }
};

/// A packable layer whose i32 accumulators are used as they are.
template <typename OpTy>
struct AccumulatorLayerLowering : KernelCallPattern<OpTy> {
  using KernelCallPattern<OpTy>::KernelCallPattern;

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (conversion::isFusedIntoMicrokernel(op))
      return failure();
    FailureOr<PackableLayer> layer = matchPackableLayer(op);
    if (failed(layer))
      return failure();
    Value input = adaptor.getOperands()[0];
    auto type = cast<RankedTensorType>(op.getType());
    return lowerLayer(*layer, nullptr, nullptr, input, type, this->suffix, rewriter);
  }
};

/// An 8-bit table lookup over all 256 storage values as one call of
/// quantc_lookup, which permutes bytes in registers where the CPU can (the
/// loop lowering gathers one byte at a time).
struct LookupTableKernelLowering : OpConversionPattern<qc::LookupTableOp> {
  LookupTableKernelLowering(const TypeConverter &converter, MLIRContext *ctx)
      : OpConversionPattern(converter, ctx, /*benefit=*/2) {}

  LogicalResult
  matchAndRewrite(qc::LookupTableOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    if (!isByteTable(op))
      return rewriter.notifyMatchFailure(op, "not a full 8-bit table");
    FailureOr<TypedAttr> table = getLookupTable(op, type.getElementType());
    if (failed(table))
      return rewriter.notifyMatchFailure(op, "table of another type");
    Location loc = op.getLoc();
    SmallVector<int64_t> params(QC_LOOKUP_NUM_PARAMS);
    params[QC_LOOKUP_COUNT] = type.getNumElements();
    params[QC_LOOKUP_FLIP] = lookupIndexFlip(op);
    SmallVector<Value> inputs = {
        adaptor.getInput(), arith::ConstantOp::create(rewriter, loc, *table),
        constantVector<int64_t>(rewriter, loc, params, rewriter.getI64Type())};
    rewriter.replaceOpWithNewOp<qc::MicrokernelOp>(
        op, TypeRange{type}, rewriter.getStringAttr("quantc_lookup"), inputs,
        ValueRange{emptyLike(rewriter, loc, type)});
    return success();
  }
};
} // namespace

void conversion::populateMicrokernelPatterns(QCTypeConverter &converter,
                                             RewritePatternSet &patterns,
                                             StringRef kernelSuffix) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<FusedLayerLowering, AccumulatorLayerLowering<qc::QConvOp>,
               AccumulatorLayerLowering<qc::QMatMulOp>>(converter, ctx, kernelSuffix);
  patterns.add<LookupTableKernelLowering>(converter, ctx);
}
