//===- ElementwiseImporters.cpp - element-wise ONNX ops ---------*- C++ -*-===//
#include "ImportUtils.h"
#include "quantc/Reference/Evaluator.h"

#include <limits>

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;

namespace {
template <typename OpTy>
LogicalResult importUnary(NodeImporter &n) {
  n.setOutput(0, n.create<OpTy>(n.input(0)));
  return success();
}

/// Casts `v` to the element type of `like` when they differ (ONNX Pow allows
/// an integer exponent on a float base).
Value castToElementTypeOf(NodeImporter &n, Value v, Value like) {
  if (!v || !like)
    return nullptr;
  auto type = cast<RankedTensorType>(v.getType());
  Type element = cast<RankedTensorType>(like.getType()).getElementType();
  if (type.getElementType() == element)
    return v;
  return n.create<qc::CastOp>(type.clone(element), v);
}

template <typename OpTy>
LogicalResult importBinary(NodeImporter &n) {
  Value lhs = n.input(0);
  Value rhs = castToElementTypeOf(n, n.input(1), lhs);
  // Before opset 7, `broadcast` = 1 lines B up with A's dims from `axis` on
  // (by default its trailing dims, as numpy does), and PRelu's 1-d slope
  // holds one value per channel (axis 1); trailing ones say so.
  ArrayRef<int64_t> shape = n.inputType(1).getShape();
  bool channelSlope = n.node().op_type() == "PRelu" && shape.size() == 1 && shape[0] > 1;
  if (n.opset() < 7 && ((n.getInt("broadcast", 0) && n.hasAttr("axis")) || channelSlope)) {
    int64_t lhsRank = n.inputType(0).getRank();
    FailureOr<int64_t> axis = n.normalizeAxis(channelSlope ? 1 : n.getInt("axis", 0), lhsRank);
    if (failed(axis))
      return failure();
    if (*axis + static_cast<int64_t>(shape.size()) > lhsRank)
      return n.error() << "B of rank " << shape.size() << " does not fit A of rank "
                       << lhsRank << " from axis " << *axis;
    SmallVector<int64_t> aligned(shape);
    aligned.append(lhsRank - *axis - shape.size(), 1);
    rhs = reshapeTo(n, rhs, aligned);
  }
  n.setOutput(0, n.create<OpTy>(lhs, rhs));
  return success();
}

/// Variadic Min/Max/Sum: a left fold of the binary op.
template <typename OpTy>
LogicalResult importVariadic(NodeImporter &n) {
  FailureOr<SmallVector<Value>> inputs = n.variadicInputs();
  if (failed(inputs))
    return failure();
  Value acc = inputs->front();
  for (Value next : ArrayRef(*inputs).drop_front())
    acc = n.create<OpTy>(acc, next);
  n.setOutput(0, acc);
  return success();
}

/// Identity also passes a sequence or optional on (from opset 14).
LogicalResult importIdentity(NodeImporter &n) {
  if (n.isListInput(0)) {
    const ListValue *list = n.listInput(0);
    n.setListOutput(0, list->elements, list->optional);
    return success();
  }
  n.setOutput(0, n.create<qc::IdentityOp>(n.input(0)));
  return success();
}

/// Dropout passes its input through outside training, and in training with
/// a ratio of 0; its mask then keeps everything. Training with a ratio above
/// 0 drops at random and is declined.
LogicalResult importDropout(NodeImporter &n) {
  auto scalarInput = [&](unsigned i) -> FailureOr<double> {
    FailureOr<reference::Tensor> t = n.constantInput(i);
    if (failed(t))
      return failure();
    if (t->getNumElements() != 1)
      return n.error() << "input " << i << " must be a scalar";
    return t->getAsDouble(0);
  };
  if (n.hasInput(2)) {
    FailureOr<double> training = scalarInput(2);
    if (failed(training))
      return failure();
    if (*training != 0) {
      FailureOr<double> ratio = n.hasInput(1) ? scalarInput(1) : FailureOr<double>(0.5);
      if (failed(ratio))
        return failure();
      if (*ratio != 0)
        return n.error() << "Dropout in training mode (random) is not supported";
    }
  }
  n.setOutput(0, n.create<qc::IdentityOp>(n.input(0)));
  if (!n.outputUsed(1))
    return success();
  RankedTensorType type = n.inputType(0);
  if (!type.hasStaticShape())
    return n.error() << "the mask output of Dropout needs a static input shape";
  // Before opset 10 the mask has the input's type, from then on bool.
  Type maskType = n.opset() < 10 ? type.getElementType() : n.builder().getI1Type();
  reference::Tensor mask(maskType, type.getShape());
  if (mask.isFloat())
    llvm::fill(mask.floats(), 1.0f);
  else
    llvm::fill(mask.ints(), 1);
  n.setOutput(1, n.constant(mask));
  return success();
}

LogicalResult importLeakyRelu(NodeImporter &n) {
  n.setOutput(0, n.create<qc::LeakyReluOp>(n.input(0),
                                           f32Attr(n, n.getFloat("alpha", 0.01f))));
  return success();
}

LogicalResult importHardSigmoid(NodeImporter &n) {
  n.setOutput(0, n.create<qc::HardSigmoidOp>(
                     n.input(0), f32Attr(n, n.getFloat("alpha", 0.2f)),
                     f32Attr(n, n.getFloat("beta", 0.5f))));
  return success();
}

LogicalResult importGelu(NodeImporter &n) {
  std::string approximate = n.getString("approximate", "none");
  if (approximate != "none" && approximate != "tanh")
    return n.error() << "unsupported approximate='" << approximate << "'";
  n.setOutput(0, n.create<qc::GeluOp>(
                     n.input(0), n.builder().getBoolAttr(approximate == "tanh")));
  return success();
}

LogicalResult importClip(NodeImporter &n) {
  float lo = std::numeric_limits<float>::lowest();
  float hi = std::numeric_limits<float>::max();
  // Opset 11 on: optional scalar inputs `min` and `max`.
  std::optional<reference::Tensor> bounds[2];
  if (n.opset() < 11) {
    lo = n.getFloat("min", lo);
    hi = n.getFloat("max", hi);
  } else {
    for (unsigned i : {1u, 2u}) {
      if (!n.hasInput(i))
        continue;
      FailureOr<reference::Tensor> bound = n.constantInput(i);
      if (failed(bound))
        return failure();
      if (bound->getNumElements() != 1)
        return n.error() << "clip bounds must be scalars";
      (i == 1 ? lo : hi) = bound->getAsDouble(0);
      bounds[i - 1] = std::move(*bound);
    }
  }
  if (lo > hi)
    return n.error() << "clip min " << lo << " exceeds max " << hi;
  auto integer = dyn_cast<IntegerType>(n.inputType(0).getElementType());
  if (!integer) {
    n.setOutput(0, n.create<qc::ClipOp>(n.input(0), f32Attr(n, lo), f32Attr(n, hi)));
    return success();
  }
  // Integer tensors (positions, lengths) clip exactly in their own type.
  Value x = n.input(0);
  for (auto [i, bound] : llvm::enumerate(bounds)) {
    if (!bound)
      continue;
    reference::Tensor scalar(integer, {});
    scalar.ints()[0] = bound->ints()[0];
    Value c = n.constant(scalar);
    x = i == 0 ? Value(n.create<qc::MaxOp>(x, c)) : Value(n.create<qc::MinOp>(x, c));
  }
  n.setOutput(0, x);
  return success();
}

LogicalResult importWhere(NodeImporter &n) {
  n.setOutput(0, n.create<qc::WhereOp>(n.input(0), n.input(1), n.input(2)));
  return success();
}

/// Input 0 cast to `element`. Casts to INT4 and UINT4 round half to even and
/// saturate (ONNX's rule for the 4-bit types); float8 casts follow the
/// `saturate` attribute; the others truncate toward zero.
Value castInput(NodeImporter &n, Type element) {
  RankedTensorType type = n.inputType(0);
  Value x = n.input(0);
  if (reference::isFloat8(element))
    return castToFloat8(n, x, cast<FloatType>(element), n.getInt("saturate", 1));
  auto narrow = dyn_cast<IntegerType>(element);
  if (narrow && narrow.getWidth() == 4) {
    if (!isa<FloatType>(type.getElementType()))
      x = n.create<qc::CastOp>(type.clone(n.builder().getF32Type()), x);
    bool isUnsigned = narrow.isUnsigned();
    x = n.create<qc::ClipOp>(n.create<qc::RoundOp>(x), f32Attr(n, isUnsigned ? 0 : -8),
                             f32Attr(n, isUnsigned ? 15 : 7));
  }
  return n.create<qc::CastOp>(cast<RankedTensorType>(x.getType()).clone(element), x);
}

LogicalResult importCast(NodeImporter &n) {
  int64_t to = n.getInt("to", 0);
  // Before opset 6 the target type is named ("FLOAT", "INT64", ...).
  if (n.opset() < 6) {
    onnx::TensorProto::DataType named;
    if (!onnx::TensorProto::DataType_Parse(n.getString("to", ""), &named))
      return n.error() << "unknown cast target type '" << n.getString("to", "") << "'";
    to = named;
  }
  Type element = convertElementType(n.context(), to);
  if (!element)
    return n.error() << "unsupported cast target type " << to;
  n.setOutput(0, castInput(n, element));
  return success();
}

/// Softmax before opset 13 normalizes the input flattened to 2-d at `axis`.
template <typename OpTy>
LogicalResult importSoftmax(NodeImporter &n) {
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank();
  bool legacy = n.opset() < 13;
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", legacy ? 1 : -1),
                                            std::max<int64_t>(rank, 1));
  if (failed(axis))
    return failure();
  if (!legacy || *axis == rank - 1) {
    n.setOutput(0, n.create<OpTy>(n.input(0), i64Attr(n, *axis)));
    return success();
  }
  ArrayRef<int64_t> shape = type.getShape();
  Value flat = reshapeTo(n, n.input(0),
                         {product(shape.take_front(*axis)),
                          product(shape.drop_front(*axis))});
  Value result = n.create<OpTy>(flat, i64Attr(n, 1));
  n.setOutput(0, reshapeTo(n, result, shape));
  return success();
}

