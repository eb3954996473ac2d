//===- Pipelines.cpp - quantc's pass pipelines ------------------*- C++ -*-===//
#include "quantc/Transforms/Pipelines.h"
#include "quantc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;
using namespace quantc;

/// The qc-quantize options the pipeline's options describe.
static QCQuantizeOptions quantizeOptions(const QuantizePipelineOptions &options) {
  QCQuantizeOptions quantize;
  quantize.activation = options.activation;
  quantize.weight = options.weight;
  quantize.granularity = options.granularity;
  quantize.scheme = options.scheme;
  quantize.groupSize = options.groupSize;
  quantize.scope = options.scope;
  quantize.overrides = options.overrides;
  quantize.biasCorrection = options.biasCorrection;
  quantize.roundingSearch = options.roundingSearch;
  quantize.weightRange = options.weightRange;
  quantize.weightScheme = options.weightScheme;
  quantize.gptq = options.gptq;
  quantize.gptqActOrder = options.gptqActOrder;
  if (options.biasCorrection || options.roundingSearch || options.gptq)
    quantize.data.assign(options.data.begin(), options.data.end());
  return quantize;
}

static std::unique_ptr<Pass> createQuantize(const QuantizePipelineOptions &options) {
  return createQCQuantize(quantizeOptions(options));
}

/// qc-awq for the weights createQuantize will quantize.
std::unique_ptr<Pass> quantc::createAWQFor(const QCQuantizeOptions &quantize, bool clip) {
  QCActivationAwareScalingOptions awq;
  awq.data.assign(quantize.data.begin(), quantize.data.end());
  awq.maxSamples = quantize.maxSamples;
  awq.weight = quantize.weight;
  awq.granularity = quantize.granularity;
  awq.groupSize = quantize.groupSize;
  awq.weightRange = quantize.weightRange;
  awq.weightScheme = quantize.weightScheme;
  awq.clip = clip;
  return createQCActivationAwareScaling(awq);
}

void quantc::buildQuantizePipeline(OpPassManager &pm,
                                   const QuantizePipelineOptions &options) {
  pm.addPass(createQCSimplify());
  pm.addPass(createQCDecomposeConvTranspose());
  pm.addPass(createQCDecomposeConv3D());
  if (options.smoothQuant) {
    QCSmoothQuantOptions smooth;
    smooth.data.assign(options.data.begin(), options.data.end());
    smooth.alpha = options.smoothQuantAlpha;
    pm.addPass(createQCSmoothQuant(smooth));
  }
  if (options.awq) {
    QCQuantizeOptions weights = quantizeOptions(options);
    weights.data.assign(options.data.begin(), options.data.end());
    pm.addPass(createAWQFor(weights, options.awqClip));
  }
  if (options.equalize && !options.data.empty()) {
    // Measured against quantizing the way the model will be.
    QCEqualizeOptions equalize;
    equalize.method = "auto";
    equalize.data.assign(options.data.begin(), options.data.end());
    QCCalibrateOptions calibrate;
    calibrate.data.assign(options.data.begin(), options.data.end());
    calibrate.estimator = options.estimator;
    std::string text;
    llvm::raw_string_ostream os(text);
    createQCCalibrate(calibrate)->printAsTextualPipeline(os);
    os << ",";
    createQuantize(options)->printAsTextualPipeline(os);
    equalize.quantizePipeline = text;
    equalize.scoreData.assign(options.budgetData.begin(), options.budgetData.end());
    pm.addPass(createQCEqualize(equalize));
  }
  QCCalibrateOptions calibrate;
  calibrate.data.assign(options.data.begin(), options.data.end());
  calibrate.statisticsIn = options.statisticsIn;
  calibrate.estimator = options.estimator;
  pm.addPass(createQCCalibrate(calibrate));
  if (options.assignsPrecision()) {
    QCAssignPrecisionOptions assign;
    assign.data.assign(options.data.begin(), options.data.end());
    assign.bitsPerWeight = options.bitsPerWeight;
    assign.weightScheme = options.weightScheme;
    assign.latencyUs = options.latencyUs;
    assign.maxError = options.maxError;
    assign.candidates.assign(options.candidates.begin(), options.candidates.end());
    assign.signal = options.signal;
    assign.costTable = options.costTable;
    assign.cache = options.sensitivityCache;
    assign.pareto = options.pareto;
    if (options.maxDrop > 0) {
      // Every trial quantizes the way the model will be.
      assign.maxDrop = options.maxDrop;
      assign.metric = options.metric;
      assign.fallback.assign(options.fallback.begin(), options.fallback.end());
      if (!options.budgetData.empty())
        assign.data.assign(options.budgetData.begin(), options.budgetData.end());
      std::string text;
      llvm::raw_string_ostream os(text);
      createQuantize(options)->printAsTextualPipeline(os);
      assign.quantizePipeline = text;
    }
    pm.addPass(createQCAssignPrecision(assign));
  }
  pm.addPass(createQuantize(options));
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
