//===- quant-opt.cpp - mlir-opt with qc, reading ONNX too -------*- C++ -*-===//
//
// Behaves as mlir-opt with the qc dialect and passes plus every upstream
// dialect, pass and extension. An `.onnx` or `.onnxtxt` input is imported
// first, then processed like any other module.
//
//===----------------------------------------------------------------------===//
#include "quantc/Conversion/Passes.h"
#include "quantc/Dialect/QC/QCDialect.h"
#include "quantc/Target/CPU/Artifact.h"
#include "quantc/Target/CUDA/Artifact.h"
#include "quantc/Import/ONNXImporter.h"
#include "quantc/Transforms/Passes.h"
#include "quantc/Transforms/Pipelines.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;

static llvm::cl::list<std::string> inputShapes(
    "input-shape",
    llvm::cl::desc("Bind an ONNX graph input's shape: NAME=D0xD1x... "
                   "(repeatable)"),
    llvm::cl::value_desc("name=shape"));

static llvm::cl::list<std::string> bindInputs(
    "bind-inputs",
    llvm::cl::desc("Fix ONNX graph inputs to the arrays of this .npz file: they "
                   "import as constants (repeatable)"),
    llvm::cl::value_desc("file.npz"));

static llvm::cl::opt<bool> listONNXOps(
    "list-onnx-ops",
    llvm::cl::desc("Print the ONNX ops the importer imports or declines (with the "
                   "reason), one per line, and exit"));

/// Imports the ONNX model and serializes it as bytecode for MlirOptMain.
static std::unique_ptr<llvm::MemoryBuffer>
importToBuffer(StringRef path, DialectRegistry &registry) {
  quantc::ONNXImportOptions options;
  for (const std::string &spec : inputShapes) {
    std::string error;
    if (failed(quantc::parseInputShapeSpec(spec, options, error))) {
      llvm::errs() << "error: --input-shape: " << error << "\n";
      return nullptr;
    }
  }
  MLIRContext context(registry);
  // Errors print as MLIR prints them by default; warnings (a branch that
  // fails at run time, say) print the same way.
  ScopedDiagnosticHandler warnings(&context, [](Diagnostic &diag) {
    if (diag.getSeverity() != DiagnosticSeverity::Warning)
      return failure();
    llvm::errs() << diag.getLocation() << ": warning: " << diag << "\n";
    return success();
  });
  std::string error;
  if (failed(quantc::readInputValues(bindInputs, &context, options, error))) {
    llvm::errs() << "error: --bind-inputs: " << error << "\n";
    return nullptr;
  }
  OwningOpRef<ModuleOp> module = quantc::importONNXFile(path, &context, options);
  if (!module)
    return nullptr;
  std::string bytes;
  llvm::raw_string_ostream os(bytes);
  if (failed(writeBytecodeToFile(*module, os)))
    return nullptr;
  return llvm::MemoryBuffer::getMemBufferCopy(bytes, path);
}

int main(int argc, char **argv) {
  llvm::InitLLVM y(argc, argv);
  registerAllPasses();
  quantc::registerQCPasses();
  quantc::registerQCConversionPasses();
  quantc::registerCPUCodegenPipeline();
  quantc::registerCUDACodegenPipeline();
  quantc::registerQCPipelines();
  DialectRegistry registry;
  quantc::registerCUDACodegenDialects(registry);
  registry.insert<quantc::qc::QCDialect>();

  auto [inputFile, outputFile] = registerAndParseCLIOptions(
      argc, argv, "quantc optimizer driver (accepts .mlir, .onnx, .onnxtxt)\n",
      registry);
  if (listONNXOps) {
    quantc::printONNXOpSupport(llvm::outs());
    return 0;
  }
  if (!quantc::isONNXFile(inputFile))
    return asMainReturnCode(
        MlirOptMain(argc, argv, inputFile, outputFile, registry));

  std::unique_ptr<llvm::MemoryBuffer> buffer = importToBuffer(inputFile, registry);
  if (!buffer)
    return 1;
  std::string error;
  auto output = openOutputFile(outputFile, &error);
  if (!output) {
    llvm::errs() << error << "\n";
    return 1;
  }
  if (failed(MlirOptMain(output->os(), std::move(buffer), registry,
                         MlirOptMainConfig::createFromCLOptions())))
    return 1;
  output->keep();
  return 0;
}
