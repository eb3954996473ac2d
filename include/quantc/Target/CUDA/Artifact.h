//===- Artifact.h - CUDA code generation and packaging ----------*- C++ -*-===//
//
// The CUDA back end: the qc-gpu-codegen pipeline (qc → gpu/NVVM kernels
// serialized to a cubin/fatbin embedded in host LLVM code) and the link of
// the host object with quantc's CUDA runtime into a shared library that the
// same C runtime API loads and runs.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_TARGET_CUDA_ARTIFACT_H
#define QUANTC_TARGET_CUDA_ARTIFACT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

namespace quantc {

struct CUDATargetOptions {
  /// The GPU architecture: sm_80, sm_86, sm_89, sm_90, sm_90a, ...
  std::string chip = "sm_80";
  /// What gpu-module-to-binary embeds: fatbin (cubin + PTX for later GPUs),
  /// bin (cubin only) or isa (PTX text, compiled by the driver at load).
  std::string format = "fatbin";
  /// The CUDA toolkit providing ptxas, fatbinary and libdevice.
  std::string toolkit = "/usr/local/cuda";
  /// Threads per block of the element-wise and loop kernels.
  int64_t blockSize = 256;
};

/// Whether `chip` names an NVIDIA architecture the toolkit targets
/// (sm_XY with XY >= 80, optionally with an `a` suffix).
bool isSupportedGPUArch(llvm::StringRef chip);

/// Adds the dialects, interfaces and LLVM IR translations the GPU code
/// generation (and gpu-module-to-binary) needs.
void registerCUDACodegenDialects(mlir::DialectRegistry &registry);

/// qc (after qc-fold-scales) → host LLVM dialect with the kernels embedded
/// as a gpu.binary and the artifact entry point.
void buildCUDACodegenPipeline(mlir::OpPassManager &pm,
                              const CUDATargetOptions &options);
/// Registers `qc-gpu-codegen{chip=... format=... toolkit=... block-size=...}`.
void registerCUDACodegenPipeline();

/// Writes the object (cubin, fatbin or PTX) of the gpu.binary `name` (the
/// first when empty) of a module lowered by qc-gpu-codegen.
mlir::LogicalResult emitGPUBinary(mlir::ModuleOp module, llvm::StringRef name,
                                  llvm::raw_ostream &os);

/// Compiles a quantized (or float) qc module into `outputPath`, a shared
/// library holding the host code and the kernels' binary, with `<stem>.h`
/// and `<stem>.json` beside it. Fills `error` on failure, leaving no
/// library behind.
mlir::LogicalResult writeCUDAArtifact(mlir::ModuleOp module,
                                      llvm::StringRef outputPath,
                                      const CUDATargetOptions &options,
                                      std::string &error);

} // namespace quantc

#endif // QUANTC_TARGET_CUDA_ARTIFACT_H
