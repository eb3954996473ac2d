//===- QCToTosa.cpp - the convert-qc-to-tosa pass ---------------*- C++ -*-===//
//
// Exports the integer graph of a folded qc module to TOSA 1.0, the form that
// TOSA-based stacks consume: storage integers with explicit zero-point
// operands, NHWC layers, and one tosa.rescale per requantization.
//
// The export is exact, never approximate: every op is either translated into
// TOSA ops with the same integer results or rejected, with the reason, before
// anything is rewritten. Function arguments that are only quantized and
// results that are only dequantized become the storage integers themselves
// (their `!quant.uniform` type kept in `qc.quant_type`), because TOSA cannot
// divide by a scale in float as qc.quantize does.
//
//===----------------------------------------------------------------------===//
#include "TosaExport.h"
#include "quantc/Conversion/Passes.h"
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Dialect/QC/QuantUtils.h"

#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Dialect/Tosa/Transforms/Passes.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/TypeSwitch.h"

namespace quantc {
#define GEN_PASS_DEF_CONVERTQCTOTOSA
#include "quantc/Conversion/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;
using namespace quantc::tosa_export;

namespace {
constexpr StringLiteral kQuantTypeAttr = "qc.quant_type";

//===----------------------------------------------------------------------===//
// What TOSA expresses
//===----------------------------------------------------------------------===//

/// Whether `type` is a tensor of signed 8- or 16-bit quantized values, the
/// storage TOSA's integer profile computes on.
bool isSignedStorage(Type type, unsigned maxBits = 16) {
  auto q = qc::getQuantizedType(type);
  return q && q.isSigned() && q.getStorageTypeIntegralWidth() <= maxBits;
}

/// TOSA's right shift `31 + shift` must lie in [2, 62].
bool isTosaShift(int64_t shift) { return 31 + shift >= 2 && 31 + shift <= 62; }

/// Whether all users of `arg` quantize it to one type.
bool isOnlyQuantized(Value arg) {
  return !arg.use_empty() && llvm::all_of(arg.getUsers(), [&](Operation *user) {
    return isa<qc::QuantizeOp>(user) &&
           user->getResult(0).getType() ==
               (*arg.getUsers().begin())->getResult(0).getType();
  });
}

/// Whether `op` converts a function argument or result at the boundary,
/// where the caller quantizes or dequantizes instead.
bool isBoundaryConversion(Operation *op) {
  if (auto q = dyn_cast<qc::QuantizeOp>(op))
    return isa<BlockArgument>(q.getInput()) && isOnlyQuantized(q.getInput());
  return isa<qc::DequantizeOp>(op) &&
         llvm::all_of(op->getUsers(), llvm::IsaPred<func::ReturnOp>);
}

/// Why `op` has no exact TOSA form, or success.
LogicalResult checkExportable(Operation *op) {
  auto reject = [&](const Twine &why) {
    return op->emitError() << "has no exact TOSA form: " << why;
  };
  auto checkRescale = [&](ArrayRef<int32_t> shifts, qc::RoundingMode mode,
                          int64_t leftShift = 0) -> LogicalResult {
    if (mode != qc::RoundingMode::HalfUp)
      return reject("TOSA rescales round half up (SINGLE_ROUND); quantize "
                    "with rounding=half_up (qc-fold-scales, quantc "
                    "--rounding half_up) to export, not " +
                    qc::stringifyRoundingMode(mode));
    for (int32_t s : shifts)
      if (!isTosaShift(s - leftShift))
        return reject("a rescale shift of " + Twine(31 + s - leftShift) +
                      " is outside TOSA's [2, 62]");
    return success();
  };
  return TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](qc::RequantizeOp r) -> LogicalResult {
        if (!isSignedStorage(r.getType()) ||
            (qc::getQuantizedType(r.getInput().getType()) &&
             !isSignedStorage(r.getInput().getType())))
          return reject("TOSA rescales signed 8/16-bit values");
        return checkRescale(r.getShift(), r.getRounding());
      })
      .Case([&](qc::QAddOp a) -> LogicalResult {
        if (!isSignedStorage(a.getLhs().getType()) ||
            !isSignedStorage(a.getRhs().getType()) ||
            !isSignedStorage(a.getType()))
          return reject("TOSA adds signed 8/16-bit values");
        if (failed(checkRescale(a.getShift().take_front(2), a.getRounding(),
                                a.getLeftShift())))
          return failure();
        return checkRescale(a.getShift().drop_front(2), a.getRounding());
      })
      .Case([&](qc::QConvOp c) -> LogicalResult {
        auto w = c.getWeight().getType();
        if (w.getRank() != 4)
          return reject("only 2-d convolutions map to tosa.conv2d");
        if (!isSignedStorage(c.getInput().getType(), 8) ||
            !isSignedStorage(w, 8) || !uniformZeroPoint(w))
          return reject("TOSA convolves signed 8-bit values with one weight "
                        "zero point");
        int64_t channels = c.getInput().getType().getDimSize(1);
        int64_t group = c.getGroup();
        if (group != 1 && (group != channels || w.getDimSize(1) != 1))
          return reject("TOSA has plain and depthwise convolutions, not " +
                        Twine(group) + " groups");
        return success();
      })
      .Case([&](qc::QMatMulOp m) -> LogicalResult {
        auto lhs = m.getLhs().getType(), rhs = m.getRhs().getType();
        if (!isSignedStorage(lhs, 8) || !isSignedStorage(rhs, 8) ||
            !uniformZeroPoint(rhs))
          return reject("TOSA multiplies signed 8-bit matrices with one zero "
                        "point each");
        if (lhs.getRank() < 2 || (rhs.getRank() != 2 && rhs.getRank() != lhs.getRank()))
          return reject("the operands are not (batched) matrices");
        return success();
      })
      .Case([&](qc::LookupTableOp t) -> LogicalResult {
        if (!isSignedStorage(t.getInput().getType(), 8) ||
            !isSignedStorage(t.getType(), 8))
          return reject("tosa.table maps signed 8-bit values to signed 8-bit "
                        "values");
        return success();
      })
      .Case([&](qc::MaxPoolOp p) -> LogicalResult {
        if (cast<RankedTensorType>(p.getInput().getType()).getRank() != 4 ||
            !qc::getUniformType(p.getType()))
          return reject("only 2-d max pooling of quantized tensors exports");
        if (llvm::any_of(p.getDilations(), [](int64_t d) { return d != 1; }))
          return reject("tosa.max_pool2d has no dilation");
        return success();
      })
      .Case([&](qc::SliceOp s) -> LogicalResult {
        if (llvm::any_of(s.getSteps(), [](int64_t step) { return step != 1; }))
          return reject("tosa.slice takes unit steps");
        return success();
      })
      .Case([&](qc::PadOp p) -> LogicalResult {
        if (p.getMode() != "constant" || !p.getValue().isZero())
          return reject("tosa.pad fills with the real zero only here");
        return success();
      })
      .Case<qc::ConstantOp, qc::ReshapeOp, qc::TransposeOp, qc::ConcatOp,
            qc::IdentityOp, quant::StorageCastOp>(
          [](Operation *) { return success(); })
      .Case<qc::QuantizeOp, qc::DequantizeOp>([&](Operation *op) -> LogicalResult {
        if (isBoundaryConversion(op))
          return success();
        return reject("float values inside the graph; only the function's "
                      "inputs and outputs may be quantized and dequantized");
      })
      .Default([&](Operation *other) -> LogicalResult {
        if (isa<qc::QCDialect>(other->getDialect()))
          return reject("no integer TOSA equivalent");
        return success();
      });
}

