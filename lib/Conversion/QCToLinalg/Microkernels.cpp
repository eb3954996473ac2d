//===- Microkernels.cpp - 8-bit layers → packed-weight microkernels -*- C++ -*-===//
//
// An integer matmul or convolution with constant s8 weights (zero zero
// points), optionally followed by its qc.requantize, becomes one
// qc.microkernel call of libquantc_kernels. The weights are repacked here,
// once, into the panel layout of quantc/Runtime/Microkernels.h; the kernel
// forms u8 x s8 dot products, so the zero point and the 128 shifts between
// u8 and s8 fold into the bias as multiples of the weights' sums (exact in
// wrapping i32 arithmetic, since the true accumulator fits i32). Float
// convolutions call a kernel that sums in the evaluator's order.
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "PackableLayer.h"
#include "quantc/Dialect/QC/QuantUtils.h"
#include "quantc/Reference/Evaluator.h"
#include "quantc/Runtime/BF16Tiles.h"
#include "quantc/Runtime/Microkernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"

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

/// Lowers the layer (and `requantize`, when given) to one microkernel call.
LogicalResult lowerLayer(const PackableLayer &layer, qc::RequantizeOp requantize,
                         Value input, RankedTensorType resultType,
                         StringRef suffix, ConversionPatternRewriter &rewriter) {
  Location loc = layer.op->getLoc();
  std::vector<int8_t> packed = packWeights(layer);
  auto packedType = RankedTensorType::get({(int64_t)packed.size()}, rewriter.getI8Type());
  auto blob = HeapAsmResourceBlob::allocateAndCopyInferAlign<int8_t>(packed);
  Value packedValue = arith::ConstantOp::create(
      rewriter, loc,
      DenseResourceElementsAttr::get(packedType, "packed_weights", std::move(blob)));
  SmallVector<int32_t> bias = foldedBias(layer);
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
  rewriter.replaceOp(requantize ? requantize.getOperation() : layer.op,
                     call.getResult(0));
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
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    return lowerLayer(*layer, op, input, type, suffix, rewriter);
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
    return lowerLayer(*layer, nullptr, input, type, this->suffix, rewriter);
  }
};

/// The bf16 tensor that `value` widens (a qc.cast from bf16), converted.
Value widenedBF16(Value value, ConversionPatternRewriter &rewriter) {
  auto cast = value ? value.getDefiningOp<qc::CastOp>() : nullptr;
  if (!cast || !getElementTypeOrSelf(cast.getInput().getType()).isBF16())
    return {};
  return rewriter.getRemappedValue(cast.getInput());
}

/// The bf16 tensors two operands of a float layer widen (a bf16 layer, see
/// NarrowFloatLowering), when the target has AVX-512: its bf16 kernels form
/// the float kernels' sums from them.
std::optional<std::pair<Value, Value>>
bf16Operands(Value lhs, Value rhs, StringRef suffix, ConversionPatternRewriter &rewriter) {
  Value narrowLhs = widenedBF16(lhs, rewriter), narrowRhs = widenedBF16(rhs, rewriter);
  if (suffix != "avx512vnni" || !narrowLhs || !narrowRhs)
    return std::nullopt;
  return std::make_pair(narrowLhs, narrowRhs);
}

/// The bf16 constant that a float layer's weight widens (a qc.cast of one);
/// null otherwise.
ElementsAttr widenedBF16Constant(Value weight) {
  auto cast = weight ? weight.getDefiningOp<qc::CastOp>() : nullptr;
  if (!cast || !getElementTypeOrSelf(cast.getInput().getType()).isBF16())
    return {};
  return getStoredConstant(cast.getInput());
}

/// The raw bits of a bf16 constant in row-major order; none when its values
/// cannot be read.
std::optional<std::vector<uint16_t>> bf16Bits(ElementsAttr attr) {
  auto values = attr.tryGetValues<APFloat>();
  if (!values)
    return std::nullopt;
  std::vector<uint16_t> bits;
  bits.reserve(attr.getNumElements());
  for (APFloat value : *values)
    bits.push_back(static_cast<uint16_t>(value.bitcastToAPInt().getZExtValue()));
  return bits;
}

