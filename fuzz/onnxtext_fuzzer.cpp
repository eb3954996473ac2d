//===- onnxtext_fuzzer.cpp - libFuzzer target on ONNX text ----------------===//
//
// Every input is ONNX text syntax: the text parser, then the importer with
// its structural checks and import-time constant folding. Seeded with the
// text form of many models, mutations stay parseable far more often than
// mutations of protobuf bytes.
//
//===----------------------------------------------------------------------===//
#include "quantc/Import/ONNXImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::MLIRContext context;
  context.getDiagEngine().registerHandler([](mlir::Diagnostic &) {});
  llvm::StringRef buffer(reinterpret_cast<const char *>(data), size);
  (void)quantc::importONNXBuffer(buffer, /*isText=*/true, "fuzz.onnxtxt", &context);
  return 0;
}
