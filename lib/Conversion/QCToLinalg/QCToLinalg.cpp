//===- QCToLinalg.cpp - the convert-qc-to-linalg pass -----------*- C++ -*-===//
//
// Drives the qc → linalg/tensor/arith/math conversion with the patterns of
// this folder. Before rewriting it records @main's original tensor types in
// `qc.signature`, which packaging needs once quantized types are gone.
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "quantc/Conversion/Passes.h"
#include "quantc/Reference/Tensor.h"

#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Dialect/Quant/IR/Quant.h"

namespace quantc {
#define GEN_PASS_DEF_CONVERTQCTOLINALG
#include "quantc/Conversion/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;
using namespace quantc::conversion;

namespace {
/// `{name, type}` for each argument or result of `func`.
ArrayAttr describeTensors(func::FuncOp func, bool results) {
  Builder b(func.getContext());
  SmallVector<Attribute> entries;
  ArrayRef<Type> types = results ? func.getResultTypes() : func.getArgumentTypes();
  for (auto [i, type] : llvm::enumerate(types)) {
    auto name = results ? func.getResultAttrOfType<StringAttr>(i, "qc.name")
                        : func.getArgAttrOfType<StringAttr>(i, "qc.name");
    std::string fallback = (results ? "output_" : "input_") + std::to_string(i);
    entries.push_back(b.getDictionaryAttr(
        {b.getNamedAttr("name", name ? name : b.getStringAttr(fallback)),
         b.getNamedAttr("type", TypeAttr::get(type))}));
  }
  return b.getArrayAttr(entries);
}

/// Libraries pass whole bytes of the element types their C header names: a
/// 4-bit or float8 graph input or output (which the reference evaluator
/// carries in int8 / uint8 or float32 arrays) has no form at their boundary.
LogicalResult refuseNarrowBoundary(ModuleOp module) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main)
    return success();
  FunctionType signature = main.getFunctionType();
  for (auto [results, types] : {std::pair(false, signature.getInputs()),
                                std::pair(true, signature.getResults())})
    for (auto [i, type] : llvm::enumerate(types)) {
      Type element = getElementTypeOrSelf(type);
      bool float8 = reference::isFloat8(element);
      if (!float8 && !reference::isSubByteInteger(element))
        continue;
      auto name = results ? main.getResultAttrOfType<StringAttr>(i, "qc.name")
                          : main.getArgAttrOfType<StringAttr>(i, "qc.name");
      return main.emitError() << "graph " << (results ? "output" : "input") << " '"
                              << (name ? name.getValue() : StringRef("?")) << "' is " << type
                              << ", which a compiled library cannot pass ("
                              << (float8 ? "float8" : "4-bit")
                              << " tensors cross the boundary only in the reference "
                                 "evaluator; inside the graph they compile)";
    }
  return success();
}

/// qc.fail sets the thread's failure flag, which the entry point returns:
/// the run fails, and the code after it computes values nothing reads.
struct FailLowering : OpConversionPattern<qc::FailOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(qc::FailOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto module = op->getParentOfType<ModuleOp>();
    Type i32 = rewriter.getI32Type();
    if (!module.lookupSymbol(qc::kRunFailedSymbol)) {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(module.getBody());
      LLVM::GlobalOp::create(rewriter, loc, i32, /*isConstant=*/false,
                             LLVM::Linkage::Internal, qc::kRunFailedSymbol,
                             rewriter.getI32IntegerAttr(0), /*alignment=*/0,
                             /*addrSpace=*/0, /*dsoLocal=*/true, /*threadLocal=*/true);
    }
    Value flag = LLVM::AddressOfOp::create(
        rewriter, loc, LLVM::LLVMPointerType::get(rewriter.getContext()), qc::kRunFailedSymbol);
    Value one = LLVM::ConstantOp::create(rewriter, loc, i32, rewriter.getI32IntegerAttr(1));
    LLVM::StoreOp::create(rewriter, loc, one, flag);
    rewriter.eraseOp(op);
    return success();
  }
};

