//===- DynamicInt8Activations.cpp - int8 inputs of weight-only layers -----===//
//
// Marks weight-only layers (a float matmul/gemm over a dequantized 4- or
// 8-bit constant) to round their input to int8 at run time, so that the CPU
// kernel multiplies integers. See the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Dialect/QC/QuantUtils.h"
#include "quantc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/Quant.h"

namespace quantc {
#define GEN_PASS_DEF_QCDYNAMICINT8ACTIVATIONS
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;

namespace {
/// The quantized constant weight behind a layer's float `rhs`
/// (`dequantize(constant)`, possibly transposed) and the number of rows of
/// K that share one of its scales; nothing when `rhs` is not one.
struct WeightGroups {
  unsigned bits;
  int64_t rowsPerScale;
};

std::optional<WeightGroups> matchWeightOnly(Value rhs, bool transposed) {
  if (auto transpose = rhs.getDefiningOp<qc::TransposeOp>()) {
    if (transpose.getPerm() != ArrayRef<int64_t>{1, 0})
      return std::nullopt;
    rhs = transpose.getInput();
    transposed = !transposed;
  }
  auto dequantize = rhs.getDefiningOp<qc::DequantizeOp>();
  if (!dequantize)
    return std::nullopt;
  Value stored = dequantize.getInput();
  auto cast = stored.getDefiningOp<quant::StorageCastOp>();
  if (!cast || !cast.getInput().getDefiningOp<qc::ConstantOp>())
    return std::nullopt;
  quant::QuantizedType type = qc::getQuantizedType(stored.getType());
  auto shape = llvm::cast<ShapedType>(stored.getType()).getShape();
  FailureOr<qc::QuantLayout> layout = qc::QuantLayout::get(stored.getType());
  if (!type || failed(layout) || shape.size() != 2 ||
      !llvm::is_contained({4u, 8u}, type.getStorageTypeIntegralWidth()))
    return std::nullopt;
  return WeightGroups{type.getStorageTypeIntegralWidth(),
                      layout->blockShape[transposed ? 1 : 0]};
}

struct QCDynamicInt8ActivationsPass
    : quantc::impl::QCDynamicInt8ActivationsBase<QCDynamicInt8ActivationsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (blockSize < 0) {
      getOperation().emitError("qc-dynamic-int8-activations: block-size must not be negative");
      return signalPassFailure();
    }
    Builder builder(&getContext());
    getOperation().walk([&](Operation *op) {
      std::optional<WeightGroups> weight;
      if (auto matmul = dyn_cast<qc::MatMulOp>(op))
        weight = matchWeightOnly(matmul.getRhs(), /*transposed=*/false);
      else if (auto gemm = dyn_cast<qc::GemmOp>(op);
               gemm && !gemm.getTransA() && gemm.getAlpha().convertToFloat() == 1.0f)
        weight = matchWeightOnly(gemm.getB(), gemm.getTransB());
      if (!weight || !cast<ShapedType>(op->getResult(0).getType()).getElementType().isF32())
        return;
      int64_t valuesPerWord = 32 / weight->bits;
      int64_t block = blockSize ? blockSize.getValue()
                                : cast<ShapedType>(op->getOperand(0).getType()).getShape().back();
      if (weight->rowsPerScale % block || block % valuesPerWord) {
        op->emitRemark("kept float activations: block-size ")
            << block << " does not fit weight groups of " << weight->rowsPerScale << " rows ("
            << weight->bits << "-bit words of " << valuesPerWord << ")";
        return;
      }
      op->setAttr("dynamic_int8_block", builder.getI64IntegerAttr(block));
    });
  }
};
} // namespace