/// The f32 tensor that `value` rounds to bf16 and widens back (what
/// qc-fast-float makes of a layer's input); null otherwise. The AMX kernels
/// round it themselves as they pack it.
Value roundedThroughBF16(Value value) {
  auto widen = value ? value.getDefiningOp<qc::CastOp>() : nullptr;
  auto narrow = widen ? widen.getInput().getDefiningOp<qc::CastOp>() : nullptr;
  if (!narrow || !getElementTypeOrSelf(narrow.getType()).isBF16() ||
      !getElementTypeOrSelf(narrow.getInput().getType()).isF32())
    return {};
  return narrow.getInput();
}

/// A 1-d constant of `values` held as a resource blob (packed weights).
template <typename T>
Value blobConstant(ConversionPatternRewriter &rewriter, Location loc, ArrayRef<T> values,
                   Type element) {
  auto type = RankedTensorType::get({static_cast<int64_t>(values.size())}, element);
  auto blob = HeapAsmResourceBlob::allocateAndCopyInferAlign<T>(values);
  return arith::ConstantOp::create(
      rewriter, loc, DenseResourceElementsAttr::get(type, "packed_weights", std::move(blob)));
}

/// A float convolution's geometry as the qc_fconv_param array.
SmallVector<int64_t> floatConvParams(qc::ConvOp op, const ConvGeometry &g) {
  SmallVector<int64_t, 4> in = shape2D(cast<ShapedType>(op.getInput().getType()).getShape()),
                          ws = shape2D(cast<ShapedType>(op.getWeight().getType()).getShape()),
                          out = shape2D(cast<ShapedType>(op.getType()).getShape());
  return {in[0],         in[1],         in[2],           in[3],           out[1],
          ws[2],         ws[3],         g.strides[0],    g.strides[1],    g.dilations[0],
          g.dilations[1], g.padLow[2],  g.padLow[3],     out[2],          out[3],
          static_cast<int64_t>(op.getGroup()), op.getBias() != nullptr};
}

/// Whether `op` runs on bf16 tiles: an f32 convolution of an input rounded
/// to bf16 (qc-fast-float) and a constant bf16 weight, on a target with
/// AMX-BF16 in the fast float mode.
bool runsOnBF16Tiles(qc::ConvOp op, FloatKernelOptions floats) {
  return floats.bf16Tiles && cast<ShapedType>(op.getType()).getElementType().isF32() &&
         succeeded(getGeometry(op)) && roundedThroughBF16(op.getInput()) &&
         widenedBF16Constant(op.getWeight());
}

/// The x of a SiLU x * sigmoid(x), either operand order: `mul`'s operand
/// that the other is the sigmoid of; null otherwise.
Value siluInput(qc::MulOp mul) {
  for (auto [x, s] : {std::pair(mul.getLhs(), mul.getRhs()), std::pair(mul.getRhs(), mul.getLhs())})
    if (auto sigmoid = s.getDefiningOp<qc::SigmoidOp>(); sigmoid && sigmoid.getInput() == x)
      return x;
  return {};
}

/// The SiLU (x * sigmoid(x)) that reads nothing but convolution `op`, with
/// the same type; null otherwise.
qc::MulOp siluOf(qc::ConvOp op) {
  if (!llvm::hasNItems(op->getUsers(), 2))
    return {};
  for (Operation *user : op->getUsers())
    if (auto mul = dyn_cast<qc::MulOp>(user);
        mul && mul.getType() == op.getType() && siluInput(mul) == op.getResult()) {
      auto sigmoid = (mul.getLhs() == op.getResult() ? mul.getRhs() : mul.getLhs())
                         .getDefiningOp<qc::SigmoidOp>();
      if (sigmoid->hasOneUse() && mul.getLhs() != mul.getRhs())
        return mul;
    }
  return {};
}