/// A unary op whose float attributes have ONNX defaults.
template <typename OpTy, typename... Defaults>
LogicalResult importWithFloatAttrs(NodeImporter &n, Defaults... attrs) {
  n.setOutput(0, n.create<OpTy>(n.input(0), f32Attr(n, n.getFloat(attrs.first, attrs.second))...));
  return success();
}
using FloatDefault = std::pair<StringRef, float>;

LogicalResult importElu(NodeImporter &n) {
  return importWithFloatAttrs<qc::EluOp>(n, FloatDefault("alpha", 1.0f));
}
LogicalResult importCelu(NodeImporter &n) {
  if (n.getFloat("alpha", 1.0f) == 0)
    return n.error() << "alpha must not be 0";
  return importWithFloatAttrs<qc::CeluOp>(n, FloatDefault("alpha", 1.0f));
}
LogicalResult importSelu(NodeImporter &n) {
  return importWithFloatAttrs<qc::SeluOp>(
      n, FloatDefault("alpha", 1.67326319217681884765625f),
      FloatDefault("gamma", 1.05070102214813232421875f));
}
LogicalResult importThresholdedRelu(NodeImporter &n) {
  return importWithFloatAttrs<qc::ThresholdedReluOp>(n, FloatDefault("alpha", 1.0f));
}
LogicalResult importShrink(NodeImporter &n) {
  return importWithFloatAttrs<qc::ShrinkOp>(n, FloatDefault("bias", 0.0f),
                                               FloatDefault("lambd", 0.5f));
}

