//===- Pipelines.h - quantc's pass pipelines as API -------------*- C++ -*-===//
//
// The quantc driver's pipelines, for other compilers to build (or spell
// textually, e.g. `--pass-pipeline='builtin.module(qc-quantize-pipeline{
// data=calib.npz activation=i8})'`).
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_TRANSFORMS_PIPELINES_H
#define QUANTC_TRANSFORMS_PIPELINES_H

#include "quantc/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace quantc {

/// Options of qc-quantize-pipeline: calibration data and estimator, the
/// default precision and its override file, and the rounding of the integer
/// graph.
struct QuantizePipelineOptions
    : public mlir::PassPipelineOptions<QuantizePipelineOptions> {
  ListOption<std::string> data{*this, "data",
                               llvm::cl::desc("Calibration .npz files or directories")};
  Option<std::string> statisticsIn{
      *this, "statistics-in",
      llvm::cl::desc("Calibration statistics to reuse instead of data")};
  Option<std::string> estimator{*this, "estimator",
                                llvm::cl::desc("Range estimator"),
                                llvm::cl::init("minmax")};
  Option<std::string> activation{*this, "activation",
                                 llvm::cl::desc("Activation precision"),
                                 llvm::cl::init("i8")};
  Option<std::string> weight{*this, "weight", llvm::cl::desc("Weight precision"),
                             llvm::cl::init("i8")};
  Option<std::string> granularity{*this, "granularity",
                                  llvm::cl::desc("Weight scales"),
                                  llvm::cl::init("per_channel")};
  Option<std::string> scheme{*this, "scheme",
                             llvm::cl::desc("symmetric or asymmetric activations"),
                             llvm::cl::init("asymmetric")};
  Option<int64_t> groupSize{*this, "group-size",
                            llvm::cl::desc("Group size of per_group weights"),
                            llvm::cl::init(0)};
  Option<std::string> scope{*this, "scope",
                            llvm::cl::desc("layers or all"),
                            llvm::cl::init("all")};
  Option<std::string> overrides{*this, "overrides",
                                llvm::cl::desc("JSON file of precision rules")};
  Option<std::string> rounding{*this, "rounding",
                               llvm::cl::desc("Requantization rounding"),
                               llvm::cl::init("half_to_even")};
  // Mixed precision: with one of these budgets, qc-assign-precision chooses
  // every layer's precision before qc-quantize.
  Option<double> bitsPerWeight{*this, "bits-per-weight",
                               llvm::cl::desc("Mixed precision: average bits per weight"),
                               llvm::cl::init(0)};
  Option<double> latencyUs{*this, "latency-us",
                           llvm::cl::desc("Mixed precision: predicted layer time"),
                           llvm::cl::init(0)};
  Option<double> maxError{*this, "max-error",
                          llvm::cl::desc("Mixed precision: largest output noise power"),
                          llvm::cl::init(0)};
  ListOption<std::string> candidates{*this, "candidates",
                                     llvm::cl::desc("Mixed precision candidates")};
  Option<std::string> signal{*this, "signal",
                             llvm::cl::desc("Sensitivity signal: output or proxy"),
                             llvm::cl::init("output")};
  Option<std::string> costTable{*this, "cost-table",
                                llvm::cl::desc("Measured ns per MAC (JSON)")};
  Option<std::string> sensitivityCache{*this, "sensitivity-cache",
                                       llvm::cl::desc("Sensitivity cache file")};
  Option<std::string> pareto{*this, "pareto",
                             llvm::cl::desc("Write the Pareto front (JSON and SVG)")};

  // Lossless int8: equalization before calibration, adjustments of the
  // integer weights, and an accuracy budget.
  Option<bool> equalize{*this, "equalize",
                        llvm::cl::desc("Cross-layer equalization where it is "
                                       "measured to help (qc-equalize)"),
                        llvm::cl::init(true)};
  Option<bool> biasCorrection{*this, "bias-correction",
                              llvm::cl::desc("Correct biases for the weights' "
                                             "expected output shift"),
                              llvm::cl::init(false)};
  Option<bool> roundingSearch{*this, "rounding-search",
                              llvm::cl::desc("Learned rounding of integer weights"),
                              llvm::cl::init(false)};
  Option<std::string> weightRange{*this, "weight-range",
                                 llvm::cl::desc("Weight scales: minmax or mse"),
                                 llvm::cl::init("minmax")};
  Option<std::string> weightScheme{
      *this, "weight-scheme",
      llvm::cl::desc("Weights of weight-only layers: symmetric or asymmetric"),
      llvm::cl::init("symmetric")};
  Option<bool> awq{*this, "awq",
                   llvm::cl::desc("Activation-aware scaling of matmul weights (qc-awq)"),
                   llvm::cl::init(false)};
  Option<bool> awqClip{
      *this, "awq-clip",
      llvm::cl::desc("With awq: also clip each weight group's range (AWQ's clipping search)"),
      llvm::cl::init(false)};
  Option<bool> smoothQuant{
      *this, "smooth-quant",
      llvm::cl::desc("Migrate activation outliers into matmul weights (qc-smooth-quant)"),
      llvm::cl::init(false)};
  Option<double> smoothQuantAlpha{*this, "smooth-quant-alpha",
                                  llvm::cl::desc("qc-smooth-quant's alpha"),
                                  llvm::cl::init(0.5)};
  Option<bool> gptq{*this, "gptq",
                    llvm::cl::desc("GPTQ rounding of integer weights"),
                    llvm::cl::init(false)};
  Option<bool> gptqActOrder{*this, "gptq-act-order",
                            llvm::cl::desc("GPTQ: inputs by decreasing second moment"),
                            llvm::cl::init(false)};
  Option<double> maxDrop{*this, "max-drop",
                         llvm::cl::desc("Accuracy budget: largest drop of metric"),
                         llvm::cl::init(0)};
  Option<std::string> metric{*this, "metric",
                             llvm::cl::desc("Accuracy budget metric: agreement or sqnr"),
                             llvm::cl::init("agreement")};
  ListOption<std::string> fallback{*this, "fallback",
                                   llvm::cl::desc("Accuracy budget: fallback precisions")};
  ListOption<std::string> budgetData{
      *this, "budget-data",
      llvm::cl::desc("Held-out samples that choices are scored on: equalization "
                     "and the accuracy budget (default: the calibration data)")};

  bool assignsPrecision() const {
    return bitsPerWeight > 0 || latencyUs > 0 || maxError > 0 || maxDrop > 0;
  }
};

/// qc-awq scaling for the weights `quantize` will quantize (its weight
/// precision and data), with the clipping search when `clip`.
std::unique_ptr<mlir::Pass> createAWQFor(const QCQuantizeOptions &quantize, bool clip);

/// qc-simplify, qc-decompose-conv-transpose, qc-decompose-conv3d, (qc-smooth-quant), (qc-awq),
/// qc-calibrate, (qc-assign-precision with a budget),
/// qc-quantize, qc-fold-scales: a float model in, its integer graph out.
void buildQuantizePipeline(mlir::OpPassManager &pm,
                           const QuantizePipelineOptions &options);

/// Registers the named pipelines with the pass registry.
void registerQCPipelines();

} // namespace quantc

#endif // QUANTC_TRANSFORMS_PIPELINES_H
