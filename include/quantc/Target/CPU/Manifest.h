//===- Manifest.h - the JSON manifest of an artifact ------------*- C++ -*-===//
#ifndef QUANTC_TARGET_CPU_MANIFEST_H
#define QUANTC_TARGET_CPU_MANIFEST_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/JSON.h"

namespace quantc {
/// Describes a quantized (or float) qc module before code generation: its
/// inputs and outputs (name, element type, shape, scale and zero point of
/// quantized ones), the float mode, and every layer with its precision.
llvm::json::Value buildManifest(mlir::ModuleOp module, llvm::StringRef targetCPU,
                                llvm::StringRef floatMode = "exact");

/// Records in `manifest` what the runtime checks before it loads the
/// library at `libraryPath`: its size and hash, and the CPU features its
/// code (compiled for `targetCPU`) needs.
mlir::LogicalResult recordLibrary(llvm::json::Object &manifest,
                                  llvm::StringRef libraryPath,
                                  llvm::StringRef targetCPU, std::string &error);
} // namespace quantc

#endif // QUANTC_TARGET_CPU_MANIFEST_H
