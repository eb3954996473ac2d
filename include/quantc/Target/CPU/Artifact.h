//===- Artifact.h - CPU code generation and packaging -----------*- C++ -*-===//
//
// The CPU back end: the qc-cpu-codegen pipeline (qc → LLVM dialect), object
// emission through LLVM's target machine, the C header of a model, and the
// link of the object with the kernel runtime into a shared library.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_TARGET_CPU_ARTIFACT_H
#define QUANTC_TARGET_CPU_ARTIFACT_H

#include "quantc/Conversion/Passes.h"
#include "quantc/Runtime/QuantCRuntime.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/JSON.h"

namespace quantc {

/// Symbols every artifact exports (see QuantCRuntime.h for their use).
inline constexpr llvm::StringLiteral kRunSymbol = "quantc_artifact_run";
inline constexpr llvm::StringLiteral kSignatureSymbol =
    "quantc_artifact_signature";
inline constexpr llvm::StringLiteral kNamesSymbol = "quantc_artifact_names";
inline constexpr llvm::StringLiteral kSetThreadsSymbol =
    "quantc_artifact_set_num_threads";

/// The qc_element_type code of a boundary tensor's element type.
llvm::FailureOr<int64_t> getElementCode(mlir::Type element);

struct CPUTargetOptions {
  /// What --target-cpu says: host, an LLVM CPU name and/or feature changes
  /// (resolveCPUTarget in TargetCPU.h).
  std::string targetCPU = "host";
  /// Integer layers call the runtime's microkernels (else: linalg loops).
  bool microkernels = true;
  /// exact: float layers compute as the reference evaluator does, bit for
  /// bit. fast: their kernels may use FMA and reorder sums, math functions
  /// are polynomial, and (targets with AMX-BF16 or AVX-512 BF16) layers
  /// with constant weights run on bf16 operands (qc-fast-float).
  std::string floatMode = "exact";
};

/// Whether `floatMode` is a float mode (exact or fast).
bool isFloatMode(llvm::StringRef floatMode);

/// The microkernel variant a --target-cpu value runs: avx512vnni, avx2 or
/// generic (generic for a value that does not resolve; code generation
/// reports it).
std::string getKernelSuffix(llvm::StringRef targetCPU);

/// Adds what code generation needs to a registry: the upstream dialects it
/// lowers through, their bufferization and LLVM-conversion interfaces, and
/// LLVM IR translations (tools that register everything need not call it).
void registerCPUCodegenDialects(mlir::DialectRegistry &registry);

/// The part both back ends share: convert-qc-to-linalg with `lowering`,
/// element-wise fusion, one-shot bufferization with outputs written into
/// the caller's buffers, and deallocation. `forCPU` adds what CPU loops
/// want: table lookups kept out of fused loops (qc-fuse-elementwise's
/// isolate-lookups), element-wise loops over whole tensors, and
/// concatenations whose inputs are written in place (qc-concat-in-place;
/// the GPU lowering is not checked on producers that write into slices).
void buildLinalgToBuffersPipeline(mlir::OpPassManager &pm,
                                  const ConvertQCToLinalgOptions &lowering, bool forCPU);

/// What code generation changes in the model's arithmetic before lowering
/// it, and the manifest describes: in the fast float mode, transposed
/// convolutions as convolutions (qc-decompose-conv-transpose) and the bf16
/// layers (qc-fast-float).
void buildCPUPreparePipeline(mlir::OpPassManager &pm, const CPUTargetOptions &options);
/// The prepared qc module → LLVM dialect with the artifact entry point.
void buildCPULoweringPipeline(mlir::OpPassManager &pm, const CPUTargetOptions &options);
/// qc (after qc-fold-scales) → LLVM dialect: both of the above.
void buildCPUCodegenPipeline(mlir::OpPassManager &pm,
                             const CPUTargetOptions &options);
/// Registers `qc-cpu-codegen{target-cpu=... microkernels=... float-mode=...}`.
void registerCPUCodegenPipeline();

/// LLVM IR / an object file for an LLVM-dialect module.
mlir::LogicalResult emitLLVMIR(mlir::ModuleOp module, llvm::raw_ostream &os);
/// `runSymbol` other than quantc_artifact_run makes it one variant of a
/// library with several: that names its entry point, and everything else it
/// defines becomes internal.
mlir::LogicalResult emitObjectFile(mlir::ModuleOp module,
                                   llvm::StringRef targetCPU,
                                   llvm::StringRef path,
                                   llvm::StringRef runSymbol = kRunSymbol);
/// The C header declaring a model's tensors (from `qc.signature`).
mlir::LogicalResult emitHeader(mlir::ModuleOp module, llvm::StringRef modelName,
                               llvm::raw_ostream &os);
/// Links `objectPath` with the kernel runtime into the shared library
/// `outputPath`; fills `error` on failure.
mlir::LogicalResult linkSharedLibrary(llvm::StringRef objectPath,
                                      llvm::StringRef outputPath,
                                      std::string &error);
/// The same with other `libraries` (archives and linker flags).
mlir::LogicalResult linkSharedLibrary(llvm::StringRef objectPath,
                                      llvm::StringRef outputPath,
                                      llvm::ArrayRef<std::string> libraries,
                                      std::string &error);
/// Several objects with the kernel runtime into one shared library.
mlir::LogicalResult linkObjects(llvm::ArrayRef<std::string> objectPaths,
                                      llvm::StringRef outputPath, std::string &error);
/// A runtime archive of quantc (`fileName`): $`envVar` when set, else found
/// in the lib directory beside our binary (build and install trees alike);
/// empty when missing.
std::string findRuntimeArchive(llvm::StringRef fileName, const char *envVar);

/// Compiles a quantized (or float) qc module into `outputPath` (a shared
/// library) with `<stem>.h` and `<stem>.json` beside it; the module is
/// lowered in place (with several targets, copies are, one per variant).
/// Fills `error` on failure, leaving no library behind.
mlir::LogicalResult writeCPUArtifact(mlir::ModuleOp module,
                                     llvm::StringRef outputPath,
                                     const CPUTargetOptions &options,
                                     std::string &error);

/// Records the linked library at `outputPath` in `manifest` (recordLibrary)
/// and writes `<stem>.json` and `<stem>.h` (from `module`'s signature)
/// beside it; removes the library on failure.
mlir::LogicalResult writeManifestAndHeader(mlir::ModuleOp module,
                                           llvm::StringRef outputPath,
                                           llvm::StringRef hostCPU,
                                           llvm::json::Object manifest,
                                           std::string &error);

/// Emits the LLVM-dialect `module` as an object for `hostCPU`, links it
/// with `libraries` (the CPU kernel runtime when empty) into `outputPath`,
/// and writes `<stem>.h` and `<stem>.json` (`manifest`) beside it.
mlir::LogicalResult writeArtifactFiles(mlir::ModuleOp module,
                                       llvm::StringRef outputPath,
                                       llvm::StringRef hostCPU,
                                       llvm::ArrayRef<std::string> libraries,
                                       const llvm::json::Value &manifest,
                                       std::string &error);

} // namespace quantc

#endif // QUANTC_TARGET_CPU_ARTIFACT_H