/// The quantc_bconv_amx call computing `op` (then `activation`), its weights
/// packed into tile rows (packBF16ConvWeights); null if they cannot be read.
Value buildTileConv(qc::ConvOp op, Value bias, int64_t activation,
                    ConversionPatternRewriter &rewriter) {
  std::optional<std::vector<uint16_t>> weights = bf16Bits(widenedBF16Constant(op.getWeight()));
  if (!weights)
    return {};
  Location loc = op.getLoc();
  auto type = cast<RankedTensorType>(op.getType());
  SmallVector<int64_t, 4> ws = shape2D(cast<ShapedType>(op.getWeight().getType()).getShape());
  std::vector<uint16_t> packed(runtime::bf16PackedRows(ws[0]) * 2 *
                               runtime::bf16ConvPairs(ws[1], ws[2], ws[3]));
  runtime::packBF16ConvWeights(weights->data(), ws[0], ws[1], ws[2], ws[3], packed.data());
  SmallVector<int64_t> params = floatConvParams(op, *getGeometry(op));
  params.push_back(activation);
  SmallVector<Value> inputs = {
      rewriter.getRemappedValue(roundedThroughBF16(op.getInput())),
      blobConstant<uint16_t>(rewriter, loc, packed, rewriter.getI16Type()),
      bias ? bias : constantVector<float>(rewriter, loc, {0.0f}, rewriter.getF32Type()),
      constantVector<int64_t>(rewriter, loc, params, rewriter.getI64Type())};
  return qc::MicrokernelOp::create(rewriter, loc, TypeRange{type},
                                   rewriter.getStringAttr("quantc_bconv_amx"), inputs,
                                   ValueRange{emptyLike(rewriter, loc, type)})
      .getResult(0);
}

} // namespace

bool conversion::isFusedIntoTileActivation(Operation *op, FloatKernelOptions floats) {
  if (auto conv = dyn_cast<qc::ConvOp>(op))
    return runsOnBF16Tiles(conv, floats) && siluOf(conv);
  if (auto sigmoid = dyn_cast<qc::SigmoidOp>(op)) {
    auto conv = sigmoid.getInput().getDefiningOp<qc::ConvOp>();
    return conv && isFusedIntoTileActivation(conv, floats) &&
           siluOf(conv) == *sigmoid->getUsers().begin();
  }
  return false;
}

namespace {
/// A float convolution as a call of the float kernel, which sums in the
/// evaluator's order (so float islands of quantized models stay exact), or
/// of the bf16 kernel for a bf16 convolution. In the fast float mode the
/// float kernel may use FMA, and convolutions on bf16 operands with constant
/// weights run on AMX tiles where the target has them (with the SiLU that
/// follows, if any: FusedSiLULowering).
struct FloatConvLowering : FloatKernelPattern<qc::ConvOp> {
  using FloatKernelPattern::FloatKernelPattern;

  LogicalResult
  matchAndRewrite(qc::ConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    FailureOr<ConvGeometry> g = getGeometry(op);
    if (!type.getElementType().isF32() || failed(g) || isFusedIntoTileActivation(op, floats))
      return failure();
    if (runsOnBF16Tiles(op, floats))
      if (Value call = buildTileConv(op, adaptor.getBias(), QC_ACTIVATION_NONE, rewriter)) {
        rewriter.replaceOp(op, call);
        return success();
      }
    Location loc = op.getLoc();
    Value bias = adaptor.getBias()
                     ? adaptor.getBias()
                     : constantVector<float>(rewriter, loc, {0.0f}, rewriter.getF32Type());
    Value input = adaptor.getInput(), weight = adaptor.getWeight();
    std::string kernel = (floats.fast ? "quantc_fconv_fast_" : "quantc_fconv_") + suffix;
    if (auto narrow = bf16Operands(op.getInput(), op.getWeight(), suffix, rewriter)) {
      std::tie(input, weight) = *narrow;
      kernel = "quantc_bconv";
    }
    SmallVector<Value> inputs = {
        input, weight, bias,
        constantVector<int64_t>(rewriter, loc, floatConvParams(op, *g), rewriter.getI64Type())};
    rewriter.replaceOpWithNewOp<qc::MicrokernelOp>(
        op, TypeRange{type}, rewriter.getStringAttr(kernel), inputs,
        ValueRange{emptyLike(rewriter, loc, type)});
    return success();
  }
};

/// A convolution on bf16 tiles and the SiLU after it (x * sigmoid(x)) as
/// one quantc_bconv_amx call, which applies the SiLU to each block of
/// outputs while it is in cache; the convolution and sigmoid stay legal
/// until this rewrites the multiplication.
struct FusedSiLULowering : FloatKernelPattern<qc::MulOp> {
  FusedSiLULowering(const TypeConverter &converter, MLIRContext *ctx, StringRef suffix,
                    FloatKernelOptions floats)
      : FloatKernelPattern(converter, ctx, suffix, floats, /*benefit=*/3) {}

