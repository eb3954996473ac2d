//===- ONNXImporter.h - ONNX to qc ------------------------------*- C++ -*-===//
#ifndef QUANTC_IMPORT_ONNXIMPORTER_H
#define QUANTC_IMPORT_ONNXIMPORTER_H

#include "quantc/Reference/Tensor.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/SourceMgr.h"

namespace quantc {

struct ONNXImportOptions {
  /// Static shapes for graph inputs with dynamic dimensions, by input name.
  llvm::StringMap<llvm::SmallVector<int64_t>> inputShapes;
  /// Shapes of the data a run will feed, by input name: they bind the
  /// dynamic dimensions of the inputs they name and are otherwise ignored
  /// (static dimensions and names that are no input are the caller's to
  /// check). `inputShapes` takes precedence.
  llvm::StringMap<llvm::SmallVector<int64_t>> dataShapes;
  /// Sizes of symbolic dimensions by their ONNX name (`dim_param`), for
  /// every input that has them (as ONNX Runtime's free dimension
  /// overrides); the shapes above take precedence.
  llvm::StringMap<int64_t> dimParams;
  /// Graph inputs fixed to these values (a specialization of the model):
  /// they import as constants and leave the function's arguments, so that
  /// what depends on them (If conditions, shapes, axes) resolves at import.
  llvm::StringMap<reference::Tensor> inputValues;
  /// Record on every op the ONNX tensor names of its results
  /// (`qc.onnx_names`), for writing the model back (exportQDQModel).
  bool recordTensorNames = false;
};

/// Parses a `--dim` value `name=4` into `options.dimParams`.
llvm::LogicalResult parseDimSpec(llvm::StringRef spec, ONNXImportOptions &options,
                                 std::string &error);

/// The sizes a decoder-with-past export is imported with to become a
/// generator step of `stepTokens` tokens: batch 1, and a past length of 1
/// as a placeholder (the generator's cache replaces it), under the
/// dimension names of Hugging Face Optimum and ONNX Runtime GenAI exports.
void addGeneratorDims(ONNXImportOptions &options, int64_t stepTokens);

/// Reads the arrays of each `--bind-inputs` .npz file into
/// `options.inputValues`.
llvm::LogicalResult readInputValues(llvm::ArrayRef<std::string> files,
                                    mlir::MLIRContext *context,
                                    ONNXImportOptions &options, std::string &error);

/// Parses an `--input-shape` value `name=1x3x224x224` into `options`.
llvm::LogicalResult parseInputShapeSpec(llvm::StringRef spec,
                                        ONNXImportOptions &options,
                                        std::string &error);

/// Writes one line per ONNX op the importer knows, sorted: `<op>\timported`
/// or `<op>\tdeclined\t<reason>`; ops of other domains as `<domain>.<op>`.
void printONNXOpSupport(llvm::raw_ostream &os);

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
/// `dataShapes` are the shapes of the arrays a run will feed (see
/// ONNXImportOptions::dataShapes).
mlir::OwningOpRef<mlir::ModuleOp>
loadModelFile(llvm::StringRef path, mlir::MLIRContext *context,
              llvm::SourceMgr &sourceMgr,
              llvm::ArrayRef<std::string> inputShapeSpecs,
              const llvm::StringMap<llvm::SmallVector<int64_t>> &dataShapes = {},
              const llvm::StringMap<int64_t> &dimParams = {},
              llvm::ArrayRef<std::string> inputValueFiles = {});

/// Imports a model held in memory (binary protobuf when `isText` is false).
mlir::OwningOpRef<mlir::ModuleOp>
importONNXBuffer(llvm::StringRef buffer, bool isText, llvm::StringRef name,
                 mlir::MLIRContext *context,
                 const ONNXImportOptions &options = {});

/// The attribute of `ONNXImportOptions::recordTensorNames`: one name per
/// result, empty for results that are no ONNX tensor.
inline constexpr llvm::StringLiteral kONNXNamesAttr = "qc.onnx_names";
/// The same for the entry-block arguments of an op's regions (a loop body's
/// carried values): one array of names per region.
inline constexpr llvm::StringLiteral kONNXArgNamesAttr = "qc.onnx_arg_names";

/// Writes the ONNX model at `originalPath` in QDQ form: a QuantizeLinear /
/// DequantizeLinear pair on every tensor that `module` quantizes, and 8-bit
/// integer initializers behind a DequantizeLinear for its quantized weights,
/// with the scales and zero points `module` chose. `module` is the model
/// imported with `recordTensorNames`, calibrated and quantized (qc-quantize,
/// before qc-fold-scales). Fails, writing nothing, on what QDQ cannot express
/// (a quantized tensor that is no ONNX tensor, storage other than 8 bits).
llvm::LogicalResult exportQDQModel(mlir::ModuleOp module,
                                   llvm::StringRef originalPath,
                                   llvm::StringRef outputPath);

} // namespace quantc

#endif // QUANTC_IMPORT_ONNXIMPORTER_H
