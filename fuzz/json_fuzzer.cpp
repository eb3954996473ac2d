//===- json_fuzzer.cpp - libFuzzer target on quantc's JSON readers --------===//
//
// The bytes as each JSON file quantc reads: calibration statistics
// (--stats), precision overrides (--overrides), the mixed-precision cost
// table (--cost-table) and sensitivity cache, and an artifact's manifest
// (the runtime's check before loading a library).
//
//===----------------------------------------------------------------------===//
#include "FuzzInput.h"
#include "quantc/Calibration/Statistics.h"
#include "quantc/Dialect/QC/QCDialect.h"

#include "CostTable.h"
#include "PrecisionRules.h"
#include "RuntimeInternal.h"
#include "Sensitivity.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/MLIRContext.h"

#include <fstream>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::MLIRContext context;
  static bool quiet = [] {
    context.loadDialect<quantc::qc::QCDialect>();
    context.getDiagEngine().registerHandler([](mlir::Diagnostic &) {});
    return true;
  }();
  (void)quiet;
  std::string path = quantc::fuzz::writeInput(data, size, ".json");

  llvm::consumeError(quantc::calibration::readStatistics(path).takeError());
  std::string error;
  (void)quantc::qc::readRules(&context, path, error);
  quantc::CostTable costs;
  (void)costs.load(path, mlir::UnknownLoc::get(&context));
  quantc::qc::SensitivityCache cache(path, "fingerprint");
  (void)cache.lookup("layer|i8");

  // The manifest beside a small library file.
  std::string library = "/tmp/quantc-fuzz-" + std::to_string(getpid()) + ".so";
  std::ofstream(library) << "not really a library";
  std::string manifest = library.substr(0, library.size() - 3) + ".json";
  std::rename(path.c_str(), manifest.c_str());
  int fd = quantc::runtime::openVerifiedLibrary(library);
  if (fd >= 0)
    close(fd);
  return 0;
}
