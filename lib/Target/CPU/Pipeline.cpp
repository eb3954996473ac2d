//===- Pipeline.cpp - the qc-cpu-codegen pipeline ---------------*- C++ -*-===//
//
// qc → linalg on tensors → one-shot bufferization (outputs written straight
// into the caller's buffers) → microkernel calls and loops → LLVM dialect,
// then the artifact entry point. Upstream passes do most of the work.
//
//===----------------------------------------------------------------------===//
#include "quantc/Conversion/Passes.h"
#include "quantc/Target/CPU/Artifact.h"
#include "quantc/Target/CPU/TargetCPU.h"
#include "quantc/Transforms/Passes.h"
#include "quantc/Transforms/Pipelines.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace quantc;

std::string quantc::getKernelSuffix(StringRef targetCPU) {
  std::string error;
  FailureOr<CPUTarget> target = resolveCPUTarget(targetCPU, error);
  return succeeded(target) ? target->kernelSuffix : "generic";
}

void quantc::registerCPUCodegenDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
}

void quantc::buildLinalgToBuffersPipeline(OpPassManager &pm,
                                          const ConvertQCToLinalgOptions &lowering,
                                          bool forCPU) {
  pm.addPass(createConvertQCToLinalg(lowering));
  // Everything between is upstream. Outputs bufferize straight into the
  // caller's buffers (out-params with hoisted allocations).
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createQCDeduplicateConstants());
  QCFuseElementwiseOptions fusion;
  fusion.isolateLookups = forCPU;
  pm.addPass(createQCFuseElementwise(fusion));
  if (forCPU) {
    // CPU loops vectorize best over whole tensors.
    pm.addPass(createQCFlattenElementwise());
    // A concatenation's producers write into their slices of it.
    pm.addPass(createQCConcatInPlace());
  }
  // Ops whose results are inserted into a larger tensor (concat, padding)
  // write straight into its slice instead of a temporary that is copied.
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  // A loop's carried tensors are new buffers in each iteration (the
  // deallocation pipeline frees the previous one).
  bufferize.allowReturnAllocsFromLoops = true;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  if (forCPU)
    pm.addPass(createQCEraseSelfCopies());
  // Folds a flattened result's expand_shape(collapse_shape(alloc)) back to
  // the allocation, which out-params can then hoist into the caller's buffer
  // instead of copying it there.
  pm.addPass(createCanonicalizerPass());
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.modifyPublicFunctions = true;
  outParams.hoistStaticAllocs = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  pm.addPass(createCanonicalizerPass());
  bufferization::buildBufferDeallocationPipeline(pm);
  // Freeing the several buffers a branch or loop may own calls a generic
  // helper on dynamic memrefs, which the bare-pointer calling convention
  // cannot express: it is inlined.
  pm.addPass(createInlinerPass());
  pm.addPass(createSymbolDCEPass());
}

bool quantc::isFloatMode(StringRef floatMode) {
  return floatMode == "exact" || floatMode == "fast";
}

/// How the target multiplies bf16 pairs into f32 sums faster than f32 FMA:
/// on AMX-BF16 tiles, or with AVX-512 BF16 (twice the products per cycle),
/// which the fast float mode's bf16 kernels run on (quantc_bconv_tiles).
enum class BF16Products { None, Vectors, Tiles };

static BF16Products getBF16Products(StringRef targetCPU) {
  std::string error;
  FailureOr<CPUTarget> target = resolveCPUTarget(targetCPU, error);
  if (failed(target))
    return BF16Products::None;
  if (llvm::is_contained(target->enabled, "amx-bf16"))
    return BF16Products::Tiles;
  return llvm::is_contained(target->enabled, "avx512bf16") ? BF16Products::Vectors
                                                           : BF16Products::None;
}

/// The layers qc-fast-float narrows for `products`. A tile pads a layer's
/// reduction to 32 steps, so layers under 16 stay f32 there (the pass's
/// default); the AVX-512 BF16 kernels pad it to a pair only, and layers
/// from 8 steps gain (on AMD Zen 4, ppocr-det's 12-to-96 layers: 2 %;
/// ppocr-cls's 8-channel ones: 3 %), while 6 steps on one pixel (a
/// squeeze-and-excitation layer) lose to the f32 kernel. Layers under 16
/// outputs per group stay f32 on both: narrowing ppocr-cls's 8- to
/// 12-output layers raised its error against the float model from 0.07 %
/// to 1.4 %.
static QCFastFloatOptions getNarrowing(BF16Products products) {
  QCFastFloatOptions narrowing;
  if (products == BF16Products::Vectors)
    narrowing.minReduction = 8;
  return narrowing;
}

void quantc::buildCPUPreparePipeline(OpPassManager &pm, const CPUTargetOptions &options) {
  if (options.floatMode != "fast" || !options.microkernels)
    return;
  // Transposed convolutions as convolutions, which the convolution kernels
  // run (and qc-fast-float narrows): in the exact mode they keep the
  // evaluator's order of sums instead.
  pm.addPass(createQCDecomposeConvTranspose());
  if (BF16Products products = getBF16Products(options.targetCPU);
      products != BF16Products::None)
    pm.addNestedPass<func::FuncOp>(createQCFastFloat(getNarrowing(products)));
}

