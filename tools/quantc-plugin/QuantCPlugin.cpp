//===- QuantCPlugin.cpp - qc dialect and passes for stock mlir-opt -*- C++ -*-===//
//
// One shared library that is both a dialect plugin and a pass plugin:
//
//   mlir-opt-22 --load-dialect-plugin=QuantCPlugin.so \
//               --load-pass-plugin=QuantCPlugin.so \
//               --pass-pipeline='builtin.module(qc-calibrate{data=c.npz},
//                                qc-quantize,qc-fold-scales)' model.mlir
//
//===----------------------------------------------------------------------===//
#include "quantc/Conversion/Passes.h"
#include "quantc/Dialect/QC/QCDialect.h"
#include "quantc/Target/CPU/Artifact.h"
#include "quantc/Transforms/Passes.h"
#include "quantc/Transforms/Pipelines.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"

using namespace mlir;

extern "C" LLVM_ATTRIBUTE_WEAK DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "QuantC", LLVM_VERSION_STRING,
          [](DialectRegistry *registry) {
            registry->insert<quantc::qc::QCDialect, quant::QuantDialect,
                             func::FuncDialect>();
          }};
}

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "QuantC", LLVM_VERSION_STRING, [] {
            quantc::registerQCPasses();
            quantc::registerQCPipelines();
            quantc::registerQCConversionPasses();
            quantc::registerCPUCodegenPipeline();
          }};
}
