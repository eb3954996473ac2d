//===- AssignPrecision.cpp - the qc-assign-precision pass -------*- C++ -*-===//
//
// Measures each layer's sensitivity to each candidate precision (that layer
// alone quantized; cached on disk), prices the candidates in weight bytes,
// solves exactly for the best assignment within the budget, then measures the
// assignment as a whole and repairs it when the prediction missed an error
// budget.
//
//===----------------------------------------------------------------------===//
#include "quantc/Calibration/CalibrationSet.h"
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Dialect/QC/QuantUtils.h"
#include "quantc/Dialect/QC/TensorNames.h"
#include "quantc/Precision/Solver.h"
#include "quantc/Reference/Evaluator.h"
#include "quantc/Transforms/Passes.h"

#include "AccuracyBudget.h"
#include "CostTable.h"
#include "PrecisionRules.h"
#include "Sensitivity.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/EquivalenceClasses.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"

#include <map>
#include <numeric>

namespace quantc {
#define GEN_PASS_DEF_QCASSIGNPRECISION
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;
using reference::Tensor;

namespace {
/// A layer whose precision is chosen: its weights' size and reduction depth.
struct Layer {
  Operation *op;
  int64_t elements, channels, reduction;
  int64_t macs; // multiply-accumulates of one run
};

/// `op` as a layer with constant weights, whose precision is chosen here.
std::optional<Layer> getLayer(Operation *op) {
  std::optional<LayerInfo> info = getLayerInfo(op);
  if (!info)
    return std::nullopt;
  Value weight = op->getOperand(info->weightOperand);
  if (!weight.getDefiningOp<ConstantOp>())
    return std::nullopt;
  auto type = cast<RankedTensorType>(weight.getType());
  int64_t channels = type.getDimSize(info->channelAxis);
  int64_t outputs = cast<ShapedType>(op->getResult(0).getType()).getNumElements();
  return Layer{op, type.getNumElements(), channels, type.getDimSize(info->reductionAxis),
               outputs * (type.getNumElements() / std::max<int64_t>(channels, 1))};
}

/// A candidate precision by name: f32, bf16, i8, i16 (i16 activations, i8
/// weights), w8, w4 (per channel), w4g<N>.
FailureOr<PrecisionAttr> parseCandidate(MLIRContext *ctx, StringRef name) {
  Builder b(ctx);
  auto make = [&](Type act, Type weight, Granularity g, int64_t group) {
    return PrecisionAttr::get(ctx, act, weight, g, Scheme::Asymmetric, group);
  };
  if (name == "f32")
    return make(b.getF32Type(), b.getF32Type(), Granularity::PerTensor, 0);
  if (name == "bf16")
    return make(b.getBF16Type(), b.getBF16Type(), Granularity::PerTensor, 0);
  if (name == "i8")
    return make(b.getI8Type(), b.getI8Type(), Granularity::PerChannel, 0);
  if (name == "i16")
    return make(b.getIntegerType(16), b.getI8Type(), Granularity::PerChannel, 0);
  if (name == "w8")
    return make(b.getF32Type(), b.getI8Type(), Granularity::PerChannel, 0);
  if (name == "w4")
    return make(b.getF32Type(), b.getIntegerType(4), Granularity::PerChannel, 0);
  int64_t group = 0;
  if (name.consume_front("w4g") && !name.getAsInteger(10, group) && group > 0)
    return make(b.getF32Type(), b.getIntegerType(4), Granularity::PerGroup, group);
  return failure();
}

/// Bytes of the layer's weights at `precision` (scales in f32, zero points
/// a byte each, as the weight-only kernel streams them), or nothing when
/// the precision does not apply to the layer.
std::optional<int64_t> weightBytes(const Layer &layer, PrecisionAttr precision,
                                   StringRef weightScheme) {
  unsigned bits = precision.getWeight().getIntOrFloatBitWidth();
  int64_t scales = 0;
  if (precision.getGranularity() == Granularity::PerChannel)
    scales = layer.channels;
  if (int64_t group = precision.getGroupSize()) {
    if (layer.reduction % group)
      return std::nullopt;
    scales = layer.channels * (layer.reduction / group);
  }
  int64_t scaleBytes = takesWeightZeroPoints(precision, weightScheme) ? 5 : 4;
  return (layer.elements * bits + 7) / 8 + scaleBytes * scales;
}

/// `candidate` as it applies to layers whose reduction dims are
/// `reductions`: a group size that does not divide them all shrinks to the
/// largest that does, down to half its size (K = 120 takes groups of 30 for
/// w4g32, so a layer is not left out for want of an even split); nothing
/// when no size does.
std::optional<PrecisionAttr> fitGroups(PrecisionAttr candidate,
                                       ArrayRef<int64_t> reductions) {
  int64_t group = candidate.getGroupSize();
  if (!group)
    return candidate;
  int64_t common = 0;
  for (int64_t reduction : reductions)
    common = std::gcd(common, reduction);
  for (int64_t size = group; 2 * size >= group; --size)
    if (common % size == 0)
      return PrecisionAttr::get(candidate.getContext(), candidate.getActivation(),
                                candidate.getWeight(), candidate.getGranularity(),
                                candidate.getScheme(), size);
  return std::nullopt;
}

/// Text of a precision, for cache keys, reports and the Pareto file.
std::string precisionName(PrecisionAttr p) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << p.getActivation() << "/" << p.getWeight() << "/"
     << stringifyGranularity(p.getGranularity());
  if (p.getGroupSize())
    os << p.getGroupSize();
  return text;
}

/// A measured precision choice for each group of layers and its
/// alternatives. Layers in one group take one precision.
struct Problem {
  std::vector<Layer> layers;
  std::vector<std::string> names;
  std::vector<SmallVector<size_t>> members; // layers of each group
  std::vector<SmallVector<precision::Option>> groups;
  std::vector<SmallVector<PrecisionAttr>> choices;
  int64_t totalElements = 0;

