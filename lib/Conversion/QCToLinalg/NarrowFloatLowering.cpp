//===- NarrowFloatLowering.cpp - f16/bf16 compute in f32 --------*- C++ -*-===//
//
// The evaluator computes every f16/bf16 op in f32 and rounds its result once
// (nearest, ties to even). Element-wise lowerings do that per element; ops
// that sum or average (layers, pooling, normalization, reductions, linear
// resizing) are rebuilt here on f32 tensors between qc.casts: widening is
// exact and the result rounds once, so a narrow layer never accumulates in
// its narrow type, whichever lowering (loops, microkernels, GPU kernels)
// takes the f32 op afterwards.
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::conversion;

namespace {
bool isNarrowFloat(Type type) {
  Type element = getElementTypeOrSelf(type);
  return element.isBF16() || element.isF16();
}

/// `type` with an f32 element type when it is a narrow float tensor.
Type widenedType(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !isNarrowFloat(tensor))
    return type;
  return tensor.clone(Float32Type::get(type.getContext()));
}

template <typename... Ops>
struct NarrowFloatThroughF32 : ConversionPattern {
  NarrowFloatThroughF32(const TypeConverter &converter, MLIRContext *ctx)
      : ConversionPattern(converter, MatchAnyOpTypeTag(),
                          /*benefit=*/10, ctx) {}

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    if (!isa<Ops...>(op) || op->getNumRegions() != 0 ||
        (llvm::none_of(op->getOperandTypes(), isNarrowFloat) &&
         llvm::none_of(op->getResultTypes(), isNarrowFloat)))
      return failure();
    Location loc = op->getLoc();
    SmallVector<Value> wideOperands;
    for (Value operand : operands) {
      Type wide = widenedType(operand.getType());
      wideOperands.push_back(wide == operand.getType()
                                 ? operand
                                 : Value(qc::CastOp::create(rewriter, loc, wide, operand)));
    }
    SmallVector<Type> wideTypes = llvm::map_to_vector(op->getResultTypes(), widenedType);
    OperationState state(loc, op->getName(), wideOperands, wideTypes, op->getAttrs());
    Operation *wide = rewriter.create(state);
    SmallVector<Value> results;
    for (auto [result, original] : llvm::zip(wide->getResults(), op->getResultTypes()))
      results.push_back(result.getType() == original
                            ? Value(result)
                            : qc::CastOp::create(rewriter, loc, original, result));
    rewriter.replaceOp(op, results);
    return success();
  }
};
} // namespace

void conversion::populateNarrowFloatPatterns(QCTypeConverter &converter,
                                             RewritePatternSet &patterns) {
  patterns.add<NarrowFloatThroughF32<
      qc::MatMulOp, qc::GemmOp, qc::ConvOp, qc::ConvTransposeOp, qc::EinsumOp,
      qc::AvgPoolOp, qc::GlobalAvgPoolOp, qc::ReduceSumOp, qc::ReduceMeanOp,
      qc::SoftmaxOp, qc::LogSoftmaxOp, qc::BatchNormOp, qc::LayerNormOp,
      qc::InstanceNormOp, qc::ResizeOp>>(converter, patterns.getContext());
}