  LogicalResult
  matchAndRewrite(qc::MulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto conv = siluInput(op).getDefiningOp<qc::ConvOp>();
    if (!conv || !isFusedIntoTileActivation(conv, floats))
      return failure();
    Value bias = conv.getBias() ? rewriter.getRemappedValue(conv.getBias()) : Value();
    Value call = buildTileConv(conv, bias, QC_ACTIVATION_SILU, rewriter);
    if (!call)
      return failure();
    Operation *sigmoid = (op.getLhs() == conv.getResult() ? op.getRhs() : op.getLhs())
                             .getDefiningOp();
    rewriter.replaceOp(op, call);
    rewriter.eraseOp(sigmoid);
    rewriter.eraseOp(conv);
    return success();
  }
};

/// The call of quantc_bmatmul_amx for a product of f32 activations rounded
/// to bf16 and a constant bf16 matrix (`transB`: stored [n, k]), with the matrix
/// packed into tile pairs; null when the operands are not such.
Value buildTileProduct(ConversionPatternRewriter &rewriter, Location loc, Value originalLhs,
                       Value originalRhs, RankedTensorType resultType,
                       ArrayRef<int64_t> params) {
  Value rounded = roundedThroughBF16(originalLhs);
  ElementsAttr constant = widenedBF16Constant(originalRhs);
  std::optional<std::vector<uint16_t>> weights =
      constant ? bf16Bits(constant) : std::nullopt;
  if (!rounded || !weights || params[QC_FMATMUL_B_BATCHED])
    return {};
  Value lhs = rewriter.getRemappedValue(rounded);
  int64_t k = params[QC_FMATMUL_K], n = params[QC_FMATMUL_N];
  std::vector<uint16_t> matrix = *weights;
  if (params[QC_FMATMUL_TRANS_B])
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < n; ++j)
        matrix[i * n + j] = (*weights)[j * k + i];
  std::vector<uint32_t> pairs(runtime::bf16TilePairs(k) * runtime::bf16BlockPadded(n));
  runtime::packBF16TilePairs(matrix.data(), k, n, n, pairs.data());
  Value packed = blobConstant<uint32_t>(rewriter, loc, pairs, rewriter.getI32Type());
  return buildKernelCall(rewriter, loc, "quantc_bmatmul_amx", {lhs, packed}, params,
                         resultType);
}

/// The microkernel call computing a float product [batch, m, k] x [k, n]
/// (or [batch, k, n]; `transB` reads B as [n, k]). Where both operands are
/// widened bf16 (a bf16 layer, see NarrowFloatLowering) and the target has
/// AVX-512, quantc_bmatmul forms the same sums from the bf16 operands; in
/// the fast mode, with AMX-BF16 and constant weights, quantc_bmatmul_amx.
Value buildFloatProduct(ConversionPatternRewriter &rewriter, Location loc, Value lhs,
                        Value rhs, Value originalLhs, Value originalRhs,
                        RankedTensorType resultType, ArrayRef<int64_t> params,
                        StringRef suffix, FloatKernelOptions floats) {
  if (floats.bf16Tiles)
    if (Value product =
            buildTileProduct(rewriter, loc, originalLhs, originalRhs, resultType, params))
      return product;
  std::string kernel = "quantc_fmatmul_" + suffix.str();
  if (auto narrow = bf16Operands(originalLhs, originalRhs, suffix, rewriter)) {
    std::tie(lhs, rhs) = *narrow;
    kernel = "quantc_bmatmul";
  }
  return buildKernelCall(rewriter, loc, kernel, {lhs, rhs}, params, resultType);
}

/// A float matmul whose right operand is one matrix, or has exactly the left
/// operand's batch dimensions, as a call of the float matmul kernel.
struct FloatMatMulLowering : FloatKernelPattern<qc::MatMulOp> {
  using FloatKernelPattern::FloatKernelPattern;

