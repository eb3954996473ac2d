//===- Pipelines.cpp - quantc's pass pipelines ------------------*- C++ -*-===//
#include "quantc/Transforms/Pipelines.h"
#include "quantc/Transforms/Passes.h"

#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

void quantc::buildQuantizePipeline(OpPassManager &pm,
                                   const QuantizePipelineOptions &options) {
  pm.addPass(createQCSimplify());
  QCCalibrateOptions calibrate;
  calibrate.data.assign(options.data.begin(), options.data.end());
  calibrate.statisticsIn = options.statisticsIn;
  calibrate.estimator = options.estimator;
  pm.addPass(createQCCalibrate(calibrate));
  if (options.assignsPrecision()) {
    QCAssignPrecisionOptions assign;
    assign.data.assign(options.data.begin(), options.data.end());
    assign.bitsPerWeight = options.bitsPerWeight;
    assign.latencyUs = options.latencyUs;
    assign.maxError = options.maxError;
    assign.candidates.assign(options.candidates.begin(), options.candidates.end());
    assign.signal = options.signal;
    assign.costTable = options.costTable;
    assign.cache = options.sensitivityCache;
    assign.pareto = options.pareto;
    pm.addPass(createQCAssignPrecision(assign));
  }
  QCQuantizeOptions quantize;
  quantize.activation = options.activation;
  quantize.weight = options.weight;
  quantize.granularity = options.granularity;
  quantize.scheme = options.scheme;
  quantize.groupSize = options.groupSize;
  quantize.scope = options.scope;
  quantize.overrides = options.overrides;
  pm.addPass(createQCQuantize(quantize));
  QCFoldScalesOptions fold;
  fold.rounding = options.rounding;
  pm.addPass(createQCFoldScales(fold));
}

void quantc::registerQCPipelines() {
  PassPipelineRegistration<QuantizePipelineOptions>(
      "qc-quantize-pipeline",
      "Simplify, calibrate, quantize and fold scales: a float model in, its "
      "integer graph out",
      buildQuantizePipeline);
}
