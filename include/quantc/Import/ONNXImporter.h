//===- ONNXImporter.h - ONNX to qc ------------------------------*- C++ -*-===//
#ifndef QUANTC_IMPORT_ONNXIMPORTER_H
#define QUANTC_IMPORT_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/SourceMgr.h"

namespace quantc {

struct ONNXImportOptions {
  /// Static shapes for graph inputs with dynamic dimensions, by input name.
  llvm::StringMap<llvm::SmallVector<int64_t>> inputShapes;
};

/// Parses an `--input-shape` value `name=1x3x224x224` into `options`.
llvm::LogicalResult parseInputShapeSpec(llvm::StringRef spec,
                                        ONNXImportOptions &options,
                                        std::string &error);

/// Whether `path` names an ONNX model (binary `.onnx` or ONNX text
/// `.onnxtxt`).
bool isONNXFile(llvm::StringRef path);

/// Imports a binary or text ONNX model into a module with one `func.func
/// @main` of qc ops. Emits diagnostics naming the file or node and returns
/// null on failure.
mlir::OwningOpRef<mlir::ModuleOp>
importONNXFile(llvm::StringRef path, mlir::MLIRContext *context,
               const ONNXImportOptions &options = {});

/// Loads a model for the tools: ONNX (binary or text, with `--input-shape`
/// specs binding dynamic dimensions) or MLIR (text or bytecode). Reports
/// errors (a bad spec, a bad file) and returns null on failure.
mlir::OwningOpRef<mlir::ModuleOp>
loadModelFile(llvm::StringRef path, mlir::MLIRContext *context,
              llvm::SourceMgr &sourceMgr,
              llvm::ArrayRef<std::string> inputShapeSpecs);

/// Imports a model held in memory (binary protobuf when `isText` is false).
mlir::OwningOpRef<mlir::ModuleOp>
importONNXBuffer(llvm::StringRef buffer, bool isText, llvm::StringRef name,
                 mlir::MLIRContext *context,
                 const ONNXImportOptions &options = {});

} // namespace quantc

#endif // QUANTC_IMPORT_ONNXIMPORTER_H
