//===- Pipeline.cpp - the qc-gpu-codegen pipeline ---------------*- C++ -*-===//
//
// qc → linalg on tensors (8-bit layers as tensor-core contractions) →
// one-shot bufferization → convert-qc-to-gpu (every computation a launch,
// every buffer device memory) → outlined kernels lowered through NVVM and
// serialized by the CUDA toolkit → host code calling the mgpu* entry points
// of quantc's CUDA runtime, then the artifact entry point. Beyond our two
// passes, everything is upstream.
//
//===----------------------------------------------------------------------===//
#include "quantc/Target/CUDA/Artifact.h"
#include "quantc/Conversion/Passes.h"
#include "quantc/Target/CPU/Artifact.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace quantc;

bool quantc::isSupportedGPUArch(StringRef chip) {
  if (!chip.consume_front("sm_"))
    return false;
  chip.consume_back("a");
  unsigned version;
  return !chip.getAsInteger(10, version) && version >= 80;
}

void quantc::registerCUDACodegenDialects(DialectRegistry &registry) {
  registerCPUCodegenDialects(registry);
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerAllToLLVMIRTranslations(registry);
}

namespace {
/// The PTX ISA version the chip needs (8.0 up to Hopper, 8.6 for Blackwell).
std::string ptxFeatures(StringRef chip) {
  unsigned version = 0;
  chip.drop_front(3).take_while(llvm::isDigit).getAsInteger(10, version);
  return version >= 100 ? "+ptx86" : "+ptx80";
}
} // namespace

void quantc::buildCUDACodegenPipeline(OpPassManager &pm,
                                      const CUDATargetOptions &options) {
  ConvertQCToLinalgOptions lowering;
  lowering.tensorCores = true;
  // GPUs gather well: lookups fuse with the rest.
  buildLinalgToBuffersPipeline(pm, lowering, /*forCPU=*/false);

  ConvertQCToGPUOptions toGPU;
  toGPU.blockSize = options.blockSize;
  pm.addPass(createConvertQCToGPU(toGPU));
  pm.addPass(createGpuKernelOutliningPass());
  // One stream per run: launches and allocations are queued without
  // waiting, and the run synchronizes once at its end.
  pm.addNestedPass<func::FuncOp>(createGpuAsyncRegionPass());
  // The host's copies of the weights are dead now.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createSymbolDCEPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());

  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(createConvertGpuOpsToNVVMOps());
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createCSEPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());

  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features = ptxFeatures(options.chip);
  target.optLevel = 3;
  pm.addPass(createGpuNVVMAttachTarget(target));
  // Host memrefs keep descriptors: the kernels take them (their operands
  // include strided views), and qc-cpu-entry-point builds them.
  pm.addPass(createGpuToLLVMConversionPass());
  GpuModuleToBinaryPassOptions binary;
  binary.toolkitPath = options.toolkit;
  binary.compilationTarget = options.format;
  pm.addPass(createGpuModuleToBinaryPass(binary));
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createQCCPUEntryPoint());
}

namespace {
struct GPUCodegenOptions : PassPipelineOptions<GPUCodegenOptions> {
  Option<std::string> chip{*this, "chip",
                           llvm::cl::desc("GPU architecture (sm_80, sm_90, ...)"),
                           llvm::cl::init("sm_80")};
  Option<std::string> format{
      *this, "format",
      llvm::cl::desc("Kernel binary: fatbin, bin (cubin) or isa (PTX)"),
      llvm::cl::init("fatbin")};
  Option<std::string> toolkit{*this, "toolkit",
                              llvm::cl::desc("CUDA toolkit directory"),
                              llvm::cl::init("/usr/local/cuda")};
  Option<int64_t> blockSize{*this, "block-size",
                            llvm::cl::desc("Threads per block of loop kernels"),
                            llvm::cl::init(256)};
};
} // namespace

void quantc::registerCUDACodegenPipeline() {
  PassPipelineRegistration<GPUCodegenOptions>(
      "qc-gpu-codegen",
      "Lower folded qc IR to CUDA kernels (serialized by the toolkit) and the "
      "LLVM dialect of their host code",
      [](OpPassManager &pm, const GPUCodegenOptions &o) {
        CUDATargetOptions options;
        options.chip = o.chip;
        options.format = o.format;
        options.toolkit = o.toolkit;
        options.blockSize = o.blockSize;
        buildCUDACodegenPipeline(pm, options);
      });
}