void quantc::buildCPULoweringPipeline(OpPassManager &pm, const CPUTargetOptions &options) {
  ConvertQCToLinalgOptions lowering;
  lowering.microkernels = options.microkernels;
  lowering.kernelSuffix = getKernelSuffix(options.targetCPU);
  lowering.floatMode = options.floatMode;
  lowering.bf16Tiles = getBF16Products(options.targetCPU) != BF16Products::None;
  // 8-bit rescales become byte lookups (a permute per 64 values).
  pm.addPass(createQCTabulateRequantize());
  // Lookups apart: the loops around them vectorize.
  buildLinalgToBuffersPipeline(pm, lowering, /*forCPU=*/true);
  if (options.floatMode == "fast") {
    pm.addPass(createQCApproximateMath());
    pm.addPass(createQCReassociateReductions());
  }
  pm.addPass(createQCLowerMicrokernels());
  // Long loops vectorize along them, not across rows. An op that updates
  // a buffer in place must read and write one view of it: two equal views
  // reach LLVM as two pointers that may overlap, and it leaves the loop
  // scalar.
  pm.addNestedPass<func::FuncOp>(createQCCollapseLoops());
  pm.addNestedPass<func::FuncOp>(createCSEPass());
  // Large loops run over the run's threads, as the microkernels do.
  pm.addPass(createQCParallelizeLoops());
  pm.addNestedPass<func::FuncOp>(createQCReductionLoops());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  // log1p must stay log1p (libm): log(1 + x) loses small x.
  ConvertMathToLLVMPassOptions mathToLLVM;
  mathToLLVM.approximateLog1p = false;
  pm.addPass(createConvertMathToLLVMPass(mathToLLVM));
  pm.addPass(createConvertMathToLibmPass());
  // Minimum and maximum stay whole for LLVM (its intrinsics' reductions
  // vectorize); only divisions LLVM lacks are expanded.
  pm.addPass(createQCExpandDivisions());
  pm.addPass(createArithToLLVMConversionPass());
  // Allocations go to the kernel runtime's pool (lib/Runtime/Kernels/Memory.cpp).
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  ConvertFuncToLLVMPassOptions funcToLLVM;
  funcToLLVM.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcToLLVM));
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createQCCPUEntryPoint());
}

void quantc::buildCPUCodegenPipeline(OpPassManager &pm, const CPUTargetOptions &options) {
  buildCPUPreparePipeline(pm, options);
  buildCPULoweringPipeline(pm, options);
}

namespace {
struct CPUCodegenOptions : PassPipelineOptions<CPUCodegenOptions> {
  Option<std::string> targetCPU{*this, "target-cpu",
                                llvm::cl::desc("host, an LLVM CPU name (znver4, "
                                               "sapphirerapids, x86-64-v3, ...) "
                                               "and/or +feature,-feature"),
                                llvm::cl::init("host")};
  Option<bool> microkernels{
      *this, "microkernels",
      llvm::cl::desc("Integer layers call the runtime microkernels"),
      llvm::cl::init(true)};
  Option<std::string> floatMode{
      *this, "float-mode",
      llvm::cl::desc("exact (float layers as the evaluator computes them) or "
                     "fast (FMA, reordered sums, polynomial math, transposed "
                     "convolutions as convolutions, bf16 layers on AMX-BF16 "
                     "and AVX-512 BF16 targets)"),
      llvm::cl::init("exact")};
};
} // namespace

namespace {
/// qc-cpu-pipeline: the driver's whole compile as one named pipeline.
struct CPUPipelineOptions : PassPipelineOptions<CPUPipelineOptions> {
  ListOption<std::string> data{*this, "data",
                               llvm::cl::desc("Calibration .npz files or "
                                              "directories (none: float)")};
  Option<std::string> estimator{*this, "estimator",
                                llvm::cl::desc("Range estimator"),
                                llvm::cl::init("minmax")};
  Option<std::string> activation{*this, "activation",
                                 llvm::cl::desc("Activation precision"),
                                 llvm::cl::init("i8")};
  Option<std::string> weight{*this, "weight", llvm::cl::desc("Weight precision"),
                             llvm::cl::init("i8")};
  Option<std::string> scope{*this, "scope", llvm::cl::desc("layers or all"),
                            llvm::cl::init("all")};
  Option<std::string> rounding{*this, "rounding",
                               llvm::cl::desc("Requantization rounding"),
                               llvm::cl::init("half_to_even")};
  Option<std::string> targetCPU{*this, "target-cpu",
                                llvm::cl::desc("host, an LLVM CPU name "
                                               "and/or +feature,-feature"),
                                llvm::cl::init("host")};
  Option<std::string> floatMode{*this, "float-mode",
                                llvm::cl::desc("exact or fast (see qc-cpu-codegen)"),
                                llvm::cl::init("exact")};
};
} // namespace

void quantc::registerCPUCodegenPipeline() {
  PassPipelineRegistration<CPUPipelineOptions>(
      "qc-cpu-pipeline",
      "Simplify, calibrate, quantize, fold scales (with data) and lower to "
      "the LLVM dialect of a CPU artifact",
      [](OpPassManager &pm, const CPUPipelineOptions &o) {
        if (o.data.empty()) {
          pm.addPass(createQCSimplify());
        } else {
          QuantizePipelineOptions quantize;
          quantize.data = o.data;
          quantize.estimator = o.estimator;
          quantize.activation = o.activation;
          quantize.weight = o.weight;
          quantize.scope = o.scope;
          quantize.rounding = o.rounding;
          buildQuantizePipeline(pm, quantize);
        }
        CPUTargetOptions options;
        options.targetCPU = o.targetCPU;
        options.floatMode = o.floatMode;
        buildCPUCodegenPipeline(pm, options);
      });
  PassPipelineRegistration<CPUCodegenOptions>(
      "qc-cpu-codegen",
      "Lower folded qc IR to the LLVM dialect of a CPU artifact",
      [](OpPassManager &pm, const CPUCodegenOptions &o) {
        CPUTargetOptions options;
        options.targetCPU = o.targetCPU;
        options.microkernels = o.microkernels;
        options.floatMode = o.floatMode;
        buildCPUCodegenPipeline(pm, options);
      });
}