struct ConvertQCToLinalgPass
    : quantc::impl::ConvertQCToLinalgBase<ConvertQCToLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    if (failed(refuseNarrowBoundary(module)))
      return signalPassFailure();
    if (auto main = module.lookupSymbol<func::FuncOp>("main"))
      if (!module->hasAttr("qc.signature"))
        module->setAttr("qc.signature",
                        DictionaryAttr::get(
                            ctx, {NamedAttribute(StringAttr::get(ctx, "inputs"),
                                                 describeTensors(main, false)),
                                  NamedAttribute(StringAttr::get(ctx, "outputs"),
                                                 describeTensors(main, true))}));

    if (floatMode != "exact" && floatMode != "fast") {
      module.emitError() << "convert-qc-to-linalg: unknown float-mode '" << floatMode
                         << "' (exact, fast)";
      return signalPassFailure();
    }
    QCTypeConverter converter;
    RewritePatternSet patterns(ctx);
    FloatKernelOptions floats;
    floats.fast = floatMode == "fast";
    floats.bf16Tiles = floats.fast && bf16Tiles;
    if (microkernels) {
      populateMicrokernelPatterns(converter, patterns, kernelSuffix);
      populateFloatKernelPatterns(converter, patterns, kernelSuffix, floats);
      populateWeightOnlyPatterns(converter, patterns, kernelSuffix);
    }
    if (tensorCores) {
      populateTensorCorePatterns(converter, patterns);
      if (!microkernels)
        populateWeightOnlyUnpackingPatterns(converter, patterns);
    }
    populateNarrowFloatPatterns(converter, patterns);
    populateElementwisePatterns(converter, patterns);
    populateQuantPatterns(converter, patterns);
    populateLayerPatterns(converter, patterns);
    populatePoolingAndNormPatterns(converter, patterns);
    populateMaxPoolIndicesPatterns(converter, patterns);
    populateMovementPatterns(converter, patterns);
    populateAttentionPatterns(converter, patterns);
    populateSelectionPatterns(converter, patterns);
    patterns.add<FailLowering>(converter, ctx);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                   converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    populateCallOpTypeConversionPattern(patterns, converter);

    ConversionTarget target(*ctx);
    target.addLegalDialect<arith::ArithDialect, bufferization::BufferizationDialect,
                           linalg::LinalgDialect, LLVM::LLVMDialect,
                           math::MathDialect, memref::MemRefDialect,
                           scf::SCFDialect, tensor::TensorDialect>();
    target.addIllegalDialect<qc::QCDialect>();
    target.addIllegalOp<quant::StorageCastOp>();
    target.addLegalOp<qc::MicrokernelOp>();
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp op) {
      return converter.isSignatureLegal(op.getFunctionType()) &&
             converter.isLegal(&op.getBody());
    });
    target.addDynamicallyLegalOp<func::ReturnOp, func::CallOp>(
        [&](Operation *op) { return converter.isLegal(op); });
    target.addLegalOp<ModuleOp>();
    if (microkernels) {
      target.addDynamicallyLegalOp<qc::QConvOp, qc::QMatMulOp>(
          [](Operation *op) { return isFusedIntoMicrokernel(op); });
      target.addDynamicallyLegalOp<qc::ConvOp, qc::SigmoidOp, qc::MulOp, qc::AddOp, qc::SubOp,
                                   qc::ReluOp, qc::HardSwishOp>(
          [floats, suffix = std::string(kernelSuffix)](Operation *op) {
            return isFusedIntoConvEpilogue(op, floats, suffix);
          });
    }
    // Branches and loops keep their structure; quantized values they carry
    // become their storage integers like any other.
    scf::populateSCFStructuralTypeConversionsAndLegality(converter, patterns, target);
    if (failed(applyFullConversion(module, target, std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
