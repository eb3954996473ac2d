//===- AssignPrecision.cpp - the qc-assign-precision pass -------*- C++ -*-===//
//
// Measures each layer's sensitivity to each candidate precision (that layer
// alone quantized), prices the candidates in weight bytes, and solves for the
// least-error assignment within the budget.
//
//===----------------------------------------------------------------------===//
#include "quantc/Calibration/CalibrationSet.h"
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Precision/Solver.h"
#include "quantc/Reference/Evaluator.h"
#include "quantc/Transforms/Passes.h"

#include "PrecisionRules.h"

#include "mlir/IR/Builders.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"

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
  bool groupable; // MatMul or Gemm: per-group weights apply.
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
  bool groupable = info->reductionAxis >= 0;
  return Layer{op, type.getNumElements(), type.getDimSize(info->channelAxis),
               groupable ? type.getDimSize(info->reductionAxis) : 0, groupable};
}

/// A candidate precision by name: f32, bf16, i8, w8, w4g<N>.
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
  if (name == "w8")
    return make(b.getF32Type(), b.getI8Type(), Granularity::PerChannel, 0);
  int64_t group = 0;
  if (name.consume_front("w4g") && !name.getAsInteger(10, group) && group > 0)
    return make(b.getF32Type(), b.getIntegerType(4), Granularity::PerGroup, group);
  return failure();
}

/// Bytes of the layer's weights at `precision` (scales in f32), or nothing
/// when the precision does not apply to the layer.
std::optional<int64_t> weightBytes(const Layer &layer, PrecisionAttr precision) {
  unsigned bits = precision.getWeight().getIntOrFloatBitWidth();
  int64_t scales = 0;
  if (precision.getGranularity() == Granularity::PerChannel)
    scales = layer.channels;
  if (int64_t group = precision.getGroupSize()) {
    if (!layer.groupable || layer.reduction % group)
      return std::nullopt;
    scales = layer.elements / group;
  }
  return (layer.elements * bits + 7) / 8 + 4 * scales;
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
    if (data.empty() || (budgetBytes > 0) == (bitsPerWeight > 0)) {
      emitError(module.getLoc(), "qc-assign-precision needs data= and exactly "
                                 "one of budget-bytes= and bits-per-weight=");
      return signalPassFailure();
    }
    SmallVector<PrecisionAttr> options;
    for (StringRef name : candidates.empty()
                              ? SmallVector<std::string>{"f32", "bf16", "i8",
                                                         "w8", "w4g32"}
                              : SmallVector<std::string>(candidates.begin(),
                                                         candidates.end())) {
      FailureOr<PrecisionAttr> p = parseCandidate(&getContext(), name);
      if (failed(p)) {
        emitError(module.getLoc(), "unknown candidate precision '")
            << name << "' (f32, bf16, i8, w8 or w4g<N>)";
        return signalPassFailure();
      }
      options.push_back(*p);
    }
    if (failed(assign(module, func, options)))
      signalPassFailure();
  }

  LogicalResult assign(ModuleOp module, func::FuncOp func,
                       ArrayRef<PrecisionAttr> options) {
    std::vector<Layer> layers;
    func.walk([&](Operation *op) {
      if (!op->hasAttr("qc.precision"))
        if (std::optional<Layer> layer = getLayer(op))
          layers.push_back(*layer);
    });
    llvm::Expected<std::vector<calibration::Sample>> samples =
        calibration::loadCalibrationSet(func, data, maxSamples);
    if (!samples)
      return emitError(func.getLoc(), toString(samples.takeError()));
    std::vector<std::vector<Tensor>> reference;
    for (const calibration::Sample &sample : *samples) {
      auto outputs = reference::evaluateFunction(func, sample);
      if (failed(outputs))
        return failure();
      reference.push_back(std::vector<Tensor>(outputs->begin(), outputs->end()));
    }
    // One group per layer: its applicable candidates, priced and measured.
    std::vector<SmallVector<precision::Option>> groups(layers.size());
    std::vector<SmallVector<PrecisionAttr>> choices(layers.size());
    int64_t totalElements = 0;
    for (auto [index, layer] : llvm::enumerate(layers)) {
      totalElements += layer.elements;
      for (PrecisionAttr candidate : options) {
        std::optional<int64_t> bytes = weightBytes(layer, candidate);
        if (!bytes)
          continue;
        FailureOr<double> error =
            isFloat32(candidate) ? FailureOr<double>(0.0)
                                 : measure(module, index, candidate, *samples,
                                           reference);
        if (failed(error))
          return failure();
        groups[index].push_back({*bytes, *error});
        choices[index].push_back(candidate);
      }
    }
    int64_t budget = budgetBytes > 0
                         ? int64_t(budgetBytes)
                         : int64_t(bitsPerWeight * totalElements / 8);
    std::optional<precision::Assignment> best = precision::minimizeError(groups, budget);
    if (!best) {
      int64_t smallest = 0;
      for (const auto &group : groups) {
        int64_t least = INT64_MAX;
        for (const precision::Option &o : group)
          least = std::min(least, o.cost);
        smallest += group.empty() ? 0 : least;
      }
      return emitError(func.getLoc(), "no precision assignment fits ")
             << budget << " bytes of weights; the smallest takes " << smallest;
    }
    for (auto [index, layer] : llvm::enumerate(layers)) {
      unsigned choice = best->choices[index];
      layer.op->setAttr("qc.precision", choices[index][choice]);
      layer.op->setAttr("qc.sensitivity",
                        Builder(&getContext()).getF64FloatAttr(groups[index][choice].error));
    }
    return success();
  }

  static bool isFloat32(PrecisionAttr p) {
    return p.getActivation().isF32() && p.getWeight().isF32();
  }

  /// The relative output noise power with only layer `index` at `candidate`.
  FailureOr<double> measure(ModuleOp module, size_t index,
                            PrecisionAttr candidate,
                            ArrayRef<calibration::Sample> samples,
                            ArrayRef<std::vector<Tensor>> reference) {
    OwningOpRef<ModuleOp> trial = module.clone();
    auto func = trial->lookupSymbol<func::FuncOp>("main");
    PrecisionAttr f32 = *parseCandidate(module.getContext(), "f32");
    size_t seen = 0;
    func.walk([&](Operation *op) {
      if (op->hasAttr("qc.precision") || !getLayer(op))
        return;
      op->setAttr("qc.precision", seen++ == index ? candidate : f32);
    });
    PassManager pm(module.getContext());
    QCQuantizeOptions quantize;
    quantize.scope = "layers";
    pm.addPass(createQCQuantize(quantize));
    if (failed(pm.run(*trial)))
      return emitError(module.getLoc(), "cannot quantize one layer to ")
             << candidate << " (is the model calibrated?)";
    double signal = 0, noise = 0;
    for (auto [sample, expected] : llvm::zip(samples, reference)) {
      auto outputs = reference::evaluateFunction(func, sample);
      if (failed(outputs))
        return failure();
      for (auto [actual, want] : llvm::zip(*outputs, expected))
        for (auto [a, e] : llvm::zip(actual.floats(), want.floats())) {
          signal += double(e) * e;
          noise += (double(a) - e) * (double(a) - e);
        }
    }
    return signal > 0 ? noise / signal : noise;
  }
};
} // namespace
