//===- LayerBias.cpp - column biases into integer layers --------*- C++ -*-===//
#include "LayerBias.h"

#include "quantc/Dialect/QC/QuantUtils.h"
#include "quantc/Reference/Evaluator.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;

/// The constant of `add` other than `product`, as one value per column of a
/// product with `columns` columns, or nothing when it varies along another
/// dimension.
static std::optional<reference::Tensor> getColumnBias(AddOp add, Value product,
                                                      int64_t columns) {
  Value other = add.getLhs() == product ? add.getRhs() : add.getLhs();
  std::optional<reference::Tensor> c = reference::getConstantValue(other);
  if (!c || !c->getElementType().isF32())
    return std::nullopt;
  ArrayRef<int64_t> shape = c->getShape();
  for (auto [d, size] : llvm::enumerate(shape))
    if (size != 1 && (d + 1 != shape.size() || size != columns))
      return std::nullopt;
  reference::Tensor bias(c->getElementType(), {columns});
  bool perColumn = c->getNumElements() == columns;
  for (int64_t j = 0; j < columns; ++j)
    bias.floats()[j] = c->floats()[perColumn ? j : 0];
  return bias;
}

/// A reshape of `v` to `type` that carries `range` (the calibrated range of
/// the values it holds). A dequantized `v` (the output of an integer layer
/// before) is reshaped quantized, so the layer still reads a dequantize.
static Value reshapeWithRange(OpBuilder &b, Location loc, Value v,
                              RankedTensorType type, Attribute range) {
  if (v.getType() == type)
    return v;
  if (auto dq = v.getDefiningOp<DequantizeOp>()) {
    auto quantized = cast<RankedTensorType>(dq.getInput().getType());
    auto reshape = ReshapeOp::create(
        b, loc, type.clone(quantized.getElementType()), dq.getInput());
    return DequantizeOp::create(b, loc, type, reshape);
  }
  auto reshape = ReshapeOp::create(b, loc, type, v);
  if (range)
    reshape->setAttr("qc.range", range);
  return reshape;
}

GemmOp qc::foldColumnBiasIntoGemm(MatMulOp matmul,
                                  llvm::SmallPtrSetImpl<Operation *> &erased) {
  Value x = matmul.getLhs(), product = matmul.getResult();
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(matmul.getRhs().getType());
  auto outType = cast<RankedTensorType>(product.getType());
  if (!product.hasOneUse() || xType.getRank() < 2 || wType.getRank() != 2 ||
      !matmul.getRhs().getDefiningOp<ConstantOp>() ||
      !xType.hasStaticShape() || matmul.getDynamicInt8Block())
    return {};
  auto add = dyn_cast<AddOp>(*product.getUsers().begin());
  if (!add || add.getType() != outType)
    return {};
  int64_t k = wType.getDimSize(0), n = wType.getDimSize(1);
  std::optional<reference::Tensor> bias = getColumnBias(add, product, n);
  if (!bias)
    return {};

  OpBuilder b(matmul);
  Location loc = FusedLoc::get(b.getContext(), {matmul.getLoc(), add.getLoc()});
  Attribute outRange = add->getAttr("qc.range");
  int64_t rows = xType.getNumElements() / k;
  auto rowsType = RankedTensorType::get({rows, k}, xType.getElementType());
  Value rowsIn = reshapeWithRange(b, loc, x, rowsType, getCalibratedRange(x));
  Value c = reference::createConstant(b, loc, *bias, "bias");
  auto gemm = GemmOp::create(
      b, loc, RankedTensorType::get({rows, n}, outType.getElementType()), rowsIn,
      matmul.getRhs(), c, b.getF32FloatAttr(1.0f), b.getF32FloatAttr(1.0f),
      b.getBoolAttr(false), b.getBoolAttr(false), IntegerAttr());
  for (NamedAttribute attr : matmul->getDiscardableAttrs())
    gemm->setAttr(attr.getName(), attr.getValue());
  if (outRange)
    gemm->setAttr("qc.range", outRange);
  Value result = reshapeWithRange(b, loc, gemm, outType, outRange);
  add.getResult().replaceAllUsesWith(result);
  erased.insert(add);
  erased.insert(matmul);
  add->erase();
  matmul->erase();
  return gemm;
}
