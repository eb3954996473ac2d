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
  Value acc = n.input(0);
  for (unsigned i = 1; i < n.numInputs(); ++i)
    acc = n.create<OpTy>(acc, n.input(i));
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

void onnx_import::addElementwiseImporters(llvm::StringMap<ImportFn> &t) {
  t["Relu"] = importUnary<qc::ReluOp>;
  t["Sigmoid"] = importUnary<qc::SigmoidOp>;
  t["Tanh"] = importUnary<qc::TanhOp>;
  t["Sqrt"] = importUnary<qc::SqrtOp>;
  t["Exp"] = importUnary<qc::ExpOp>;
  t["Log"] = importUnary<qc::LogOp>;
  t["Neg"] = importUnary<qc::NegOp>;
  t["Abs"] = importUnary<qc::AbsOp>;
  t["Reciprocal"] = importUnary<qc::ReciprocalOp>;
  t["Erf"] = importUnary<qc::ErfOp>;
  t["HardSwish"] = importUnary<qc::HardSwishOp>;
  t["Identity"] = importIdentity;
  t["Dropout"] = importIdentity;
  t["LeakyRelu"] = importLeakyRelu;
  t["HardSigmoid"] = importHardSigmoid;
  t["Gelu"] = importGelu;
  t["Clip"] = importClip;
  t["Add"] = importBinary<qc::AddOp>;
  t["Sub"] = importBinary<qc::SubOp>;
  t["Mul"] = importBinary<qc::MulOp>;
  t["Div"] = importBinary<qc::DivOp>;
  t["Pow"] = importBinary<qc::PowOp>;
  t["PRelu"] = importBinary<qc::PReluOp>;
  t["Equal"] = importBinary<qc::EqualOp>;
  t["Less"] = importBinary<qc::LessOp>;
  t["Greater"] = importBinary<qc::GreaterOp>;
  t["Min"] = importVariadic<qc::MinOp>;
  t["Max"] = importVariadic<qc::MaxOp>;
  t["Sum"] = importVariadic<qc::AddOp>;
  t["Where"] = importWhere;
  t["Cast"] = importCast;
  t["Softmax"] = importSoftmax<qc::SoftmaxOp>;
  t["LogSoftmax"] = importSoftmax<qc::LogSoftmaxOp>;
}