  LogicalResult
  matchAndRewrite(qc::MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto lhs = cast<RankedTensorType>(op.getLhs().getType());
    auto rhs = cast<RankedTensorType>(op.getRhs().getType());
    auto type = cast<RankedTensorType>(op.getType());
    if (!type.getElementType().isF32() || lhs.getRank() < 2 || rhs.getRank() < 2 ||
        op.getDynamicInt8Block())
      return failure();
    bool batchedB = rhs.getRank() > 2;
    if (batchedB && lhs.getShape().drop_back(2) != rhs.getShape().drop_back(2))
      return failure();
    int64_t m = lhs.getDimSize(lhs.getRank() - 2), k = lhs.getShape().back();
    int64_t n = rhs.getShape().back();
    SmallVector<int64_t> params(QC_FMATMUL_NUM_PARAMS, 0);
    params[QC_FMATMUL_BATCH] = lhs.getNumElements() / (m * k);
    params[QC_FMATMUL_M] = m;
    params[QC_FMATMUL_K] = k;
    params[QC_FMATMUL_N] = n;
    params[QC_FMATMUL_B_BATCHED] = batchedB;
    rewriter.replaceOp(op, buildFloatProduct(rewriter, op.getLoc(), adaptor.getLhs(),
                                             adaptor.getRhs(), op.getLhs(), op.getRhs(), type,
                                             params, suffix, floats));
    return success();
  }
};

/// A float transposed convolution whose stride equals its window (no
/// dilation, padding or output padding), so each output pixel takes exactly
/// one tap: as the evaluator computes it, the product of the transposed
/// weights [O/g x KH x KW, C/g] and each image group [C/g, H x W] (one call
/// of the float matmul kernel), each tap's plane then moved to its pixels,
/// then the bias. The loop form of other transposed convolutions sums over
/// the stride-spread input, zeros included.
struct FloatConvTransposeLowering : FloatKernelPattern<qc::ConvTransposeOp> {
  using FloatKernelPattern::FloatKernelPattern;

  LogicalResult
  matchAndRewrite(qc::ConvTransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    FailureOr<ConvGeometry> g = getGeometry(op);
    SmallVector<int64_t, 4> in = shape2D(cast<ShapedType>(op.getInput().getType()).getShape()),
                            ws = shape2D(cast<ShapedType>(op.getWeight().getType()).getShape());
    auto isZero = [](int64_t v) { return v == 0; };
    if (!type.getElementType().isF32() || failed(g) ||
        !llvm::all_of(g->dilations, [](int64_t d) { return d == 1; }) ||
        g->strides[0] != ws[2] || g->strides[1] != ws[3] || !llvm::all_of(g->padLow, isZero) ||
        !llvm::all_of(g->padHigh, isZero) || !llvm::all_of(op.getOutputPadding(), isZero))
      return failure();
    Location loc = op.getLoc();
    Type f32 = rewriter.getF32Type();
    int64_t n = in[0], groups = op.getGroup(), cg = in[1] / groups, og = ws[1];
    int64_t taps = og * ws[2] * ws[3], pixels = in[2] * in[3];
    // Images [n x g, C/g, H x W].
    Value image = tensor::ExpandShapeOp::create(
        rewriter, loc, RankedTensorType::get({n, groups, cg, in[2], in[3]}, f32),
        as2D(rewriter, loc, adaptor.getInput()), groupDims({1, 2, 1, 1}));
    image = tensor::CollapseShapeOp::create(rewriter, loc, image, groupDims({2, 1, 2}));
    // Transposed weights [g, O/g x KH x KW, C/g], one copy per image.
    Value weight = tensor::CollapseShapeOp::create(
        rewriter, loc, as2D(rewriter, loc, adaptor.getWeight()), groupDims({1, 3}));
    weight = tensor::ExpandShapeOp::create(rewriter, loc,
                                           RankedTensorType::get({groups, cg, taps}, f32),
                                           weight, groupDims({2, 1}));
    auto empty = [&](ArrayRef<int64_t> shape) {
      return tensor::EmptyOp::create(rewriter, loc, shape, f32);
    };
    Value transposed = linalg::TransposeOp::create(rewriter, loc, weight,
                                                   empty({groups, taps, cg}), {0, 2, 1})
                           .getResult()[0];
    Value weights = linalg::BroadcastOp::create(rewriter, loc, transposed,
                                                empty({n, groups, taps, cg}),
                                                ArrayRef<int64_t>{0})
                        .getResult()[0];
    weights = tensor::CollapseShapeOp::create(rewriter, loc, weights, groupDims({2, 1, 1}));
    SmallVector<int64_t> params(QC_FMATMUL_NUM_PARAMS, 0);
    params[QC_FMATMUL_BATCH] = n * groups;
    params[QC_FMATMUL_M] = taps;
    params[QC_FMATMUL_K] = cg;
    params[QC_FMATMUL_N] = pixels;
    params[QC_FMATMUL_B_BATCHED] = 1;
    Value columns = buildFloatProduct(
        rewriter, loc, weights, image, Value(), Value(),
        RankedTensorType::get({n * groups, taps, pixels}, f32), params, suffix, floats);
    // [n, g, O/g, KH, KW, H, W] -> [n, g, O/g, H, KH, W, KW] = [n, O, H x KH, W x KW].
    columns = tensor::ExpandShapeOp::create(
        rewriter, loc,
        RankedTensorType::get({n, groups, og, ws[2], ws[3], in[2], in[3]}, f32), columns,
        SmallVector<ReassociationIndices>{{0, 1}, {2, 3, 4}, {5, 6}});
    Value moved = linalg::TransposeOp::create(rewriter, loc, columns,
                                              empty({n, groups, og, in[2], ws[2], in[3], ws[3]}),
                                              {0, 1, 2, 5, 3, 6, 4})
                      .getResult()[0];
    Value result = tensor::CollapseShapeOp::create(rewriter, loc, moved,
                                                   groupDims({1, 2, 2, 2}));
    if (adaptor.getBias())
      result = addChannelBias(rewriter, loc, result, adaptor.getBias());
    rewriter.replaceOp(op, from2D(rewriter, loc, result, type));
    return success();
  }
};

