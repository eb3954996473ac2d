//===- FastFloat.cpp - float layers on bf16 operands ------------*- C++ -*-===//
//
// The fast float mode's narrowing of float layers with constant weights to
// bf16 operands and f32 sums. See the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Reference/Tensor.h"
#include "quantc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace quantc {
#define GEN_PASS_DEF_QCFASTFLOAT
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;

namespace {
/// A float layer's operands and sizes.
struct FloatLayer {
  unsigned input, weight;
  int64_t reduction, outputsPerGroup;
};

/// The layer `op` is, when it is a float conv, matmul or gemm whose weight is
/// a qc.constant.
std::optional<FloatLayer> matchFloatLayer(Operation *op) {
  if (!isa<qc::ConvOp, qc::MatMulOp, qc::GemmOp>(op))
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!type || !type.getElementType().isF32() || op->hasAttr("qc.precision"))
    return std::nullopt;
  std::optional<FloatLayer> layer;
  if (auto conv = dyn_cast<qc::ConvOp>(op)) {
    auto w = cast<ShapedType>(conv.getWeight().getType());
    int64_t reduction = w.getNumElements() / w.getDimSize(0);
    layer = FloatLayer{0, 1, reduction, w.getDimSize(0) / static_cast<int64_t>(conv.getGroup())};
  } else if (auto matmul = dyn_cast<qc::MatMulOp>(op)) {
    auto w = cast<ShapedType>(matmul.getRhs().getType());
    if (w.getRank() == 2 && !matmul.getDynamicInt8Block())
      layer = FloatLayer{0, 1, w.getDimSize(0), w.getDimSize(1)};
  } else if (auto gemm = dyn_cast<qc::GemmOp>(op)) {
    auto w = cast<ShapedType>(gemm.getB().getType());
    bool transB = gemm.getTransB();
    if (!gemm.getTransA() && !gemm.getDynamicInt8Block())
      layer = FloatLayer{0, 1, w.getDimSize(transB ? 1 : 0), w.getDimSize(transB ? 0 : 1)};
  }
  if (!layer || !op->getOperand(layer->weight).getDefiningOp<qc::ConstantOp>())
    return std::nullopt;
  return layer;
}

/// `value` rounded to bf16 and widened back (what the kernels read).
Value throughBF16(OpBuilder &b, Location loc, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  Value narrow = qc::CastOp::create(b, loc, type.clone(b.getBF16Type()), value);
  return qc::CastOp::create(b, loc, type, narrow);
}

/// The constant `weight` stored in bf16 (round to nearest even), widened.
FailureOr<Value> storedInBF16(OpBuilder &b, Location loc, qc::ConstantOp weight) {
  FailureOr<reference::Tensor> values =
      reference::Tensor::fromAttr(cast<ElementsAttr>(weight.getValue()));
  if (failed(values))
    return failure();
  SmallVector<APFloat> narrow;
  narrow.reserve(values->floats().size());
  for (float v : values->floats()) {
    APFloat value(v);
    bool lost;
    value.convert(APFloat::BFloat(), APFloat::rmNearestTiesToEven, &lost);
    narrow.push_back(value);
  }
  auto type = cast<RankedTensorType>(weight.getType());
  auto narrowType = type.clone(b.getBF16Type());
  Value stored = qc::ConstantOp::create(b, loc, DenseElementsAttr::get(narrowType, narrow));
  return qc::CastOp::create(b, loc, type, stored).getResult();
}

struct QCFastFloatPass : quantc::impl::QCFastFloatBase<QCFastFloatPass> {
  using Base::Base;

  void runOnOperation() override {
    if (minReduction <= 0 || minOutputs <= 0) {
      getOperation().emitError("qc-fast-float: min-reduction and min-outputs must be positive");
      return signalPassFailure();
    }
    Builder builder(&getContext());
    auto bf16 = builder.getBF16Type();
    auto precision = qc::PrecisionAttr::get(&getContext(), bf16, bf16,
                                            qc::Granularity::PerTensor,
                                            qc::Scheme::Asymmetric, 0);
    WalkResult result = getOperation().walk([&](Operation *op) {
      std::optional<FloatLayer> layer = matchFloatLayer(op);
      if (!layer || layer->reduction < minReduction || layer->outputsPerGroup < minOutputs)
        return WalkResult::advance();
      OpBuilder b(op);
      auto weight = op->getOperand(layer->weight).getDefiningOp<qc::ConstantOp>();
      FailureOr<Value> narrowWeight = storedInBF16(b, weight.getLoc(), weight);
      if (failed(narrowWeight)) {
        op->emitError("qc-fast-float: cannot read the weight constant");
        return WalkResult::interrupt();
      }
      op->setOperand(layer->input, throughBF16(b, op->getLoc(), op->getOperand(layer->input)));
      op->setOperand(layer->weight, *narrowWeight);
      op->setAttr("qc.precision", precision);
      op->emitRemark("fast float: bf16 operands, f32 sums");
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
