//===- npz_fuzzer.cpp - libFuzzer target on .npy / .npz readers -----------===//
//
// The bytes as one .npy buffer, and as an .npz archive on disk (libzip, then
// each member's .npy): calibration data and quant-run inputs come from users.
//
//===----------------------------------------------------------------------===//
#include "FuzzInput.h"
#include "quantc/Reference/Npz.h"

#include "mlir/IR/MLIRContext.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::MLIRContext context;
  llvm::StringRef buffer(reinterpret_cast<const char *>(data), size);
  for (bool keepFloatTypes : {false, true}) {
    llvm::consumeError(
        quantc::reference::parseNpy(&context, buffer, "fuzz.npy", keepFloatTypes)
            .takeError());
    std::string path = quantc::fuzz::writeInput(data, size, ".npz");
    llvm::consumeError(
        quantc::reference::readNpz(&context, path, keepFloatTypes).takeError());
  }
  return 0;
}
