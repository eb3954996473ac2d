//===- AccuracyBudget.cpp - fewest layers kept precise for a metric -*- C++ -*-===//
#include "AccuracyBudget.h"

#include "PrecisionRules.h"
#include "Sensitivity.h"

#include "quantc/Dialect/QC/TensorNames.h"
#include "quantc/Reference/Evaluator.h"
#include "quantc/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FormatVariadic.h"

#include <mutex>
#include <numeric>

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;
using reference::Tensor;

LogicalResult qc::runTrialPipeline(StringRef text, ModuleOp trial) {
  static std::once_flag registered;
  std::call_once(registered, [] { registerQCPasses(); });
  PassManager pm(trial.getContext());
  std::string problem;
  llvm::raw_string_ostream os(problem);
  if (failed(parsePassPipeline(text, pm, os)))
    return emitError(trial.getLoc(), "cannot parse the quantization pipeline '")
           << text << "': " << problem;
  // The trial's own remarks (rounding search, ...) are not the caller's.
  ScopedDiagnosticHandler quiet(trial.getContext(), [](Diagnostic &diag) {
    return success(diag.getSeverity() == DiagnosticSeverity::Remark);
  });
  return pm.run(trial);
}

bool qc::isBudgetMetric(StringRef metric) {
  return metric == "agreement" || metric == "sqnr";
}

namespace {
/// Layers without a precision of their own, in walk order (the same in a
/// clone of the module).
SmallVector<Operation *> budgetLayers(func::FuncOp func) {
  SmallVector<Operation *> layers;
  func.walk([&](Operation *op) {
    std::optional<LayerInfo> info = getLayerInfo(op);
    if (info && !op->hasAttr("qc.precision") &&
        op->getOperand(info->weightOperand).getDefiningOp<ConstantOp>())
      layers.push_back(op);
  });
  return layers;
}

class BudgetSearch {
public:
  BudgetSearch(ModuleOp module, func::FuncOp func,
               ArrayRef<calibration::Sample> samples, const AccuracyBudget &budget)
      : module(module), func(func), samples(samples), budget(budget),
        layers(budgetLayers(func)) {}

  LogicalResult run();

private:
  /// A precision per layer; null keeps the pipeline's default.
  using Assignment = std::vector<PrecisionAttr>;

  LogicalResult evaluateReference();
  /// The drop of the budget's metric (or, with `noise`, the relative output
  /// noise power) of the model quantized with `assignment`.
  FailureOr<double> measure(const Assignment &assignment, bool noise = false,
                            size_t maxSamples = 0);
  Assignment keeping(ArrayRef<size_t> kept) const;
  void annotate(ArrayRef<size_t> kept, ArrayRef<size_t> order,
                ArrayRef<double> noise, double allDefault, double final);