  size_t groupOf(size_t layer) const {
    for (auto [g, m] : llvm::enumerate(members))
      if (llvm::is_contained(m, layer))
        return g;
    return 0;
  }
};

/// The layer computing `v`, looking through ops that keep a layer's output
/// scale (activations, data movement), or null.
Operation *producingLayer(Value v, const DenseMap<Operation *, size_t> &layerIndex) {
  while (Operation *def = v.getDefiningOp()) {
    if (layerIndex.count(def))
      return def;
    if (!isa<ReluOp, ClipOp, ReshapeOp, TransposeOp, MaxPoolOp>(def))
      return nullptr;
    v = def->getOperand(0);
  }
  return nullptr;
}

/// Groups of layers that must agree: layers sharing their weights (tied
/// weights), matmuls sharing their input (a transformer's q/k/v or gate/up
/// projections, which run as one in fused kernels), and layers whose outputs
/// meet in a residual addition or a concatenation (which quantize to one
/// shared scale).
std::vector<SmallVector<size_t>> groupLayers(func::FuncOp func, ArrayRef<Layer> layers) {
  DenseMap<Operation *, size_t> layerIndex;
  for (auto [i, layer] : llvm::enumerate(layers))
    layerIndex[layer.op] = i;
  llvm::EquivalenceClasses<size_t> classes;
  for (size_t i = 0; i < layers.size(); ++i)
    classes.insert(i);
  DenseMap<Value, size_t> byWeight, byMatMulInput;
  for (auto [i, layer] : llvm::enumerate(layers)) {
    Value weight = layer.op->getOperand(getLayerInfo(layer.op)->weightOperand);
    auto [it, inserted] = byWeight.try_emplace(weight, i);
    if (!inserted)
      classes.unionSets(it->second, i);
    if (isa<MatMulOp, GemmOp>(layer.op)) {
      auto [same, first] = byMatMulInput.try_emplace(layer.op->getOperand(0), i);
      if (!first)
        classes.unionSets(same->second, i);
    }
  }
  func.walk([&](Operation *op) {
    if (!isa<AddOp, ConcatOp>(op))
      return;
    std::optional<size_t> first;
    for (Value operand : op->getOperands())
      if (Operation *layer = producingLayer(operand, layerIndex)) {
        size_t i = layerIndex.lookup(layer);
        if (first)
          classes.unionSets(*first, i);
        else
          first = i;
      }
  });
  std::vector<SmallVector<size_t>> groups;
  for (auto it = classes.begin(); it != classes.end(); ++it) {
    if (!(*it)->isLeader())
      continue;
    SmallVector<size_t> members(classes.member_begin(**it), classes.member_end());
    llvm::sort(members);
    groups.push_back(members);
  }
  llvm::sort(groups, [](const auto &a, const auto &b) { return a.front() < b.front(); });
  return groups;
}

/// Plots the Pareto front (cost, as `costOf` gives it, against predicted
/// error).
void writeParetoSVG(raw_ostream &os, ArrayRef<precision::Assignment> front,
                    function_ref<double(int64_t)> costOf, StringRef costName,
                    const precision::Assignment &chosen) {
  const double width = 480, height = 320, margin = 50;
  double maxBits = 0, minLog = 0, maxLog = -30;
  auto logError = [](double e) { return std::log10(std::max(e, 1e-12)); };
  for (const precision::Assignment &a : front) {
    maxBits = std::max(maxBits, costOf(a.cost));
    minLog = std::min(minLog, logError(a.error));
    maxLog = std::max(maxLog, logError(a.error));
  }
  maxLog = std::max(maxLog, minLog + 1);
  auto x = [&](const precision::Assignment &a) {
    return margin + (width - 2 * margin) * costOf(a.cost) / std::max(maxBits, 1e-9);
  };
  auto y = [&](const precision::Assignment &a) {
    return height - margin -
           (height - 2 * margin) * (logError(a.error) - minLog) / (maxLog - minLog);
  };
  os << llvm::formatv("<svg xmlns='http://www.w3.org/2000/svg' width='{0}' height='{1}'>\n",
                      width, height);
  os << llvm::formatv("<line x1='{0}' y1='{1}' x2='{2}' y2='{1}' stroke='black'/>\n",
                      margin, height - margin, width - margin);
  os << llvm::formatv("<line x1='{0}' y1='{0}' x2='{0}' y2='{1}' stroke='black'/>\n",
                      margin, height - margin);
  os << llvm::formatv("<text x='{0}' y='{1}' font-size='12'>{2} (max {3:f1})</text>\n",
                      width / 2 - 60, height - 15, costName, maxBits);
  os << llvm::formatv("<text x='5' y='20' font-size='12'>predicted error, log10 in "
                      "[{0:f1}, {1:f1}]</text>\n", minLog, maxLog);
  for (const precision::Assignment &a : front) {
    bool isChosen = a.cost == chosen.cost && a.error == chosen.error;
    os << llvm::formatv("<circle cx='{0:f1}' cy='{1:f1}' r='{2}' fill='{3}'/>\n", x(a), y(a),
                        isChosen ? 6 : 3, isChosen ? "red" : "steelblue");
  }
  os << "</svg>\n";
}

struct AssignPrecisionPass
    : quantc::impl::QCAssignPrecisionBase<AssignPrecisionPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto func = module.lookupSymbol<func::FuncOp>("main");
    if (!func) {
      emitError(module.getLoc(), "qc-assign-precision needs a func.func @main");
      return signalPassFailure();
    }
    int budgets = (budgetBytes > 0) + (bitsPerWeight > 0) + (latencyUs > 0) +
                  (maxError > 0) + (maxDrop > 0);
    if (data.empty() || budgets != 1) {
      emitError(module.getLoc(), "qc-assign-precision needs data= and exactly "
                                 "one of budget-bytes=, bits-per-weight=, "
                                 "latency-us=, max-error= and max-drop=");
      return signalPassFailure();
    }
    if (maxDrop > 0) {
      if (failed(assignForAccuracy(module, func)))
        signalPassFailure();
      return;
    }
    if (failed(costs.load(costTable, module.getLoc())))
      return signalPassFailure();
    SmallVector<PrecisionAttr> options;
    for (StringRef name : candidates.empty()
                              ? SmallVector<std::string>{"f32", "bf16", "i8",
                                                         "w8", "w4", "w4g32"}
                              : SmallVector<std::string>(candidates.begin(),
                                                         candidates.end())) {
      FailureOr<PrecisionAttr> p = parseCandidate(&getContext(), name);
      if (failed(p)) {
        emitError(module.getLoc(), "unknown candidate precision '")
            << name << "' (f32, bf16, i8, w8, w4 or w4g<N>)";
        return signalPassFailure();
      }
      options.push_back(*p);
      optionNames.push_back(name.str());
    }
    if (failed(assign(module, func, options)))
      signalPassFailure();
  }

  /// The max-drop budget (AccuracyBudget.h).
  LogicalResult assignForAccuracy(ModuleOp module, func::FuncOp func) {
    if (!isBudgetMetric(metric))
      return emitError(module.getLoc(), "unknown metric '")
             << metric << "' (agreement or sqnr)";
    AccuracyBudget budget{maxDrop, metric, {}, {}, quantizePipeline, maxSamples};
    for (const std::string &name : fallback.empty() ? SmallVector<std::string>{"i16", "f32"}
                                                    : SmallVector<std::string>(fallback.begin(),
                                                                               fallback.end())) {
      FailureOr<PrecisionAttr> precision = parseCandidate(&getContext(), name);
      if (failed(precision))
        return emitError(module.getLoc(), "unknown fallback precision '")
               << name << "' (i16, bf16, f32, w8, ...)";
      budget.fallbacks.push_back(*precision);
      budget.fallbackNames.push_back(name);
    }
    // The budget is scored on every sample; max-samples of them rank.
    llvm::Expected<std::vector<calibration::Sample>> samples =
        calibration::loadCalibrationSet(func, data);
    if (!samples)
      return emitError(func.getLoc(), toString(samples.takeError()));
    return keepWithinBudget(module, func, *samples, budget);
  }

  LogicalResult assign(ModuleOp module, func::FuncOp func,
                       ArrayRef<PrecisionAttr> options) {
    Problem problem;
    func.walk([&](Operation *op) {
      if (!op->hasAttr("qc.precision"))
        if (std::optional<Layer> layer = getLayer(op)) {
          problem.layers.push_back(*layer);
          std::string name = getNodeName(op->getLoc());
          problem.names.push_back(name.empty() ? "layer" + std::to_string(problem.names.size())
                                               : name);
        }
    });
    llvm::Expected<std::vector<calibration::Sample>> samples =
        calibration::loadCalibrationSet(func, data, maxSamples);
    if (!samples)
      return emitError(func.getLoc(), toString(samples.takeError()));
    FailureOr<std::vector<SmallVector<Tensor>>> reference = evaluateSamples(func, *samples);
    if (failed(reference))
      return failure();
    problem.members = groupLayers(func, problem.layers);
    if (signal != "output" && signal != "kl" && signal != "proxy")
      return emitError(func.getLoc(), "unknown sensitivity signal '")
             << signal << "' (output, kl or proxy)";
    if (weightScheme != "symmetric" && weightScheme != "asymmetric")
      return emitError(func.getLoc(), "weight-scheme '")
             << weightScheme << "' is not symmetric or asymmetric";
    if (signal == "proxy") {
      SmallVector<Operation *> ops;
      for (const Layer &layer : problem.layers)
        ops.push_back(layer.op);
      FailureOr<std::vector<LayerEnergy>> measured = measureLayerEnergies(func, *samples, ops);
      if (failed(measured))
        return failure();
      energies = std::move(*measured);
    }
    SensitivityCache sensitivities(cache, fingerprint(func, *samples));
    if (failed(measureCandidates(module, options, *samples, *reference, sensitivities,
                                 problem)) ||
        failed(sensitivities.save(module.getLoc())))
      return failure();

    for (auto [group, options] : llvm::enumerate(problem.groups))
      if (options.empty())
        return problem.layers[problem.members[group].front()].op->emitError(
                   "none of the candidate precisions applies to this layer (")
               << llvm::join(optionNames, ", ") << ")";
    std::vector<precision::Assignment> front = precision::paretoFront(problem.groups);
    FailureOr<precision::Assignment> best =
        choose(module, func, problem, front, *samples, *reference);
    if (failed(best))
      return failure();
    annotate(problem, *best);
    if (!pareto.empty() && failed(writePareto(module.getLoc(), problem, front, *best)))
      return failure();
    return success();
  }

  /// Measures (or reads from the cache) every candidate that applies to all
  /// layers of a group, with the group alone at that precision.
  LogicalResult measureCandidates(ModuleOp module, ArrayRef<PrecisionAttr> options,
                                  ArrayRef<calibration::Sample> samples,
                                  ArrayRef<SmallVector<Tensor>> reference,
                                  SensitivityCache &sensitivities, Problem &problem) {
    size_t count = problem.layers.size();
    for (const Layer &layer : problem.layers)
      problem.totalElements += layer.elements;
    problem.groups.resize(problem.members.size());
    problem.choices.resize(problem.members.size());
    for (auto [group, members] : llvm::enumerate(problem.members)) {
      std::string groupKey;
      for (size_t i : members)
        groupKey += std::to_string(i) + ":" + problem.names[i] + ",";
      SmallVector<int64_t> reductions;
      for (size_t i : members)
        reductions.push_back(problem.layers[i].reduction);
      for (auto [option, candidateName] : llvm::zip(options, optionNames)) {
        std::optional<PrecisionAttr> fitted = fitGroups(option, reductions);
        if (!fitted)
          continue;
        PrecisionAttr candidate = *fitted;
        int64_t bytes = 0;
        double picoseconds = 0;
        bool applies = true;
        DenseSet<Value> counted; // tied weights are stored once
        for (size_t i : members) {
          const Layer &layer = problem.layers[i];
          std::optional<int64_t> b = weightBytes(layer, candidate, weightScheme);
          applies &= b.has_value();
          if (counted.insert(layer.op->getOperand(getLayerInfo(layer.op)->weightOperand)).second)
            bytes += b.value_or(0);
          picoseconds += 1000.0 * layer.macs * costs.lookup(candidateName);
        }
        if (!applies)
          continue;
        bool zeroPoints = takesWeightZeroPoints(candidate, weightScheme);
        std::string key = groupKey + "|" + precisionName(candidate) +
                          (zeroPoints ? "|asymmetric" : "") + (signal == "kl" ? "|kl" : "");
        if (signal == "proxy") {
          double error = 0;
          for (size_t i : members)
            error += proxyError(problem.layers[i].op, energies[i], candidate, zeroPoints);
          problem.groups[group].push_back(
              {latencyUs > 0 ? int64_t(std::llround(picoseconds)) : bytes, error});
          problem.choices[group].push_back(candidate);
          continue;
        }
        std::optional<double> error = isFloat32(candidate) ? 0.0 : sensitivities.lookup(key);
        if (!error) {
          std::vector<PrecisionAttr> trial(count, *parseCandidate(&getContext(), "f32"));
          for (size_t i : members)
            trial[i] = candidate;
          FailureOr<double> measured = measure(module, trial, samples, reference);
          if (failed(measured))
            return failure();
          error = *measured;
          sensitivities.store(key, *error);
        }
        int64_t cost = latencyUs > 0 ? int64_t(std::llround(picoseconds)) : bytes;
        problem.groups[group].push_back({cost, *error});
        problem.choices[group].push_back(candidate);
      }
    }
    return success();
  }

  /// The assignment meeting the budget, refined against its measured error.
  FailureOr<precision::Assignment>
  choose(ModuleOp module, func::FuncOp func, const Problem &problem,
         ArrayRef<precision::Assignment> front, ArrayRef<calibration::Sample> samples,
         ArrayRef<SmallVector<Tensor>> reference) {
    auto pick = [&](const precision::Assignment &a) {
      std::vector<PrecisionAttr> chosen(problem.layers.size());
      for (auto [group, choice] : llvm::enumerate(a.choices))
        for (size_t i : problem.members[group])
          chosen[i] = problem.choices[group][choice];
      return chosen;
    };
    auto report = [&](const precision::Assignment &a, double measured) {
      module->setAttr("qc.assigned_error", Builder(&getContext()).getF64FloatAttr(measured));
      InFlightDiagnostic remark = emitRemark(func.getLoc());
      if (latencyUs > 0)
        remark << "assigned layers predicted to take "
               << llvm::formatv("{0:f3}", a.cost / 1e6) << " us";
      else
        remark << "assigned " << a.cost << " bytes of weights ("
               << llvm::formatv("{0:f2}", 8.0 * a.cost / problem.totalElements)
               << " bits each)";
      remark << ", predicted error " << a.error << ", measured " << measured;
    };
    if (maxError <= 0) {
      int64_t budget = budgetBytes > 0 ? int64_t(budgetBytes)
                       : latencyUs > 0 ? int64_t(latencyUs * 1e6)
                                       : int64_t(bitsPerWeight * problem.totalElements / 8);
      // Along the front, error falls as cost rises. Errors of layers do not
      // add exactly: the `refine-points` fitting points of least predicted
      // error are measured, and the least measured wins.
      SmallVector<precision::Assignment> trials;
      for (const precision::Assignment &a : llvm::reverse(front))
        if (a.cost <= budget && int64_t(trials.size()) < std::max<int64_t>(refinePoints, 1))
          trials.push_back(a);
      if (trials.empty()) {
        int64_t smallest = front.empty() ? 0 : front.front().cost;
        if (latencyUs > 0)
          return emitError(func.getLoc(), "no precision assignment fits ")
                 << llvm::formatv("{0}", double(latencyUs)) << " us; the fastest is predicted to take "
                 << llvm::formatv("{0:f3}", smallest / 1e6) << " us";
        return emitError(func.getLoc(), "no precision assignment fits ")
               << budget << " bytes of weights; the smallest takes " << smallest;
      }
      std::optional<std::pair<precision::Assignment, double>> winner;
      for (const precision::Assignment &trial : trials) {
        FailureOr<double> measured = measure(module, pick(trial), samples, reference);
        if (failed(measured))
          return failure();
        if (!winner || *measured < winner->second)
          winner = {trial, *measured};
      }
      report(winner->first, winner->second);
      return winner->first;
    }
    // An error budget: errors of layers do not add exactly, so aim lower
    // while the measured error misses.
    double target = maxError;
    for (int64_t round = 0;; ++round) {
      // The front's first point within the target is the cheapest.
      const precision::Assignment *best = llvm::find_if(
          front, [&](const precision::Assignment &a) { return a.error <= target; });
      if (best == front.end())
        return emitError(func.getLoc(), "no precision assignment keeps the error under ")
               << maxError;
      FailureOr<double> measured = measure(module, pick(*best), samples, reference);
      if (failed(measured))
        return failure();
      if (*measured <= maxError) {
        report(*best, *measured);
        return *best;
      }
      if (round >= refineRounds)
        return emitError(func.getLoc(), "the assignment of ")
               << best->cost << " bytes measures error " << *measured
               << " against max-error " << maxError << " after " << refineRounds
               << " refinements; raise refine-rounds or the budget";
      target *= 0.9 * maxError / *measured;
    }
  }

  /// qc.precision, qc.sensitivity and a qc.choice sentence on every layer.
  void annotate(const Problem &problem, const precision::Assignment &best) {
    Builder b(&getContext());
    for (auto [group, members] : llvm::enumerate(problem.members)) {
      unsigned choice = best.choices[group];
      const precision::Option &chosen = problem.groups[group][choice];
      std::string why;
      llvm::raw_string_ostream os(why);
      os << precisionName(problem.choices[group][choice]) << ": error "
         << llvm::formatv("{0:e2}", chosen.error) << ", " << chosen.cost << " bytes";
      for (auto [other, option] : llvm::enumerate(problem.groups[group]))
        if (other != choice)
          os << "; " << precisionName(problem.choices[group][other]) << " "
             << llvm::formatv("{0:e2}", option.error) << ", " << option.cost << " B";
      if (members.size() > 1) {
        os << " (decided together with";
        for (size_t i : members)
          os << " " << problem.names[i];
        os << ")";
      }
      for (size_t i : members) {
        Operation *op = problem.layers[i].op;
        op->setAttr("qc.precision", problem.choices[group][choice]);
        op->setAttr("qc.sensitivity", b.getF64FloatAttr(chosen.error));
        op->setAttr("qc.choice", b.getStringAttr(why));
      }
    }
  }

  LogicalResult writePareto(Location loc, const Problem &problem,
                            ArrayRef<precision::Assignment> front,
                            const precision::Assignment &chosen) {
    llvm::json::Array points;
    for (const precision::Assignment &a : front) {
      llvm::json::Object layers;
      for (auto [group, choice] : llvm::enumerate(a.choices))
        for (size_t i : problem.members[group])
          layers[problem.names[i]] = precisionName(problem.choices[group][choice]);
      llvm::json::Object point{{"predicted_error", a.error},
                               {"chosen", a.cost == chosen.cost && a.error == chosen.error},
                               {"layers", std::move(layers)}};
      if (latencyUs > 0) {
        point["latency_us"] = a.cost / 1e6;
      } else {
        point["bytes"] = a.cost;
        point["bits_per_weight"] = 8.0 * a.cost / std::max<int64_t>(problem.totalElements, 1);
      }
      points.push_back(std::move(point));
    }
    std::error_code ec;
    llvm::ToolOutputFile json(pareto, ec, llvm::sys::fs::OF_Text);
    if (ec)
      return emitError(loc, "cannot write '") << pareto << "': " << ec.message();
    json.os() << llvm::formatv("{0:2}", llvm::json::Value(std::move(points))) << "\n";
    std::string svgPath = (StringRef(pareto).rsplit('.').first + ".svg").str();
    llvm::ToolOutputFile svg(svgPath, ec, llvm::sys::fs::OF_Text);
    if (ec)
      return emitError(loc, "cannot write '") << svgPath << "': " << ec.message();
    double elements = std::max<int64_t>(problem.totalElements, 1);
    if (latencyUs > 0)
      writeParetoSVG(svg.os(), front, [](int64_t ps) { return ps / 1e6; },
                     "predicted latency (us)", chosen);
    else
      writeParetoSVG(svg.os(), front, [&](int64_t bytes) { return 8.0 * bytes / elements; },
                     "bits per weight", chosen);
    json.keep();
    svg.keep();
    return success();
  }

  CostTable costs;
  SmallVector<std::string> optionNames;
  std::vector<LayerEnergy> energies;

  static bool isFloat32(PrecisionAttr p) {
    return p.getActivation().isF32() && p.getWeight().isF32();
  }

  /// The error of the model with its layers at `precisions` (in walk
  /// order): the relative output noise power, or with signal=kl the mean KL
  /// divergence of its first output's softmax.
  FailureOr<double> measure(ModuleOp module, ArrayRef<PrecisionAttr> precisions,
                            ArrayRef<calibration::Sample> samples,
                            ArrayRef<SmallVector<Tensor>> reference) {
    OwningOpRef<ModuleOp> trial = module.clone();
    auto func = trial->lookupSymbol<func::FuncOp>("main");
    size_t seen = 0;
    func.walk([&](Operation *op) {
      if (op->hasAttr("qc.precision") || !getLayer(op))
        return;
      op->setAttr("qc.precision", precisions[seen++]);
    });
    PassManager pm(module.getContext());
    QCQuantizeOptions quantize;
    quantize.scope = "layers";
    quantize.weightScheme = weightScheme;
    pm.addPass(createQCQuantize(quantize));
    if (failed(pm.run(*trial)))
      return emitError(module.getLoc(), "cannot quantize the layers to their "
                                        "candidate precisions (is the model calibrated?)");
    FailureOr<OutputError> error = measureOutputError(func, samples, reference);
    if (failed(error))
      return failure();
    return signal == "kl" ? error->meanDivergence() : error->relativeNoise();
  }
};
} // namespace