/// A float gemm without transposed A: the kernel's product, then alpha and
/// beta * c as the evaluator applies them.
struct FloatGemmLowering : FloatKernelPattern<qc::GemmOp> {
  using FloatKernelPattern::FloatKernelPattern;

  LogicalResult
  matchAndRewrite(qc::GemmOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    if (!type.getElementType().isF32() || op.getTransA() || op.getDynamicInt8Block())
      return failure();
    int64_t k = cast<ShapedType>(op.getA().getType()).getShape().back();
    SmallVector<int64_t> params(QC_FMATMUL_NUM_PARAMS, 0);
    params[QC_FMATMUL_BATCH] = 1;
    params[QC_FMATMUL_M] = type.getDimSize(0);
    params[QC_FMATMUL_K] = k;
    params[QC_FMATMUL_N] = type.getDimSize(1);
    params[QC_FMATMUL_TRANS_B] = op.getTransB();
    Location loc = op.getLoc();
    Value product = buildFloatProduct(rewriter, loc, adaptor.getA(), adaptor.getB(),
                                      op.getA(), op.getB(), type, params, suffix, floats);
    rewriter.replaceOp(op, buildGemmEpilogue(rewriter, loc, op, product, adaptor.getC()));
    return success();
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
    auto inType = qc::getQuantizedType(op.getInput().getType());
    if (!inType || inType.getStorageTypeIntegralWidth() != 8 ||
        type.getElementTypeBitWidth() != 8 || op.getTable().getNumElements() != 256 ||
        inType.getStorageTypeMin() != (inType.isSigned() ? -128 : 0))
      return rewriter.notifyMatchFailure(op, "not a full 8-bit table");
    FailureOr<TypedAttr> table = getLookupTable(op, type.getElementType());
    if (failed(table))
      return rewriter.notifyMatchFailure(op, "table of another type");
    Location loc = op.getLoc();
    SmallVector<int64_t> params(QC_LOOKUP_NUM_PARAMS);
    params[QC_LOOKUP_COUNT] = type.getNumElements();
    params[QC_LOOKUP_FLIP] = inType.isSigned() ? 0x80 : 0;
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
                                             StringRef kernelSuffix,
                                             FloatKernelOptions floats) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<FusedLayerLowering, AccumulatorLayerLowering<qc::QConvOp>,
               AccumulatorLayerLowering<qc::QMatMulOp>>(converter, ctx, kernelSuffix);
  patterns.add<FloatConvLowering, FusedSiLULowering, FloatMatMulLowering, FloatGemmLowering,
               FloatConvTransposeLowering>(converter, ctx, kernelSuffix, floats);
  patterns.add<LookupTableKernelLowering>(converter, ctx);
}
