//===- ElementwiseImporters.cpp - element-wise ONNX ops ---------*- C++ -*-===//
#include "ImportUtils.h"

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

LogicalResult importIdentity(NodeImporter &n) {
  if (n.node().op_type() == "Dropout" && n.outputUsed(1))
    return n.error() << "the mask output of Dropout is not supported";
  n.setOutput(0, n.create<qc::IdentityOp>(n.input(0)));
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
    }
  }
  if (lo > hi)
    return n.error() << "clip min " << lo << " exceeds max " << hi;
  n.setOutput(0, n.create<qc::ClipOp>(n.input(0), f32Attr(n, lo), f32Attr(n, hi)));
  return success();
}

LogicalResult importWhere(NodeImporter &n) {
  n.setOutput(0, n.create<qc::WhereOp>(n.input(0), n.input(1), n.input(2)));
  return success();
}

LogicalResult importCast(NodeImporter &n) {
  Type element = convertElementType(n.context(), n.getInt("to", 0));
  if (!element)
    return n.error() << "unsupported cast target type " << n.getInt("to", 0);
  n.setOutput(0, n.create<qc::CastOp>(n.inputType(0).clone(element), n.input(0)));
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
  t["Identity"] = {importIdentity, 1};
  t["Dropout"] = {importIdentity, 1};
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
  t["Min"] = {importVariadic<qc::MinOp>, 1};
  t["Max"] = {importVariadic<qc::MaxOp>, 1};
  t["Sum"] = {importVariadic<qc::AddOp>, 1};
  t["Where"] = {importWhere, 3};
  t["Cast"] = {importCast, 1};
  t["Softmax"] = {importSoftmax<qc::SoftmaxOp>, 1};
  t["LogSoftmax"] = {importSoftmax<qc::LogSoftmaxOp>, 1};
}
