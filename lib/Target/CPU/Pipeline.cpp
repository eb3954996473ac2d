//===- Pipeline.cpp - the qc-cpu-codegen pipeline ---------------*- C++ -*-===//
//
// qc → linalg on tensors → one-shot bufferization (outputs written straight
// into the caller's buffers) → loops → LLVM dialect, then the artifact entry
// point. Upstream passes do the work; only the first and last are ours.
//
//===----------------------------------------------------------------------===//
#include "quantc/Conversion/Passes.h"
#include "quantc/Target/CPU/Artifact.h"

#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace quantc;

std::string quantc::getKernelSuffix(StringRef targetCPU) {
  return llvm::StringSwitch<std::string>(targetCPU)
      .Cases({"znver4", "znver5", "sapphirerapids", "icelake-server",
              "cascadelake", "x86-64-v4"},
             "avx512vnni")
      .Cases({"x86-64-v3", "znver3", "znver2", "haswell", "skylake"}, "avx2")
      .Default("generic");
}

void quantc::buildCPUCodegenPipeline(OpPassManager &pm,
                                     const CPUTargetOptions &options) {
  ConvertQCToLinalgOptions lowering;
  lowering.microkernels = options.microkernels;
  lowering.kernelSuffix = getKernelSuffix(options.targetCPU);
  pm.addPass(createConvertQCToLinalg(lowering));
  // The stages between are upstream passes, spelled as pipelines.
  const char *bufferize =
      "canonicalize,cse,linalg-fuse-elementwise-ops,"
      "one-shot-bufferize{bufferize-function-boundaries "
      "function-boundary-type-conversion=identity-layout-map},"
      "buffer-results-to-out-params{modify-public-functions "
      "hoist-static-allocs},"
      "canonicalize,buffer-deallocation-pipeline";
  const char *toLLVM =
      "func.func(convert-linalg-to-loops),"
      "expand-strided-metadata,lower-affine,convert-scf-to-cf,"
      "convert-math-to-llvm,convert-math-to-libm,arith-expand,"
      "convert-arith-to-llvm,finalize-memref-to-llvm,"
      "convert-func-to-llvm{use-bare-ptr-memref-call-conv},"
      "convert-cf-to-llvm,convert-to-llvm,reconcile-unrealized-casts,"
      "canonicalize";
  if (failed(parsePassPipeline(bufferize, pm)))
    llvm::report_fatal_error("qc-cpu-codegen: bad bufferization pipeline");
  pm.addPass(createQCLowerMicrokernels());
  if (failed(parsePassPipeline(toLLVM, pm)))
    llvm::report_fatal_error("qc-cpu-codegen: bad LLVM lowering pipeline");
  pm.addPass(createQCCPUEntryPoint());
}

namespace {
struct CPUCodegenOptions : PassPipelineOptions<CPUCodegenOptions> {
  Option<std::string> targetCPU{*this, "target-cpu",
                                llvm::cl::desc("LLVM CPU name (znver4, "
                                               "x86-64-v3, x86-64)"),
                                llvm::cl::init("znver4")};
  Option<bool> microkernels{
      *this, "microkernels",
      llvm::cl::desc("Integer layers call the runtime microkernels"),
      llvm::cl::init(true)};
};
} // namespace

void quantc::registerCPUCodegenPipeline() {
  PassPipelineRegistration<CPUCodegenOptions>(
      "qc-cpu-codegen",
      "Lower folded qc IR to the LLVM dialect of a CPU artifact",
      [](OpPassManager &pm, const CPUCodegenOptions &o) {
        CPUTargetOptions options;
        options.targetCPU = o.targetCPU;
        options.microkernels = o.microkernels;
        buildCPUCodegenPipeline(pm, options);
      });
}
