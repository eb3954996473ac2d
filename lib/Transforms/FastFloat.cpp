//===- FastFloat.cpp - float layers on bf16 operands ------------*- C++ -*-===//
//
// The fast float mode's narrowing of float layers with constant weights to
// bf16 operands and f32 sums. See the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Reference/Evaluator.h"
#include "quantc/Reference/Tensor.h"
#include "quantc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

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

/// Whether `value` is a one-element f32 constant equal to `expected` (to
/// a few ulps: exporters write 1/6 in several roundings).
bool isScalar(Value value, float expected) {
  std::optional<float> c = value ? reference::getScalarConstant(value) : std::nullopt;
  return c && getElementTypeOrSelf(value.getType()).isF32() &&
         std::fabs(*c - expected) <= 1e-6f * std::fabs(expected);
}

/// The operand of binary `op` other than `value`; null when neither is.
Value otherOperand(Operation *op, Value value) {
  if (op->getNumOperands() != 2)
    return {};
  if (op->getOperand(0) == value)
    return op->getOperand(1);
  return op->getOperand(1) == value ? op->getOperand(0) : Value();
}

/// The x of x / 6 or x * (1/6); null otherwise.
Value sixthOf(Value value) {
  Operation *op = value.getDefiningOp();
  if (auto div = dyn_cast_if_present<qc::DivOp>(op); div && isScalar(div.getRhs(), 6.0f))
    return div.getLhs();
  if (auto mul = dyn_cast_if_present<qc::MulOp>(op)) {
    if (isScalar(mul.getRhs(), 1.0f / 6))
      return mul.getLhs();
    if (isScalar(mul.getLhs(), 1.0f / 6))
      return mul.getRhs();
  }
  return {};
}

/// Whether `value` is clip(x + 3, 0, 6).
bool isShiftedRelu6Of(Value value, Value x) {
  auto clip = value.getDefiningOp<qc::ClipOp>();
  if (!clip || clip.getMin().convertToFloat() != 0.0f || clip.getMax().convertToFloat() != 6.0f)
    return false;
  auto add = clip.getInput().getDefiningOp<qc::AddOp>();
  return add && isScalar(otherOperand(add, x), 3.0f);
}

/// The x of a hard-swish spelled out in element-wise ops: x * clip(x + 3,
/// 0, 6) / 6 (the sixth taken last or of the clip, as a division or a
/// product) or x * hard_sigmoid(x) with alpha 1/6 and beta 1/2; null
/// otherwise.
Value hardSwishInput(Operation *root) {
  Type type = root->getResult(0).getType();
  auto sameType = [&](Value v) { return v && v.getType() == type; };
  // x * clip(x + 3, 0, 6), then divided by 6.
  if (Value product = sixthOf(root->getResult(0)); sameType(product))
    if (auto mul = product.getDefiningOp<qc::MulOp>())
      for (Value x : {mul.getLhs(), mul.getRhs()})
        if (sameType(x) && isShiftedRelu6Of(otherOperand(mul, x), x))
          return x;
  auto mul = dyn_cast<qc::MulOp>(root);
  if (!mul)
    return {};
  for (Value x : {mul.getLhs(), mul.getRhs()}) {
    Value gate = otherOperand(mul, x);
    if (!sameType(x) || !sameType(gate))
      continue;
    if (Value clipped = sixthOf(gate); clipped && isShiftedRelu6Of(clipped, x))
      return x;
    if (auto sigmoid = gate.getDefiningOp<qc::HardSigmoidOp>();
        sigmoid && sigmoid.getInput() == x &&
        std::fabs(sigmoid.getAlpha().convertToFloat() - 1.0f / 6) <= 1e-7f &&
        sigmoid.getBeta().convertToFloat() == 0.5f)
      return x;
  }
  return {};
}

/// A hard-swish spelled out in element-wise ops as one qc.hard_swish, which
/// the tile convolutions apply in their epilogue. In f32 the two may differ
/// in the last bits: the fast mode only.
template <typename Op>
struct HardSwishFromParts : OpRewritePattern<Op> {
  using OpRewritePattern<Op>::OpRewritePattern;

  LogicalResult matchAndRewrite(Op op, PatternRewriter &rewriter) const override {
    Value x = hardSwishInput(op);
    if (!x)
      return failure();
    rewriter.replaceOpWithNewOp<qc::HardSwishOp>(op, op.getType(), x);
    return success();
  }
};

struct QCFastFloatPass : quantc::impl::QCFastFloatBase<QCFastFloatPass> {
  using Base::Base;

  void runOnOperation() override {
    if (minReduction <= 0 || minOutputs <= 0) {
      getOperation().emitError("qc-fast-float: min-reduction and min-outputs must be positive");
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    patterns.add<HardSwishFromParts<qc::DivOp>, HardSwishFromParts<qc::MulOp>>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     GreedyRewriteConfig().enableFolding(false))))
      return signalPassFailure();
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