/// quantize(reshape(x)) → reshape(quantize(x)), and the same for transposes:
/// exact, because quantization is element-wise, and it brings the quantize
/// of a function argument to the argument.
template <typename MovementOp>
struct HoistQuantize : OpRewritePattern<qc::QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(qc::QuantizeOp op,
                                PatternRewriter &b) const override {
    auto movement = op.getInput().getDefiningOp<MovementOp>();
    auto type = qc::getUniformType(op.getType());
    if (!movement || !type || !movement->hasOneUse())
      return failure();
    auto inType = cast<RankedTensorType>(movement.getInput().getType());
    Value quantized = qc::QuantizeOp::create(b, op.getLoc(), inType.clone(type),
                                             movement.getInput(), op.getRounding());
    Operation *moved = b.clone(*movement);
    moved->setOperand(0, quantized);
    moved->getResult(0).setType(op.getType());
    b.replaceOp(op, moved->getResults());
    return success();
  }
};

/// reshape(dequantize(q)) → dequantize(reshape(q)), and for transposes: the
/// mirror image for function results.
template <typename MovementOp>
struct SinkDequantize : OpRewritePattern<MovementOp> {
  using OpRewritePattern<MovementOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(MovementOp op, PatternRewriter &b) const override {
    auto dq = op.getInput().template getDefiningOp<qc::DequantizeOp>();
    if (!dq || !qc::getUniformType(dq.getInput().getType()) || !dq->hasOneUse())
      return failure();
    auto type = cast<RankedTensorType>(op.getType());
    Operation *moved = b.clone(*op);
    moved->setOperand(0, dq.getInput());
    moved->getResult(0).setType(type.clone(getElementTypeOrSelf(dq.getInput())));
    b.replaceOpWithNewOp<qc::DequantizeOp>(op, type, moved->getResult(0));
    return success();
  }
};

