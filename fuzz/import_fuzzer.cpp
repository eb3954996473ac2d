//===- import_fuzzer.cpp - libFuzzer target on the ONNX importer ----------===//
//
// Feeds arbitrary bytes to the binary importer (and, when the first byte is
// '<', to the text importer). Any crash, sanitizer report or leak is a bug:
// bad input must only produce diagnostics.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/QCDialect.h"
#include "quantc/Import/ONNXImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::MLIRContext context;
  context.getDiagEngine().registerHandler([](mlir::Diagnostic &) {});
  llvm::StringRef buffer(reinterpret_cast<const char *>(data), size);
  bool isText = size && data[0] == '<';
  (void)quantc::importONNXBuffer(buffer, isText, "fuzz.onnx", &context);
  return 0;
}
