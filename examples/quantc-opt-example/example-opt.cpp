//===- example-opt.cpp - another compiler's opt tool with quantc ----------===//
//
// Registers quantc's dialect, passes and pipelines next to upstream MLIR's,
// exactly as a compiler that takes quantc in would.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/QCDialect.h"
#include "quantc/Transforms/Passes.h"
#include "quantc/Transforms/Pipelines.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  registry.insert<quantc::qc::QCDialect>();
  mlir::registerAllPasses();
  quantc::registerQCPasses();
  quantc::registerQCPipelines();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "quantc example optimizer\n", registry));
}
