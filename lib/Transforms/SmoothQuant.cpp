//===- SmoothQuant.cpp - the qc-smooth-quant pass ---------------*- C++ -*-===//
//
// SmoothQuant's migration of activation outliers into the weights (see the
// pass description): per input channel, s = max|x|^alpha / max|w|^(1-alpha).
//
//===----------------------------------------------------------------------===//
#include "quantc/Reference/Evaluator.h"
#include "quantc/Transforms/Passes.h"

#include "ChannelScaling.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>

namespace quantc {
#define GEN_PASS_DEF_QCSMOOTHQUANT
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;
using reference::Tensor;

namespace {
/// The largest channel range over the mean one: how far the outliers stand
/// out of the row an int8 scale covers.
double outlierRatio(ArrayRef<double> range) {
  double sum = 0, top = 0;
  for (double r : range) {
    sum += r;
    top = std::max(top, r);
  }
  return sum > 0 ? top * range.size() / sum : 1.0;
}

struct SmoothQuantPass : quantc::impl::QCSmoothQuantBase<SmoothQuantPass> {
  using Base::Base;

  void runOnOperation() override {
    if (data.empty()) {
      emitError(getOperation().getLoc(),
                "qc-smooth-quant needs data= (calibration .npz files or directories)");
      return signalPassFailure();
    }
    if (!(alpha >= 0.0 && alpha <= 1.0)) {
      emitError(getOperation().getLoc(), "qc-smooth-quant: alpha must be in [0, 1], got ")
          << alpha.getValue();
      return signalPassFailure();
    }
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (failed(smoothFunction(func)))
        return signalPassFailure();
  }

  LogicalResult smoothFunction(func::FuncOp func) {
    SmallVector<ScalingGroup> groups = collectScalingGroups(func);
    if (groups.empty())
      return success();
    FailureOr<LayerStatisticsMap> stats =
        measureGroupInputs(func, groups, data, maxSamples, /*withMoments=*/false);
    if (failed(stats))
      return failure();
    double before = 0, after = 0;
    for (const ScalingGroup &group : groups) {
      auto [ratioBefore, ratioAfter] =
          smoothGroup(group, stats->find(group.consumers.front())->second.maxAbs(0));
      before = std::max(before, ratioBefore);
      after = std::max(after, ratioAfter);
    }
    emitRemark(func.getLoc()) << "smoothquant: scaled " << groups.size()
                              << " input groups (alpha "
                              << llvm::formatv("{0:F2}", alpha.getValue()).str()
                              << "); largest channel range over the mean "
                              << llvm::formatv("{0:F1}", before).str() << " -> "
                              << llvm::formatv("{0:F1}", after).str();
    return success();
  }

  /// Scales `group` by SmoothQuant's s; returns the outlier ratio of its
  /// input before and after.
  std::pair<double, double> smoothGroup(const ScalingGroup &group, ArrayRef<float> inputMax) {
    int64_t k = inputMax.size();
    SmallVector<Tensor> weights;
    std::vector<double> weightMax(k, 0.0);
    for (MatMulOp consumer : group.consumers) {
      weights.push_back(*reference::getConstantValue(getConstantWeight(consumer)));
      const Tensor &w = weights.back();
      int64_t n = w.getShape()[1];
      for (int64_t r = 0; r < k; ++r)
        for (int64_t j = 0; j < n; ++j)
          weightMax[r] = std::max<double>(weightMax[r], std::fabs(w.floats()[r * n + j]));
    }
    std::vector<double> s(k, 1.0), rangeBefore(k), rangeAfter(k);
    for (int64_t r = 0; r < k; ++r) {
      if (inputMax[r] > 0 && weightMax[r] > 0)
        s[r] = std::pow(static_cast<double>(inputMax[r]), alpha.getValue()) /
               std::pow(weightMax[r], 1.0 - alpha.getValue());
      rangeBefore[r] = inputMax[r];
      rangeAfter[r] = inputMax[r] / s[r];
    }
    applyChannelScaling(group, s, weights, "smoothquant");
    return {outlierRatio(rangeBefore), outlierRatio(rangeAfter)};
  }
};
} // namespace
