//===- FloatKernels.cpp - float layers → runtime kernel calls ---*- C++ -*-===//
//
// Float convolutions, matmuls and gemms with their operands as they are
// become calls of the float kernels, which sum in the evaluator's order (or,
// in the fast float mode, with FMA). Layers on widened bf16 operands call
// the bf16 kernels; in the fast float mode on targets with AMX-BF16 or
// AVX-512 BF16, layers on inputs rounded to bf16 with constant bf16 weights
// (qc-fast-float) call the tile kernels, whose weights are packed here,
// once. In the fast mode the element-wise ops reading nothing but a float
// convolution (scalar affine maps around a ReLU, hard-swish or SiLU) join
// its call as its epilogue.
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "quantc/Reference/Evaluator.h"
#include "quantc/Runtime/BF16Tiles.h"
#include "quantc/Runtime/Microkernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::conversion;

namespace {
/// Whether `value` widens a bf16 tensor (a qc.cast from bf16).
bool widensBF16(Value value) {
  auto cast = value ? value.getDefiningOp<qc::CastOp>() : nullptr;
  return cast && getElementTypeOrSelf(cast.getInput().getType()).isBF16();
}

/// The bf16 tensor that `value` widens, converted.
Value widenedBF16(Value value, ConversionPatternRewriter &rewriter) {
  if (!widensBF16(value))
    return {};
  return rewriter.getRemappedValue(value.getDefiningOp<qc::CastOp>().getInput());
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

/// The bf16 constant that a float layer's weight widens (a qc.cast of one,
/// as qc-fast-float makes them); null otherwise.
DenseElementsAttr widenedBF16Constant(Value weight) {
  auto cast = weight ? weight.getDefiningOp<qc::CastOp>() : nullptr;
  if (!cast || !getElementTypeOrSelf(cast.getInput().getType()).isBF16())
    return {};
  return dyn_cast_if_present<DenseElementsAttr>(getStoredConstant(cast.getInput()));
}

/// The raw bits of a bf16 constant in row-major order.
std::vector<uint16_t> bf16Bits(DenseElementsAttr attr) {
  std::vector<uint16_t> bits;
  bits.reserve(attr.getNumElements());
  for (APFloat value : attr.getValues<APFloat>())
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
/// AMX-BF16 or AVX-512 BF16 in the fast float mode.
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

/// What a float convolution's kernel applies to its results while they are
/// in cache (the runtime's ConvEpilogue): postScale * activation(preScale *
/// y + preShift) + postShift, from the element-wise ops that read nothing
/// but the convolution's result, in turn.
struct ConvEpilogue {
  int64_t activation = QC_ACTIVATION_NONE;
  float preScale = 1.0f, preShift = 0.0f, postScale = 1.0f, postShift = 0.0f;
  /// The ops it replaces, in order; the call replaces the last one's result.
  SmallVector<Operation *> ops;

  /// The op reading nothing but `value`, of its type; null otherwise.
  static Operation *soleUser(Value value) {
    if (!value.hasOneUse())
      return nullptr;
    Operation *user = *value.getUsers().begin();
    return user->getNumResults() == 1 && user->getResult(0).getType() == value.getType()
               ? user
               : nullptr;
  }

  /// `value` times a scalar constant, then plus or minus one (either or
  /// both): the value after them.
  Value matchAffine(Value value, float &scale, float &shift) {
    if (auto mul = dyn_cast_if_present<qc::MulOp>(soleUser(value)))
      if (auto c = reference::getScalarConstant(mul.getLhs() == value ? mul.getRhs() : mul.getLhs())) {
        scale = *c;
        ops.push_back(mul);
        value = mul.getResult();
      }
    Operation *user = soleUser(value);
    std::optional<float> c;
    if (auto add = dyn_cast_if_present<qc::AddOp>(user))
      c = reference::getScalarConstant(add.getLhs() == value ? add.getRhs() : add.getLhs());
    else if (auto sub = dyn_cast_if_present<qc::SubOp>(user); sub && sub.getLhs() == value)
      if ((c = reference::getScalarConstant(sub.getRhs())))
        c = -*c;
    if (!c)
      return value;
    shift = *c;
    ops.push_back(user);
    return user->getResult(0);
  }

  /// A ReLU, hard-swish or SiLU (x * sigmoid(x), the sigmoid read by the
  /// multiplication alone) of `value`: the value after it.
  Value matchActivation(Value value) {
    Operation *user = soleUser(value);
    if (isa_and_present<qc::ReluOp, qc::HardSwishOp>(user)) {
      activation = isa<qc::ReluOp>(user) ? QC_ACTIVATION_RELU : QC_ACTIVATION_HARD_SWISH;
      ops.push_back(user);
      return user->getResult(0);
    }
    if (!llvm::hasNItems(value.getUsers(), 2))
      return value;
    for (Operation *user : value.getUsers())
      if (auto mul = dyn_cast<qc::MulOp>(user);
          mul && mul.getType() == value.getType() && siluInput(mul) == value) {
        Value sigmoid = mul.getLhs() == value ? mul.getRhs() : mul.getLhs();
        if (!sigmoid.hasOneUse())
          return value;
        activation = QC_ACTIVATION_SILU;
        ops.append({sigmoid.getDefiningOp(), mul});
        return mul.getResult();
      }
    return value;
  }

  /// The epilogue of `conv`: an affine map, an activation, an affine map,
  /// each optional (the second only after an activation).
  static ConvEpilogue of(qc::ConvOp conv) {
    ConvEpilogue e;
    Value scaled = e.matchAffine(conv.getResult(), e.preScale, e.preShift);
    if (Value activated = e.matchActivation(scaled); activated != scaled)
      e.matchAffine(activated, e.postScale, e.postShift);
    return e;
  }

  /// The QC_CONV_EPILOGUE_* params from QC_CONV_EPILOGUE_ACTIVATION on.
  SmallVector<int64_t> params() const {
    SmallVector<int64_t> values = {activation};
    for (float f : {preScale, preShift, postScale, postShift})
      values.push_back(llvm::bit_cast<uint32_t>(f));
    return values;
  }
};

/// The most ops between a convolution and the last op of its epilogue.
constexpr int kMaxEpilogueOps = 6;

/// The convolution whose epilogue `op` may end: walking back from `op`
/// through operands that are not scalar constants; null if there is none.
qc::ConvOp epilogueHead(Operation *op) {
  for (int step = 0; op && step <= kMaxEpilogueOps; ++step) {
    if (auto conv = dyn_cast<qc::ConvOp>(op))
      return conv;
    Operation *next = nullptr;
    for (Value operand : op->getOperands())
      if (!reference::getScalarConstant(operand)) {
        next = operand.getDefiningOp();
        break;
      }
    op = next;
  }
  return {};
}

/// Whether the call computing float convolution `op` applies an epilogue:
/// the bf16 tile kernel's and the fast mode's float kernel's do, the bf16
/// kernel of a bf16 layer (on widened bf16 operands) and the exact mode's
/// do not.
bool takesEpilogue(qc::ConvOp op, FloatKernelOptions floats, StringRef suffix) {
  if (runsOnBF16Tiles(op, floats))
    return true;
  return floats.fast && cast<ShapedType>(op.getType()).getElementType().isF32() &&
         succeeded(getGeometry(op)) &&
         !(suffix == "avx512vnni" && widensBF16(op.getInput()) && widensBF16(op.getWeight()));
}

/// The quantc_bconv_tiles call computing `op` (then `epilogue`), its weights
/// packed into tile rows (packBF16ConvWeights).
Value buildTileConv(qc::ConvOp op, Value bias, const ConvEpilogue &epilogue,
                    ConversionPatternRewriter &rewriter) {
  std::vector<uint16_t> weights = bf16Bits(widenedBF16Constant(op.getWeight()));
  Location loc = op.getLoc();
  auto type = cast<RankedTensorType>(op.getType());
  SmallVector<int64_t, 4> ws = shape2D(cast<ShapedType>(op.getWeight().getType()).getShape());
  std::vector<uint16_t> packed(runtime::bf16PackedRows(ws[0]) * 2 *
                               runtime::bf16ConvPairs(ws[1], ws[2], ws[3]));
  runtime::packBF16ConvWeights(weights.data(), ws[0], ws[1], ws[2], ws[3], packed.data());
  SmallVector<int64_t> params = floatConvParams(op, *getGeometry(op));
  params.append(epilogue.params());
  SmallVector<Value> inputs = {
      rewriter.getRemappedValue(roundedThroughBF16(op.getInput())),
      blobConstant<uint16_t>(rewriter, loc, packed, rewriter.getI16Type()),
      bias ? bias : constantVector<float>(rewriter, loc, {0.0f}, rewriter.getF32Type()),
      constantVector<int64_t>(rewriter, loc, params, rewriter.getI64Type())};
  return qc::MicrokernelOp::create(rewriter, loc, TypeRange{type},
                                   rewriter.getStringAttr("quantc_bconv_tiles"), inputs,
                                   ValueRange{emptyLike(rewriter, loc, type)})
      .getResult(0);
}

/// The call computing float convolution `op` from its converted `input`,
/// `weight` and `bias` (null for none), then `epilogue` where the kernel
/// takes one (takesEpilogue): on bf16 tiles; on the bf16 kernel for a bf16
/// layer; else on the float kernel, which sums in the evaluator's order
/// (so float islands of quantized models stay exact) or, in the fast
/// mode, with FMA.
Value buildConvCall(qc::ConvOp op, Value input, Value weight, Value bias,
                    const ConvEpilogue &epilogue, StringRef suffix, FloatKernelOptions floats,
                    ConversionPatternRewriter &rewriter) {
  if (runsOnBF16Tiles(op, floats))
    return buildTileConv(op, bias, epilogue, rewriter);
  Location loc = op.getLoc();
  auto type = cast<RankedTensorType>(op.getType());
  if (!bias)
    bias = constantVector<float>(rewriter, loc, {0.0f}, rewriter.getF32Type());
  SmallVector<int64_t> params = floatConvParams(op, *getGeometry(op));
  std::string kernel = (floats.fast ? "quantc_fconv_fast_" : "quantc_fconv_") + suffix.str();
  if (auto narrow = bf16Operands(op.getInput(), op.getWeight(), suffix, rewriter)) {
    std::tie(input, weight) = *narrow;
    kernel = "quantc_bconv";
  } else if (floats.fast) {
    params.append(epilogue.params());
  }
  SmallVector<Value> inputs = {input, weight, bias,
                               constantVector<int64_t>(rewriter, loc, params,
                                                       rewriter.getI64Type())};
  return qc::MicrokernelOp::create(rewriter, loc, TypeRange{type},
                                   rewriter.getStringAttr(kernel), inputs,
                                   ValueRange{emptyLike(rewriter, loc, type)})
      .getResult(0);
}

} // namespace

bool conversion::isFusedIntoConvEpilogue(Operation *op, FloatKernelOptions floats,
                                         StringRef suffix) {
  qc::ConvOp conv = epilogueHead(op);
  if (!conv || !takesEpilogue(conv, floats, suffix))
    return false;
  ConvEpilogue epilogue = ConvEpilogue::of(conv);
  return !epilogue.ops.empty() &&
         (op == conv || llvm::is_contained(ArrayRef(epilogue.ops).drop_back(), op));
}

namespace {
/// A float convolution without an epilogue as a kernel call (buildConvCall);
/// with one, FusedEpilogueLowering makes the call.
struct FloatConvLowering : FloatKernelPattern<qc::ConvOp> {
  using FloatKernelPattern::FloatKernelPattern;

  LogicalResult
  matchAndRewrite(qc::ConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    if (!type.getElementType().isF32() || failed(getGeometry(op)) ||
        isFusedIntoConvEpilogue(op, floats, suffix))
      return failure();
    rewriter.replaceOp(op, buildConvCall(op, adaptor.getInput(), adaptor.getWeight(),
                                         adaptor.getBias(), ConvEpilogue(), suffix, floats,
                                         rewriter));
    return success();
  }
};

/// A float convolution and its epilogue (ConvEpilogue) as one kernel call
/// (takesEpilogue), which applies the epilogue to each block of outputs
/// while it is in cache; the convolution and the epilogue's other ops stay
/// legal until this rewrites the last one, `Op`.
template <typename Op>
struct FusedEpilogueLowering : FloatKernelPattern<Op> {
  FusedEpilogueLowering(const TypeConverter &converter, MLIRContext *ctx, StringRef suffix,
                        FloatKernelOptions floats)
      : FloatKernelPattern<Op>(converter, ctx, suffix, floats, /*benefit=*/3) {}

  LogicalResult
  matchAndRewrite(Op op, typename Op::Adaptor, ConversionPatternRewriter &rewriter) const override {
    qc::ConvOp conv = epilogueHead(op);
    if (!conv || !takesEpilogue(conv, this->floats, this->suffix))
      return failure();
    ConvEpilogue epilogue = ConvEpilogue::of(conv);
    if (epilogue.ops.empty() || epilogue.ops.back() != op.getOperation())
      return failure();
    Value bias = conv.getBias() ? rewriter.getRemappedValue(conv.getBias()) : Value();
    rewriter.replaceOp(op, buildConvCall(conv, rewriter.getRemappedValue(conv.getInput()),
                                         rewriter.getRemappedValue(conv.getWeight()), bias,
                                         epilogue, this->suffix, this->floats, rewriter));
    for (Operation *fused : llvm::reverse(ArrayRef(epilogue.ops).drop_back()))
      rewriter.eraseOp(fused);
    rewriter.eraseOp(conv);
    return success();
  }
};

/// The call of quantc_bmatmul_tiles for a product of f32 activations rounded
/// to bf16 and a constant bf16 matrix (`transB`: stored [n, k]), with the matrix
/// packed into tile pairs; null when the operands are not such.
Value buildTileProduct(ConversionPatternRewriter &rewriter, Location loc, Value originalLhs,
                       Value originalRhs, RankedTensorType resultType,
                       ArrayRef<int64_t> params) {
  Value rounded = roundedThroughBF16(originalLhs);
  DenseElementsAttr constant = widenedBF16Constant(originalRhs);
  if (!rounded || !constant || params[QC_FMATMUL_B_BATCHED])
    return {};
  Value lhs = rewriter.getRemappedValue(rounded);
  int64_t k = params[QC_FMATMUL_K], n = params[QC_FMATMUL_N];
  std::vector<uint16_t> matrix = bf16Bits(constant);
  if (params[QC_FMATMUL_TRANS_B]) {
    std::vector<uint16_t> stored = std::move(matrix);
    matrix.resize(stored.size());
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < n; ++j)
        matrix[i * n + j] = stored[j * k + i];
  }
  std::vector<uint32_t> pairs(runtime::bf16TilePairs(k) * runtime::bf16BlockPadded(n));
  runtime::packBF16TilePairs(matrix.data(), k, n, n, pairs.data());
  Value packed = blobConstant<uint32_t>(rewriter, loc, pairs, rewriter.getI32Type());
  return buildKernelCall(rewriter, loc, "quantc_bmatmul_tiles", {lhs, packed}, params,
                         resultType);
}

/// The microkernel call computing a float product [batch, m, k] x [k, n]
/// (or [batch, k, n]; `transB` reads B as [n, k]). Where both operands are
/// widened bf16 (a bf16 layer, see NarrowFloatLowering) and the target has
/// AVX-512, quantc_bmatmul forms the same sums from the bf16 operands; in
/// the fast mode, with bf16 tiles (FloatKernelOptions) and constant
/// weights, quantc_bmatmul_tiles; other fast-mode products run the float
/// kernel's FMA variant.
Value buildFloatProduct(ConversionPatternRewriter &rewriter, Location loc, Value lhs,
                        Value rhs, Value originalLhs, Value originalRhs,
                        RankedTensorType resultType, ArrayRef<int64_t> params,
                        StringRef suffix, FloatKernelOptions floats) {
  if (floats.bf16Tiles)
    if (Value product =
            buildTileProduct(rewriter, loc, originalLhs, originalRhs, resultType, params))
      return product;
  std::string kernel = (floats.fast ? "quantc_fmatmul_fast_" : "quantc_fmatmul_") + suffix.str();
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

/// The input positions `i` in [0, inSize) whose tap lands inside an output
/// of `outSize` at `i * stride + shift`: the first, and how many (0 for
/// none).
std::pair<int64_t, int64_t> tapRange(int64_t inSize, int64_t outSize, int64_t stride,
                                     int64_t shift) {
  int64_t first = std::max<int64_t>(0, llvm::divideCeilSigned(-shift, stride));
  int64_t last = std::min(inSize - 1, llvm::divideFloorSigned(outSize - 1 - shift, stride));
  return {first, std::max<int64_t>(0, last - first + 1)};
}

/// A float transposed convolution (1-d or 2-d) as the evaluator computes it:
/// the product of the transposed weights [O/g x KH x KW, C/g] and each image
/// group [C/g, H x W] (one call of the float matmul kernel); then each
/// window tap's product plane placed onto the output pixels it lands on (a
/// stride apart), from zero, tap after tap in window order, the pixels
/// outside the output left out; then the bias. No zero of a stride-spread
/// input is multiplied or added; the loop form (3-d layers) sums over the
/// spread input instead.
struct FloatConvTransposeLowering : FloatKernelPattern<qc::ConvTransposeOp> {
  using FloatKernelPattern::FloatKernelPattern;

  LogicalResult
  matchAndRewrite(qc::ConvTransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    FailureOr<ConvGeometry> g = getGeometry(op);
    if (!type.getElementType().isF32() || failed(g))
      return failure();
    Location loc = op.getLoc();
    Value columns = tapProducts(op, adaptor, rewriter);
    ArrayRef<int64_t> window = cast<RankedTensorType>(columns.getType()).getShape().slice(3, 2);
    auto isZero = [](int64_t v) { return v == 0; };
    bool disjoint = llvm::all_of(g->dilations, [](int64_t d) { return d == 1; }) &&
                    g->strides[0] == window[0] && g->strides[1] == window[1] &&
                    llvm::all_of(g->padLow, isZero) && llvm::all_of(g->padHigh, isZero) &&
                    llvm::all_of(op.getOutputPadding(), isZero);
    Value result = disjoint ? interleaveTaps(rewriter, loc, columns)
                            : addTapsInOrder(rewriter, loc, columns, *g,
                                             shape2D(type.getShape()));
    if (adaptor.getBias())
      result = addChannelBias(rewriter, loc, result, adaptor.getBias());
    rewriter.replaceOp(op, from2D(rewriter, loc, result, type));
    return success();
  }

private:
  /// The product of the transposed weights and the image groups, one
  /// matmul kernel call, as tap planes [n, g, O/g, KH, KW, H, W].
  Value tapProducts(qc::ConvTransposeOp op, OpAdaptor adaptor,
                    ConversionPatternRewriter &rewriter) const {
    Location loc = op.getLoc();
    Type f32 = rewriter.getF32Type();
    SmallVector<int64_t, 4> in = shape2D(cast<ShapedType>(op.getInput().getType()).getShape()),
                            ws = shape2D(cast<ShapedType>(op.getWeight().getType()).getShape());
    int64_t n = in[0], groups = op.getGroup(), cg = in[1] / groups;
    int64_t taps = ws[1] * ws[2] * ws[3], pixels = in[2] * in[3];
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
    Value product = buildFloatProduct(rewriter, loc, weights, image, Value(), Value(),
                                      RankedTensorType::get({n * groups, taps, pixels}, f32),
                                      params, suffix, floats);
    return tensor::ExpandShapeOp::create(
        rewriter, loc,
        RankedTensorType::get({n, groups, ws[1], ws[2], ws[3], in[2], in[3]}, f32), product,
        SmallVector<ReassociationIndices>{{0, 1}, {2, 3, 4}, {5, 6}});
  }

  /// Where the stride equals the window (no dilation, padding or output
  /// padding) each output pixel takes exactly one tap: the planes
  /// [n, g, O/g, KH, KW, H, W] move to [n, g, O/g, H, KH, W, KW] = [n, O,
  /// H x KH, W x KW] in one transpose.
  static Value interleaveTaps(OpBuilder &b, Location loc, Value columns) {
    auto type = cast<RankedTensorType>(columns.getType());
    SmallVector<int64_t> permutation = {0, 1, 2, 5, 3, 6, 4};
    SmallVector<int64_t> shape = llvm::map_to_vector(
        permutation, [&](int64_t d) { return type.getDimSize(d); });
    Value moved = linalg::TransposeOp::create(
                      b, loc, columns, tensor::EmptyOp::create(b, loc, shape, type.getElementType()),
                      permutation)
                      .getResult()[0];
    return tensor::CollapseShapeOp::create(b, loc, moved, groupDims({1, 2, 2, 2}));
  }

  /// Otherwise each tap's plane of [n, g, O/g, KH, KW, H, W] is added, from
  /// zero and in window order, onto the pixels of an `out` [n, O, OH, OW]
  /// output it lands on, as the evaluator adds its columns.
  static Value addTapsInOrder(OpBuilder &b, Location loc, Value columns,
                              const ConvGeometry &g, ArrayRef<int64_t> out) {
    ArrayRef<int64_t> shape = cast<RankedTensorType>(columns.getType()).getShape();
    Type f32 = b.getF32Type();
    // [n, O, KH, KW, H, W].
    columns = tensor::CollapseShapeOp::create(b, loc, columns, groupDims({1, 2, 1, 1, 1, 1}));
    Value result = filledTensor(b, loc, RankedTensorType::get(out, f32), b.getZeroAttr(f32));
    auto index = [&](ArrayRef<int64_t> values) {
      return getAsIndexOpFoldResult(b.getContext(), values);
    };
    for (int64_t ky = 0; ky < shape[3]; ++ky)
      for (int64_t kx = 0; kx < shape[4]; ++kx) {
        int64_t shiftY = ky * g.dilations[0] - g.padLow[2];
        int64_t shiftX = kx * g.dilations[1] - g.padLow[3];
        auto [iy, rows] = tapRange(shape[5], out[2], g.strides[0], shiftY);
        auto [ix, cols] = tapRange(shape[6], out[3], g.strides[1], shiftX);
        if (rows == 0 || cols == 0)
          continue;
        Value plane = tensor::ExtractSliceOp::create(
            b, loc, RankedTensorType::get({out[0], out[1], rows, cols}, f32), columns,
            index({0, 0, ky, kx, iy, ix}), index({out[0], out[1], 1, 1, rows, cols}),
            index({1, 1, 1, 1, 1, 1}));
        SmallVector<OpFoldResult> offsets = index(
            {0, 0, iy * g.strides[0] + shiftY, ix * g.strides[1] + shiftX});
        SmallVector<OpFoldResult> sizes = index({out[0], out[1], rows, cols});
        SmallVector<OpFoldResult> strides = index({1, 1, g.strides[0], g.strides[1]});
        Value target = tensor::ExtractSliceOp::create(b, loc, result, offsets, sizes, strides);
        Value sum =
            linalg::AddOp::create(b, loc, ValueRange{target, plane}, ValueRange{target})
                .getResult(0);
        result = tensor::InsertSliceOp::create(b, loc, sum, result, offsets, sizes, strides);
      }
    return result;
  }
};

/// A constant f32 matrix `b` [N, K] transposed to [K, N] at compile time, or
/// null when `b` is not a constant.
Value transposedConstant(OpBuilder &b, Location loc, Value matrix) {
  std::optional<reference::Tensor> value = reference::getConstantValue(matrix);
  if (!value || !value->isFloat() || value->getRank() != 2)
    return nullptr;
  int64_t n = value->getShape()[0], k = value->getShape()[1];
  reference::Tensor transposed(value->getElementType(), {k, n});
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < k; ++j)
      transposed.floats()[j * n + i] = value->floats()[i * k + j];
  auto attr = cast<TypedAttr>(transposed.toAttr(transposed.getType(), "weight"));
  return arith::ConstantOp::create(b, loc, attr);
}

/// A float gemm without transposed A: the kernel's product, then alpha and
/// beta * c as the evaluator applies them. A constant transposed B is
/// transposed once here: the kernel reads B's rows contiguously.
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
    Value b = adaptor.getB(), original = op.getB();
    // (The bf16 tile path packs B itself, either way round.)
    if (op.getTransB() && !floats.bf16Tiles) {
      if (Value transposed = transposedConstant(rewriter, loc, op.getB())) {
        b = transposed;
        original = Value();
        params[QC_FMATMUL_TRANS_B] = 0;
      }
    }
    Value product = buildFloatProduct(rewriter, loc, adaptor.getA(), b, op.getA(), original,
                                      type, params, suffix, floats);
    rewriter.replaceOp(op, buildGemmEpilogue(rewriter, loc, op, product, adaptor.getC()));
    return success();
  }
};

} // namespace

void conversion::populateFloatKernelPatterns(QCTypeConverter &converter,
                                             RewritePatternSet &patterns,
                                             StringRef kernelSuffix,
                                             FloatKernelOptions floats) {
  patterns.add<FloatConvLowering, FusedEpilogueLowering<qc::MulOp>,
               FusedEpilogueLowering<qc::AddOp>, FusedEpilogueLowering<qc::SubOp>,
               FusedEpilogueLowering<qc::ReluOp>, FusedEpilogueLowering<qc::HardSwishOp>,
               FloatMatMulLowering, FloatGemmLowering, FloatConvTransposeLowering>(
      converter, patterns.getContext(), kernelSuffix, floats);
}