/// Makes arguments that are only quantized, and results that are only
/// dequantized, the quantized values themselves.
void peelBoundaryConversions(func::FuncOp func) {
  if (func.isExternal())
    return;
  Block &entry = func.getBody().front();
  for (BlockArgument arg : entry.getArguments()) {
    if (!isOnlyQuantized(arg))
      continue;
    Type quantized = (*arg.getUsers().begin())->getResult(0).getType();
    for (Operation *user : llvm::make_early_inc_range(arg.getUsers())) {
      user->getResult(0).replaceAllUsesWith(arg);
      user->erase();
    }
    arg.setType(quantized);
    func.setArgAttr(arg.getArgNumber(), kQuantTypeAttr, TypeAttr::get(quantized));
  }
  func.walk([&](func::ReturnOp ret) {
    for (OpOperand &operand : ret->getOpOperands())
      if (auto dq = operand.get().getDefiningOp<qc::DequantizeOp>()) {
        operand.set(dq.getInput());
        func.setResultAttr(operand.getOperandNumber(), kQuantTypeAttr,
                           TypeAttr::get(dq.getInput().getType()));
        if (dq->use_empty())
          dq->erase();
      }
    func.setType(FunctionType::get(func.getContext(), entry.getArgumentTypes(),
                                   ret.getOperandTypes()));
  });
}

struct ConvertQCToTosaPass
    : quantc::impl::ConvertQCToTosaBase<ConvertQCToTosaPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    RewritePatternSet boundary(ctx);
    boundary.add<HoistQuantize<qc::ReshapeOp>, HoistQuantize<qc::TransposeOp>,
                 SinkDequantize<qc::ReshapeOp>, SinkDequantize<qc::TransposeOp>>(ctx);
    (void)applyPatternsGreedily(module, std::move(boundary));
    bool exportable = true;
    module.walk([&](Operation *op) {
      exportable &= succeeded(checkExportable(op));
    });
    if (!exportable)
      return signalPassFailure();
    module.walk(peelBoundaryConversions);

    StorageTypeConverter converter;
    RewritePatternSet patterns(ctx);
    populateQCToTosaPatterns(converter, patterns);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                   converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    populateCallOpTypeConversionPattern(patterns, converter);
    ConversionTarget target(*ctx);
    target.addLegalDialect<tosa::TosaDialect>();
    target.addIllegalDialect<qc::QCDialect>();
    target.addIllegalOp<quant::StorageCastOp>();
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp op) {
      return converter.isSignatureLegal(op.getFunctionType()) &&
             converter.isLegal(&op.getBody());
    });
    target.addDynamicallyLegalOp<func::ReturnOp, func::CallOp>(
        [&](Operation *op) { return converter.isLegal(op); });
    target.addLegalOp<ModuleOp>();
    if (failed(applyFullConversion(module, target, std::move(patterns))))
      return signalPassFailure();

    // Cancel the layout transposes between layers and fold those of weights.
    RewritePatternSet cleanup(ctx);
    for (RegisteredOperationName op : ctx->getRegisteredOperations())
      if (op.getDialectNamespace() == tosa::TosaDialect::getDialectNamespace())
        op.getCanonicalizationPatterns(cleanup, ctx);
    tosa::populateTosaFoldConstantTransposePatterns(ctx, cleanup);
    (void)applyPatternsGreedily(module, std::move(cleanup));
  }
};
} // namespace