LogicalResult importIsInf(NodeImporter &n) {
  n.setOutput(0, n.create<qc::IsInfOp>(
                     n.input(0), n.builder().getBoolAttr(n.getInt("detect_positive", 1)),
                     n.builder().getBoolAttr(n.getInt("detect_negative", 1))));
  return success();
}

LogicalResult importMod(NodeImporter &n) {
  bool fmod = n.getInt("fmod", 0) != 0;
  if (!fmod && isa<FloatType>(n.inputType(0).getElementType()))
    return n.error() << "Mod of floats needs fmod = 1";
  n.setOutput(0, n.create<qc::ModOp>(n.input(0), n.input(1), n.builder().getBoolAttr(fmod)));
  return success();
}

LogicalResult importBitShift(NodeImporter &n) {
  std::string direction = n.getString("direction", "");
  if (direction == "LEFT")
    return importBinary<qc::ShiftLeftOp>(n);
  if (direction == "RIGHT")
    return importBinary<qc::ShiftRightOp>(n);
  return n.error() << "direction must be LEFT or RIGHT, not '" << direction << "'";
}

/// Mean: the sum of the inputs divided by their count.
LogicalResult importMean(NodeImporter &n) {
  FailureOr<SmallVector<Value>> inputs = n.variadicInputs();
  if (failed(inputs))
    return failure();
  Value sum = inputs->front();
  for (Value next : ArrayRef(*inputs).drop_front())
    sum = n.create<qc::AddOp>(sum, next);
  if (inputs->size() == 1) {
    n.setOutput(0, sum);
    return success();
  }
  Type element = cast<RankedTensorType>(sum.getType()).getElementType();
  n.setOutput(0, n.create<qc::DivOp>(sum, scalarConstant(n, element, inputs->size())));
  return success();
}