  ModuleOp module;
  func::FuncOp func;
  ArrayRef<calibration::Sample> samples;
  const AccuracyBudget &budget;
  SmallVector<Operation *> layers;
  std::vector<SmallVector<Tensor>> reference;
  PrecisionAttr fallback;
  std::string fallbackName;
};

LogicalResult BudgetSearch::evaluateReference() {
  FailureOr<std::vector<SmallVector<Tensor>>> outputs = evaluateSamples(func, samples);
  if (failed(outputs))
    return failure();
  reference = std::move(*outputs);
  if (budget.metric == "agreement" &&
      (reference.empty() || reference.front().empty() ||
       reference.front().front().getRank() == 0 ||
       reference.front().front().getShape().back() < 2))
    return emitError(func.getLoc(), "metric=agreement needs a first output whose "
                                    "last dimension holds two or more class scores");
  return success();
}

FailureOr<double> BudgetSearch::measure(const Assignment &assignment, bool noise,
                                        size_t maxSamples) {
  OwningOpRef<ModuleOp> trial = module.clone();
  auto trialFunc = trial->lookupSymbol<func::FuncOp>(func.getSymName());
  for (auto [op, precision] : llvm::zip(budgetLayers(trialFunc), assignment))
    if (precision)
      op->setAttr("qc.precision", precision);
  if (failed(runTrialPipeline(budget.quantizePipeline, *trial)))
    return emitError(func.getLoc(), "cannot quantize the model for the accuracy budget");
  size_t count = maxSamples ? std::min(maxSamples, samples.size()) : samples.size();
  FailureOr<OutputError> error = measureOutputError(
      trialFunc, samples.take_front(count), ArrayRef(reference).take_front(count));
  if (failed(error))
    return failure();
  return noise || budget.metric == "sqnr" ? error->relativeNoise() : error->disagreement();
}

BudgetSearch::Assignment BudgetSearch::keeping(ArrayRef<size_t> kept) const {
  Assignment assignment(layers.size());
  for (size_t i : kept)
    assignment[i] = fallback;
  return assignment;
}

LogicalResult BudgetSearch::run() {
  if (failed(evaluateReference()))
    return failure();
  FailureOr<double> allDefault = measure(keeping({}));
  if (failed(allDefault))
    return failure();
  if (*allDefault <= budget.maxDrop) {
    emitRemark(func.getLoc()) << llvm::formatv(
        "accuracy budget: {0} drop {1:P2} with every layer at the default precision, "
        "within {2:P2}",
        budget.metric, *allDefault, budget.maxDrop);
    module->setAttr("qc.accuracy_drop", Builder(module).getF64FloatAttr(*allDefault));
    return success();
  }
  std::vector<size_t> all(layers.size());
  std::iota(all.begin(), all.end(), 0);
  // The first fallback that meets the budget with every layer kept.
  std::string misses;
  double met = 0;
  for (auto [precision, name] : llvm::zip(budget.fallbacks, budget.fallbackNames)) {
    fallback = precision;
    fallbackName = name;
    FailureOr<double> allKept = measure(keeping(all));
    if (failed(allKept))
      return failure();
    met = *allKept;
    if (met <= budget.maxDrop)
      break;
    misses += llvm::formatv("{0}{1:P2} at {2}", misses.empty() ? "" : ", ", met, name).str();
  }
  if (met > budget.maxDrop)
    return emitError(func.getLoc(), llvm::formatv("no assignment keeps the {0} drop within "
                                                  "{1:P2}; with every layer kept it is {2}",
                                                  budget.metric, budget.maxDrop, misses)
                                        .str());

  // Sensitivity: the output noise of each layer quantized alone.
  auto f32 = PrecisionAttr::get(module.getContext(), Float32Type::get(module.getContext()),
                                Float32Type::get(module.getContext()), Granularity::PerChannel,
                                Scheme::Asymmetric, 0);
  std::vector<double> noise(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    Assignment alone(layers.size(), f32);
    alone[i] = nullptr;
    FailureOr<double> measured =
        measure(alone, /*noise=*/true, std::max<int64_t>(budget.rankingSamples, 1));
    if (failed(measured))
      return failure();
    noise[i] = *measured;
  }
  std::vector<size_t> order = all;
  llvm::stable_sort(order, [&](size_t a, size_t b) { return noise[a] > noise[b]; });

  // The fewest of the most sensitive layers that meet the budget (bisection;
  // every layer kept meets it), then release what it does not need.
  size_t fails = 0, holds = layers.size();
  while (holds - fails > 1) {
    size_t mid = (fails + holds) / 2;
    FailureOr<double> measured = measure(keeping(ArrayRef(order).take_front(mid)));
    if (failed(measured))
      return failure();
    if (*measured <= budget.maxDrop) {
      holds = mid;
      met = *measured;
    } else {
      fails = mid;
    }
  }
  std::vector<size_t> kept(order.begin(), order.begin() + holds);
  for (size_t candidate : llvm::reverse(std::vector<size_t>(kept))) {
    std::vector<size_t> fewer;
    llvm::copy_if(kept, std::back_inserter(fewer), [&](size_t i) { return i != candidate; });
    FailureOr<double> measured = measure(keeping(fewer));
    if (failed(measured))
      return failure();
    if (*measured <= budget.maxDrop) {
      kept = std::move(fewer);
      met = *measured;
    }
  }
  annotate(kept, order, noise, *allDefault, met);
  return success();
}

void BudgetSearch::annotate(ArrayRef<size_t> kept, ArrayRef<size_t> order,
                            ArrayRef<double> noise, double allDefault, double final) {
  Builder b(module.getContext());
  std::string keptNames;
  for (size_t i : kept) {
    Operation *op = layers[i];
    size_t rank = llvm::find(order, i) - order.begin() + 1;
    op->setAttr("qc.precision", fallback);
    op->setAttr("qc.sensitivity", b.getF64FloatAttr(noise[i]));
    op->setAttr("qc.choice",
                b.getStringAttr(llvm::formatv(
                    "kept at {0} for the accuracy budget ({1} drop <= {2:P2}): "
                    "quantized alone it adds relative output noise {3:e2}, the "
                    "{4}. most of {5} layers",
                    fallbackName, budget.metric, budget.maxDrop, noise[i], rank,
                    layers.size())));
    keptNames += (keptNames.empty() ? "" : ", ") + layerName(op);
  }
  module->setAttr("qc.accuracy_drop", b.getF64FloatAttr(final));
  emitRemark(func.getLoc()) << llvm::formatv(
      "accuracy budget: {0} drop {1:P2} with every layer at the default precision, {2:P2} "
      "with {3} of {4} layers at {5} ({6}); budget {7:P2}",
      budget.metric, allDefault, final, kept.size(), layers.size(), fallbackName, keptNames,
      budget.maxDrop);
}
} // namespace

LogicalResult qc::keepWithinBudget(ModuleOp module, func::FuncOp func,
                                   ArrayRef<calibration::Sample> samples,
                                   const AccuracyBudget &budget) {
  return BudgetSearch(module, func, samples, budget).run();
}
