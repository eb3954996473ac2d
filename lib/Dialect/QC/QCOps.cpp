//===- QCOps.cpp - qc op verifiers and folders ------------------*- C++ -*-===//
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Dialect/QC/QuantUtils.h"
#include "quantc/Runtime/Microkernels.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"

#include <cmath>

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;

namespace {
RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// Verifies that every per-channel parameter is a 1-D tensor of `channels`.
LogicalResult verifyChannelParams(Operation *op, ValueRange params,
                                  int64_t channels) {
  for (Value p : params) {
    auto type = tensorType(p);
    if (type.getRank() != 1 || type.getDimSize(0) != channels)
      return op->emitOpError("expects per-channel parameters of shape [")
             << channels << "], got " << type;
  }
  return success();
}

LogicalResult verifyAxis(Operation *op, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1))
    return op->emitOpError("axis ") << axis << " out of range for rank " << rank;
  return success();
}
} // namespace

FailureOr<EinsumSubscripts> qc::parseEinsum(StringRef equation,
                                            size_t numInputs) {
  std::string eq;
  for (char c : equation)
    if (c != ' ')
      eq.push_back(c);
  StringRef lhs = eq, rhs;
  bool explicitOutput = StringRef(eq).contains("->");
  if (explicitOutput)
    std::tie(lhs, rhs) = StringRef(eq).split("->");
  EinsumSubscripts result;
  SmallVector<StringRef> parts;
  lhs.split(parts, ',');
  if (parts.size() != numInputs)
    return failure();
  std::map<char, int> counts;
  for (StringRef part : parts) {
    if (!llvm::all_of(part, llvm::isAlpha))
      return failure(); // Ellipsis is not supported.
    result.inputs.push_back(part.str());
    for (char c : part)
      ++counts[c];
  }
  if (explicitOutput) {
    if (!llvm::all_of(rhs, llvm::isAlpha))
      return failure();
    result.output = rhs.str();
  } else {
    for (auto [letter, count] : counts)
      if (count == 1)
        result.output.push_back(letter);
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Folders
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

OpFoldResult IdentityOp::fold(FoldAdaptor) { return getInput(); }

OpFoldResult CastOp::fold(FoldAdaptor) {
  return getInput().getType() == getType() ? getInput() : nullptr;
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto dense = dyn_cast_if_present<DenseElementsAttr>(adaptor.getInput()))
    return dense.reshape(getType());
  // reshape(reshape(x)) == reshape(x).
  if (auto producer = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(producer.getInput());
    return getResult();
  }
  return nullptr;
}

OpFoldResult SliceOp::fold(FoldAdaptor) {
  // Unit steps over the whole input (exporters emit these for `x[:]`).
  if (getInput().getType() != getType() ||
      llvm::any_of(getSteps(), [](int64_t step) { return step != 1; }))
    return nullptr;
  return getInput();
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  for (auto [i, p] : llvm::enumerate(getPerm()))
    if ((int64_t)i != p)
      return nullptr;
  return getInput();
}

//===----------------------------------------------------------------------===//
// Verifiers
//===----------------------------------------------------------------------===//

LogicalResult ClipOp::verify() {
  if (getMin().convertToFloat() > getMax().convertToFloat())
    return emitOpError("min must not exceed max");
  return success();
}

LogicalResult MaxPoolIndicesOp::verify() {
  if (getStorageOrder() != 0 && getStorageOrder() != 1)
    return emitOpError("storage_order must be 0 (row-major) or 1 (column-major), got ")
           << getStorageOrder();
  return success();
}

LogicalResult SoftmaxOp::verify() {
  return verifyAxis(*this, getAxis(), getType().getRank());
}

LogicalResult LogSoftmaxOp::verify() {
  return verifyAxis(*this, getAxis(), getType().getRank());
}

LogicalResult TriluOp::verify() {
  if (getType().getRank() < 2)
    return emitOpError("needs a tensor of rank 2 or more, got ") << getType();
  return success();
}

LogicalResult CumSumOp::verify() {
  return verifyAxis(*this, getAxis(), getType().getRank());
}

LogicalResult qc::verifySameElementTypes(Operation *op, Value lhs, Value rhs) {
  if (getElementTypeOrSelf(lhs) != getElementTypeOrSelf(rhs))
    return op->emitOpError("operands must have the same element type");
  return success();
}

LogicalResult WhereOp::verify() {
  return verifySameElementTypes(*this, getLhs(), getRhs());
}

LogicalResult qc::verifyNonEmptyAxis(Operation *op, RankedTensorType type, int64_t axis) {
  int64_t rank = type.getRank();
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return op->emitOpError("axis ") << axis << " out of range for rank " << rank;
  if (type.getDimSize(axis) == 0)
    return op->emitOpError("axis ") << axis << " of " << type << " is empty";
  return success();
}

int64_t qc::getGridSampleMode(GridSampleOp op) {
  return llvm::StringSwitch<int64_t>(op.getMode()).Case("nearest", 1).Case("cubic", 2).Default(0);
}

int64_t qc::getGridSamplePadding(GridSampleOp op) {
  return llvm::StringSwitch<int64_t>(op.getPaddingMode())
      .Case("border", 1)
      .Case("reflection", 2)
      .Default(0);
}

LogicalResult GridSampleOp::verify() {
  RankedTensorType in = getInput().getType(), grid = getGrid().getType(), out = getType();
  int64_t rank = in.getRank();
  if ((rank != 4 && rank != 5) || grid.getRank() != rank ||
      grid.getDimSize(rank - 1) != rank - 2 || grid.getDimSize(0) != in.getDimSize(0))
    return emitOpError("expects an [N, C, H, W] input and an [N, Ho, Wo, 2] grid, or an "
                       "[N, C, D, H, W] input and an [N, Do, Ho, Wo, 3] grid");
  SmallVector<int64_t> shape(in.getShape().take_front(2));
  llvm::append_range(shape, grid.getShape().slice(1, rank - 2));
  if (out.getShape() != ArrayRef(shape))
    return emitOpError("result must be [N, C, (Do,) Ho, Wo]");
  if (getMode() != "linear" && getMode() != "nearest" && getMode() != "cubic")
    return emitOpError("unknown mode '") << getMode() << "'";
  if (getMode() == "cubic" && rank == 5)
    return emitOpError("cubic sampling is 2-d only");
  if (getPaddingMode() != "zeros" && getPaddingMode() != "border" &&
      getPaddingMode() != "reflection")
    return emitOpError("unknown padding_mode '") << getPaddingMode() << "'";
  return success();
}

LogicalResult RoiAlignOp::verify() {
  RankedTensorType in = getInput().getType(), rois = getRois().getType(), out = getType();
  int64_t regions = rois.getRank() == 2 ? rois.getDimSize(0) : -1;
  if (in.getRank() != 4 || rois.getRank() != 2 || rois.getDimSize(1) != 4 ||
      getBatchIndices().getType().getShape() != ArrayRef<int64_t>{regions})
    return emitOpError("expects an [N, C, H, W] input, [R, 4] rois and [R] batch indices");
  if (out.getRank() != 4 || out.getDimSize(0) != regions || out.getDimSize(1) != in.getDimSize(1))
    return emitOpError("result must be [R, C, oh, ow]");
  if (getMode() != "avg" && getMode() != "max")
    return emitOpError("unknown mode '") << getMode() << "'";
  return success();
}

LogicalResult MaxRoiPoolOp::verify() {
  RankedTensorType in = getInput().getType(), rois = getRois().getType(), out = getType();
  if (in.getRank() != 4 || rois.getRank() != 2 || rois.getDimSize(1) != 5)
    return emitOpError("expects an [N, C, H, W] input and [R, 5] rois");
  if (out.getRank() != 4 || out.getDimSize(0) != rois.getDimSize(0) ||
      out.getDimSize(1) != in.getDimSize(1))
    return emitOpError("result must be [R, C, ph, pw]");
  return success();
}

LogicalResult DeformUnfoldOp::verify() {
  RankedTensorType in = getInput().getType(), offset = getOffset().getType();
  ArrayRef<int64_t> k = getKernelShape();
  int64_t groups = getOffsetGroup();
  if (in.getRank() != 4 || offset.getRank() != 4 || k.size() != 2 || getStrides().size() != 2 ||
      getDilations().size() != 2 || getPads().size() != 4 || groups < 1 ||
      in.getDimSize(1) % groups != 0)
    return emitOpError("expects a 2-d window and an [N, C, H, W] input whose channels the "
                       "offset groups divide");
  if (offset.getDimSize(0) != in.getDimSize(0) || offset.getDimSize(1) != groups * k[0] * k[1] * 2)
    return emitOpError("offset must be [N, G x kH x kW x 2, oH, oW]");
  if (getMask().getType().getShape() !=
                       ArrayRef<int64_t>{in.getDimSize(0), groups * k[0] * k[1],
                                         offset.getDimSize(2), offset.getDimSize(3)})
    return emitOpError("mask must be [N, G x kH x kW, oH, oW]");
  if (getType().getShape() != ArrayRef<int64_t>{in.getDimSize(0),
                                                offset.getDimSize(2) * offset.getDimSize(3),
                                                in.getDimSize(1) * k[0] * k[1]})
    return emitOpError("result must be [N, oH x oW, C x kH x kW]");
  return success();
}

LogicalResult NonZeroOp::verify() {
  RankedTensorType in = getInput().getType(), out = getType();
  if (in.getRank() == 0)
    return emitOpError("input must have rank 1 or more");
  SmallVector<int64_t> expected{in.getRank(), in.getNumElements()};
  if (out.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("result must be [rank, elements] = [")
           << expected[0] << ", " << expected[1] << "], got " << out;
  return success();
}

LogicalResult NonMaxSuppressionOp::verify() {
  ArrayRef<int64_t> boxes = getBoxes().getType().getShape(), scores = getScores().getType().getShape();
  if (boxes.size() != 3 || boxes[2] != 4 || scores.size() != 3 || scores[0] != boxes[0] ||
      scores[2] != boxes[1])
    return emitOpError("expects boxes [B, N, 4] and scores [B, C, N]");
  int64_t perClass = std::min<int64_t>(std::max<int64_t>(getMaxOutputBoxesPerClass(), 0), boxes[1]);
  if (getType().getShape() != ArrayRef<int64_t>{boxes[0] * scores[1] * perClass, 3})
    return emitOpError("result must be [B x C x min(max_output_boxes_per_class, N), 3]");
  return success();
}

LogicalResult DetOp::verify() {
  ArrayRef<int64_t> in = getInput().getType().getShape();
  if (in.size() < 2 || in.back() != in[in.size() - 2])
    return emitOpError("expects square matrices [..., M, M]");
  if (getType().getShape() != in.drop_back(2))
    return emitOpError("result must be the batch shape [...]");
  return success();
}

LogicalResult TopKOp::verify() {
  int64_t axis = static_cast<int64_t>(getAxis());
  int64_t rank = getInput().getType().getRank();
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return emitOpError("axis ") << static_cast<int64_t>(getAxis()) << " out of range for rank "
                                << rank;
  int64_t size = getInput().getType().getDimSize(axis);
  if (static_cast<int64_t>(getK()) < 0 || static_cast<int64_t>(getK()) > size)
    return emitOpError("k = ") << static_cast<int64_t>(getK()) << " is not in [0, " << size
                                << "]";
  return success();
}

LogicalResult CeluOp::verify() {
  if (getAlpha().isZero())
    return emitOpError("alpha must not be 0");
  return success();
}

LogicalResult CastOp::verify() {
  if (getInput().getType().getShape() != getType().getShape())
    return emitOpError("must keep the shape");
  return success();
}

/// The reduced dimension of a layer whose lhs is rounded to int8 in blocks
/// of `block` must be made of whole blocks.
static LogicalResult verifyDynamicInt8Block(Operation *op, std::optional<uint64_t> block,
                                            int64_t reduced) {
  if (!block || ShapedType::isDynamic(reduced) || reduced % static_cast<int64_t>(*block) == 0)
    return success();
  return op->emitOpError("dynamic_int8_block ")
         << *block << " does not divide the reduced dimension " << reduced;
}

LogicalResult MatMulOp::verify() {
  if (getLhs().getType().getRank() == 0)
    return success();
  return verifyDynamicInt8Block(*this, getDynamicInt8Block(), getLhs().getType().getShape().back());
}

LogicalResult GemmOp::verify() {
  if (getDynamicInt8Block() && getTransA())
    return emitOpError("dynamic_int8_block needs an untransposed a");
  if (getDynamicInt8Block() &&
      failed(verifyDynamicInt8Block(*this, getDynamicInt8Block(), getA().getType().getShape().back())))
    return failure();
  if (!getC())
    return success();
  if (failed(broadcastShapes(getC().getType().getShape(), getType().getShape())) ||
      getC().getType().getRank() > 2)
    return emitOpError("c of type ") << getC().getType()
                                     << " does not broadcast to " << getType();
  return success();
}

template <typename ConvLike>
static LogicalResult verifyConvBias(ConvLike op) {
  if (!op.getBias())
    return success();
  return verifyChannelParams(op, op.getBias(), op.getType().getDimSize(1));
}

bool qc::isElementwise(Operation *op) {
  return isa<SqrtOp, ExpOp, LogOp, NegOp, AbsOp, ReciprocalOp, RoundOp, ReluOp,
             SigmoidOp, TanhOp, ErfOp, HardSwishOp, SoftplusOp, CosOp, SinOp, IdentityOp, LeakyReluOp,
             HardSigmoidOp, GeluOp, ClipOp, AddOp, SubOp, MulOp, DivOp, PowOp,
             MinOp, MaxOp, PReluOp, TanOp, AcosOp, AsinOp, AtanOp, CoshOp, SinhOp,
             AcoshOp, AsinhOp, AtanhOp, CeilOp, FloorOp, SoftsignOp, MishOp, EluOp,
             CeluOp, SeluOp, ThresholdedReluOp, ShrinkOp>(op);
}

bool qc::keepsQuantizedType(Operation *op) {
  if (auto resize = dyn_cast<ResizeOp>(op))
    return resize.getMode() == "nearest";
  return isa<ReshapeOp, TransposeOp, SliceOp, MaxPoolOp>(op);
}

LogicalResult qc::verifyScalePreserving(Operation *op, Value input,
                                        Value output) {
  Type in = getElementTypeOrSelf(input.getType());
  Type out = getElementTypeOrSelf(output.getType());
  if ((isa<quant::QuantizedType>(in) || isa<quant::QuantizedType>(out)) &&
      in != out)
    return op->emitOpError("quantized input and result must have the same "
                           "type, got ")
           << in << " and " << out;
  return success();
}

StringRef qc::getConvWindowError(ArrayRef<int64_t> strides,
                                 ArrayRef<int64_t> dilations,
                                 ArrayRef<int64_t> pads) {
  if (llvm::any_of(strides, [](int64_t s) { return s < 1; }) ||
      llvm::any_of(dilations, [](int64_t d) { return d < 1; }))
    return "strides and dilations must be positive";
  if (llvm::any_of(pads, [](int64_t p) { return p < 0; }))
    return "pads must be non-negative";
  return "";
}

LogicalResult qc::verifyConvWindow(Operation *op, ArrayRef<int64_t> strides,
                                   ArrayRef<int64_t> dilations,
                                   ArrayRef<int64_t> pads) {
  StringRef error = getConvWindowError(strides, dilations, pads);
  return error.empty() ? success() : op->emitOpError(error);
}

LogicalResult ConvOp::verify() {
  if (failed(verifyConvWindow(*this, getStrides(), getDilations(), getPads())))
    return failure();
  return verifyConvBias(*this);
}

LogicalResult ConvTransposeOp::verify() {
  if (failed(verifyConvWindow(*this, getStrides(), getDilations(), getPads())))
    return failure();
  for (auto [pad, stride] : llvm::zip(getOutputPadding(), getStrides()))
    if (pad < 0 || pad >= std::max<int64_t>(stride, 1))
      return emitOpError("output_padding must be in [0, stride)");
  return verifyConvBias(*this);
}

LogicalResult BatchNormOp::verify() {
  if (getType().getRank() < 2)
    return emitOpError("expects an N x C x ... input");
  return verifyChannelParams(*this, {getScale(), getBias(), getMean(),
                                     getVariance()},
                             getType().getDimSize(1));
}

LogicalResult InstanceNormOp::verify() {
  if (getType().getRank() < 3)
    return emitOpError("expects an N x C x spatial input");
  return verifyChannelParams(*this, {getScale(), getBias()},
                             getType().getDimSize(1));
}

LogicalResult LayerNormOp::verify() {
  int64_t rank = getType().getRank();
  if (failed(verifyAxis(*this, getAxis(), rank)))
    return failure();
  int64_t axis = getAxis();
  if (axis < 0)
    axis += rank;
  ArrayRef<int64_t> normalized = getType().getShape().drop_front(axis);
  SmallVector<Value> params = {getScale()};
  if (getBias())
    params.push_back(getBias());
  for (Value p : params) {
    auto b = broadcastShapes(tensorType(p).getShape(), normalized);
    if (failed(b) || ArrayRef<int64_t>(*b) != normalized)
      return emitOpError("scale/bias of type ")
             << p.getType() << " do not broadcast to the normalized shape";
  }
  return success();
}

LogicalResult ReshapeOp::verify() {
  if (getInput().getType().getNumElements() != getType().getNumElements())
    return emitOpError("cannot reshape ")
           << getInput().getType() << " into " << getType();
  if (getInput().getType().getElementType() != getType().getElementType())
    return emitOpError("must keep the element type");
  return success();
}

LogicalResult BroadcastToOp::verify() {
  auto shape = broadcastShapes(getInput().getType().getShape(),
                               getType().getShape());
  if (failed(shape) || ArrayRef<int64_t>(*shape) != getType().getShape())
    return emitOpError("cannot broadcast ")
           << getInput().getType() << " to " << getType();
  return success();
}

LogicalResult PadOp::verify() {
  StringRef mode = getMode();
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    return emitOpError("unknown pad mode '") << mode << "'";
  if (llvm::any_of(getPads(), [](int64_t p) { return p < 0; }))
    return emitOpError("pads must be non-negative");
  if (getQuantizedType(getType()) && !getUniformType(getType()))
    return emitOpError("pads quantized tensors of one scale and zero point only");
  int64_t rank = getType().getRank();
  if (mode == "reflect")
    for (int64_t i = 0; i < rank; ++i) {
      int64_t dim = getInput().getType().getDimSize(i);
      if (getPads()[i] >= dim || getPads()[i + rank] >= dim)
        return emitOpError("reflect padding must be smaller than the dimension");
    }
  return success();
}

LogicalResult ResizeOp::verify() {
  auto inType = cast<RankedTensorType>(getInput().getType());
  auto outType = cast<RankedTensorType>(getType());
  if (inType.getRank() != outType.getRank() ||
      (int64_t)getScales().size() != inType.getRank())
    return emitOpError("needs one scale per dimension and the same rank");
  if (getMode() != "nearest" && getMode() != "linear" && getMode() != "cubic")
    return emitOpError("unsupported mode '") << getMode() << "'";
  if (failed(verifyScalePreserving(*this, getInput(), getOutput())))
    return failure();
  if (getMode() != "nearest" && isa<quant::QuantizedType>(inType.getElementType()))
    return emitOpError("resizes quantized tensors in nearest mode only");
  if (getAntialias() && getMode() == "nearest")
    return emitOpError("antialias applies to linear and cubic modes only");
  static const char *modes[] = {"half_pixel",           "asymmetric",
                                "align_corners",        "pytorch_half_pixel",
                                "tf_half_pixel_for_nn", "half_pixel_symmetric",
                                "tf_crop_and_resize"};
  if (getCoordinateTransformationMode() == "tf_crop_and_resize" &&
      static_cast<int64_t>(getRoi().size()) != 2 * inType.getRank())
    return emitOpError("tf_crop_and_resize needs a roi of ") << 2 * inType.getRank()
                                                              << " values";
  if (!llvm::is_contained(modes, getCoordinateTransformationMode()))
    return emitOpError("unsupported coordinate_transformation_mode '")
           << getCoordinateTransformationMode() << "'";
  static const char *nearest[] = {"round_prefer_floor", "round_prefer_ceil",
                                  "floor", "ceil"};
  if (!llvm::is_contained(nearest, getNearestMode()))
    return emitOpError("unsupported nearest_mode '") << getNearestMode() << "'";
  if (llvm::any_of(getScales(), [](float s) { return !(s > 0); }))
    return emitOpError("scales must be positive");
  return success();
}

#define GET_OP_CLASSES
#include "quantc/Dialect/QC/QCOps.cpp.inc"

/// q [B, Hq, T, D] against k and v [B, Hkv, S, D] with Hkv dividing Hq.
static LogicalResult verifyAttentionOperands(Operation *op, RankedTensorType q,
                                             RankedTensorType k,
                                             RankedTensorType v) {
  if (q.getRank() != 4 || k.getRank() != 4 || v.getRank() != 4)
    return op->emitOpError("expects rank-4 query, key and value [B, H, T, D]");
  if (k.getShape() != v.getShape())
    return op->emitOpError("key ") << k << " and value " << v << " differ";
  ArrayRef<int64_t> qs = q.getShape(), ks = k.getShape();
  if (qs[0] != ks[0] || qs[3] != ks[3])
    return op->emitOpError("query ") << q << " and key " << k
                                     << " differ in batch or head size";
  if (ks[1] == 0 || qs[1] % ks[1] != 0)
    return op->emitOpError("query heads (") << qs[1]
           << ") must be a multiple of key/value heads (" << ks[1] << ")";
  return success();
}

LogicalResult AttentionOp::verify() {
  auto q = getQuery().getType(), k = getKey().getType();
  if (failed(verifyAttentionOperands(*this, q, k, getValue().getType())))
    return failure();
  if (!getMask())
    return success();
  SmallVector<int64_t> scores = {q.getDimSize(0), q.getDimSize(1), q.getDimSize(2),
                                 k.getDimSize(2)};
  FailureOr<SmallVector<int64_t>> joint =
      broadcastShapes(getMask().getType().getShape(), scores);
  if (failed(joint) || ArrayRef<int64_t>(*joint) != ArrayRef<int64_t>(scores))
    return emitOpError("mask ") << getMask().getType()
                                << " does not broadcast to the scores [B, Hq, T, S]";
  return success();
}

std::optional<int64_t> qc::getKVCacheFormat(StringRef cache) {
  return llvm::StringSwitch<std::optional<int64_t>>(cache)
      .Case("f32", QC_KV_F32)
      .Case("f16", QC_KV_F16)
      .Case("bf16", QC_KV_BF16)
      .Case("i8", QC_KV_I8)
      .Case("i4", QC_KV_I4)
      .Default(std::nullopt);
}

LogicalResult CachedAttentionOp::verify() {
  auto q = getQuery().getType(), k = getKey().getType();
  if (failed(verifyAttentionOperands(*this, q, k, getValue().getType())))
    return failure();
  if (q.getDimSize(0) != 1)
    return emitOpError("generates for one sequence: batch must be 1, got ")
           << q.getDimSize(0);
  if (q.getDimSize(2) != k.getDimSize(2))
    return emitOpError("appends one key/value per query: ")
           << q.getDimSize(2) << " queries, " << k.getDimSize(2) << " keys";
  if (getLayer() < 0)
    return emitOpError("layer must be non-negative");
  std::optional<int64_t> format = getKVCacheFormat(getCache());
  if (!format)
    return emitOpError("cache '") << getCache() << "' is not f32, f16, bf16, i8 or i4";
  std::optional<ArrayRef<float>> keyScale = getKeyScale();
  if (!keyScale)
    return success();
  if (*format != QC_KV_I8 && *format != QC_KV_I4)
    return emitOpError("key_scale applies to i8 and i4 caches, not '") << getCache() << "'";
  int64_t expected = k.getDimSize(1) * k.getDimSize(3);
  if (static_cast<int64_t>(keyScale->size()) != expected)
    return emitOpError("key_scale has ")
           << keyScale->size() << " factors; keys of " << k.getDimSize(1) << " heads of "
           << k.getDimSize(3) << " channels need " << expected;
  if (llvm::any_of(*keyScale, [](float c) { return !(c > 0) || !std::isfinite(c); }))
    return emitOpError("key_scale factors must be positive and finite");
  return success();
}

LogicalResult GatherElementsOp::verify() {
  auto data = cast<RankedTensorType>(getData().getType());
  auto indices = cast<RankedTensorType>(getIndices().getType());
  if (data.getRank() != indices.getRank() || data.getRank() == 0)
    return emitOpError("data ") << data << " and indices " << indices
                                << " must have the same rank, at least 1";
  return verifyAxis(*this, getAxis(), data.getRank());
}

LogicalResult ScatterNDOp::verify() {
  auto data = cast<RankedTensorType>(getData().getType());
  auto indices = cast<RankedTensorType>(getIndices().getType());
  auto updates = cast<RankedTensorType>(getUpdates().getType());
  if (indices.getRank() < 1)
    return emitOpError("indices must have rank 1 or more");
  int64_t k = indices.getShape().back();
  if (k < 1 || k > data.getRank())
    return emitOpError("index tuples of length ") << k << " do not address " << data;
  SmallVector<int64_t> expected(indices.getShape().drop_back());
  llvm::append_range(expected, data.getShape().drop_front(k));
  if (updates.getShape() != ArrayRef<int64_t>(expected) ||
      updates.getElementType() != data.getElementType())
    return emitOpError("updates ") << updates << " must be indices.shape[:-1] + data.shape[k:]"
                                   << " of the data's element type";
  if (!llvm::is_contained({"none", "add", "mul", "max", "min"}, getReduction()))
    return emitOpError("unknown reduction '") << getReduction() << "'";
  return success();
}