LogicalResult importCastLike(NodeImporter &n) {
  n.setOutput(0, castInput(n, n.inputType(1).getElementType()));
  return success();
}
} // namespace

void onnx_import::addElementwiseImporters(llvm::StringMap<OpImporter> &t) {
  t["Relu"] = {importUnary<qc::ReluOp>, 1};
  t["Sigmoid"] = {importUnary<qc::SigmoidOp>, 1};
  t["Tanh"] = {importUnary<qc::TanhOp>, 1};
  t["Sqrt"] = {importUnary<qc::SqrtOp>, 1};
  t["Exp"] = {importUnary<qc::ExpOp>, 1};
  t["Log"] = {importUnary<qc::LogOp>, 1};
  t["Neg"] = {importUnary<qc::NegOp>, 1};
  t["Abs"] = {importUnary<qc::AbsOp>, 1};
  t["Reciprocal"] = {importUnary<qc::ReciprocalOp>, 1};
  t["Round"] = {importUnary<qc::RoundOp>, 1};
  t["Erf"] = {importUnary<qc::ErfOp>, 1};
  t["HardSwish"] = {importUnary<qc::HardSwishOp>, 1};
  t["Softplus"] = {importUnary<qc::SoftplusOp>, 1};
  t["Cos"] = {importUnary<qc::CosOp>, 1};
  t["Sin"] = {importUnary<qc::SinOp>, 1};
  t["Not"] = {importUnary<qc::NotOp>, 1};
  t["Tan"] = {importUnary<qc::TanOp>, 1};
  t["Acos"] = {importUnary<qc::AcosOp>, 1};
  t["Asin"] = {importUnary<qc::AsinOp>, 1};
  t["Atan"] = {importUnary<qc::AtanOp>, 1};
  t["Cosh"] = {importUnary<qc::CoshOp>, 1};
  t["Sinh"] = {importUnary<qc::SinhOp>, 1};
  t["Acosh"] = {importUnary<qc::AcoshOp>, 1};
  t["Asinh"] = {importUnary<qc::AsinhOp>, 1};
  t["Atanh"] = {importUnary<qc::AtanhOp>, 1};
  t["Ceil"] = {importUnary<qc::CeilOp>, 1};
  t["Floor"] = {importUnary<qc::FloorOp>, 1};
  t["Sign"] = {importUnary<qc::SignOp>, 1};
  t["Softsign"] = {importUnary<qc::SoftsignOp>, 1};
  t["Mish"] = {importUnary<qc::MishOp>, 1};
  t["Elu"] = {importElu, 1};
  t["Celu"] = {importCelu, 1};
  t["Selu"] = {importSelu, 1};
  t["ThresholdedRelu"] = {importThresholdedRelu, 1};
  t["Shrink"] = {importShrink, 1};
  t["IsNaN"] = {importUnary<qc::IsNaNOp>, 1};
  t["IsInf"] = {importIsInf, 1};
  t["BitwiseNot"] = {importUnary<qc::BitwiseNotOp>, 1};
  t["Identity"] = {importIdentity, 1, 1, /*readsLists=*/true};
  t["Dropout"] = {importDropout, 1};
  t["LeakyRelu"] = {importLeakyRelu, 1};
  t["HardSigmoid"] = {importHardSigmoid, 1};
  t["Gelu"] = {importGelu, 1};
  t["Clip"] = {importClip, 1};
  t["Add"] = {importBinary<qc::AddOp>, 2};
  t["Sub"] = {importBinary<qc::SubOp>, 2};
  t["Mul"] = {importBinary<qc::MulOp>, 2};
  t["Div"] = {importBinary<qc::DivOp>, 2};
  t["Pow"] = {importBinary<qc::PowOp>, 2};
  t["PRelu"] = {importBinary<qc::PReluOp>, 2};
  t["Equal"] = {importBinary<qc::EqualOp>, 2};
  t["Less"] = {importBinary<qc::LessOp>, 2};
  t["Greater"] = {importBinary<qc::GreaterOp>, 2};
  t["LessOrEqual"] = {importBinary<qc::LessEqualOp>, 2};
  t["GreaterOrEqual"] = {importBinary<qc::GreaterEqualOp>, 2};
  t["And"] = {importBinary<qc::AndOp>, 2};
  t["Or"] = {importBinary<qc::OrOp>, 2};
  t["Xor"] = {importBinary<qc::XorOp>, 2};
  t["Mod"] = {importMod, 2};
  t["BitShift"] = {importBitShift, 2};
  t["BitwiseAnd"] = {importBinary<qc::BitwiseAndOp>, 2};
  t["BitwiseOr"] = {importBinary<qc::BitwiseOrOp>, 2};
  t["BitwiseXor"] = {importBinary<qc::BitwiseXorOp>, 2};
  t["Mean"] = {importMean, 1};
  t["CastLike"] = {importCastLike, 2};
  t["Min"] = {importVariadic<qc::MinOp>, 1};
  t["Max"] = {importVariadic<qc::MaxOp>, 1};
  t["Sum"] = {importVariadic<qc::AddOp>, 1};
  t["Where"] = {importWhere, 3};
  t["Cast"] = {importCast, 1};
  t["Softmax"] = {importSoftmax<qc::SoftmaxOp>, 1};
  t["LogSoftmax"] = {importSoftmax<qc::LogSoftmaxOp>, 1};
}

/// Rounds to nearest even; with `saturate` values past the largest finite
/// value, and infinities, become it (as ONNX's reference and test data have
/// it, for the FNUZ types too). Without it the rounding alone gives ONNX's
/// rule: infinity past E5M2's range, NaN past the others'.
Value onnx_import::castToFloat8(NodeImporter &n, Value x, FloatType target, bool saturate) {
  auto type = cast<RankedTensorType>(x.getType());
  if (!isa<FloatType>(type.getElementType()))
    x = n.create<qc::CastOp>(type.clone(n.builder().getF32Type()), x);
  if (saturate) {
    float largest = llvm::APFloat::getLargest(target.getFloatSemantics()).convertToFloat();
    // NaN stays NaN (qc.clip would take it to the lower bound).
    x = n.create<qc::WhereOp>(n.create<qc::IsNaNOp>(x), x,
                              n.create<qc::ClipOp>(x, f32Attr(n, -largest), f32Attr(n, largest)));
  }
  return n.create<qc::CastOp>(type.clone(target), x);
}
