//===- AWQ.cpp - the qc-awq pass --------------------------------*- C++ -*-===//
//
// Activation-aware weight scaling (Lin et al., 2023): input channels that
// carry large activations are scaled up in the weights before rounding and
// down in what produces them, which leaves the float model as it was and
// moves rounding error away from the channels that matter. The search needs
// only the second moment M of each group's input: the output error of
// quantized weights W_q = diag(1/s) Q(diag(s) W) is tr(dW^T M dW).
//
// The optional clipping search (AWQ's auto-clip) then narrows each weight
// group's range where the rounding error saved on the rest of the group is
// worth more, to the outputs, than the error of the clipped outliers.
//
//===----------------------------------------------------------------------===//
#include "quantc/Calibration/CalibrationSet.h"
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Dialect/QC/QuantUtils.h"
#include "quantc/Reference/Evaluator.h"
#include "quantc/Reference/Sgemm.h"
#include "quantc/Transforms/Passes.h"

#include "ChannelScaling.h"
#include "PrecisionRules.h"
#include "WeightAdjustment.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Parallel.h"

#include <cmath>

namespace quantc {
#define GEN_PASS_DEF_QCACTIVATIONAWARESCALING
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;
using reference::Tensor;

namespace {
/// Columns of a weight the search looks at, evenly strided: the error of a
/// few thousand output channels ranks the candidates as well as all of them
/// (an output layer has tens of thousands).
constexpr int64_t kMaxSearchColumns = 2048;

/// dW = diag(1/s) Q(diag(s) W) - W for the searched columns of W [k, n],
/// rounded as qc-quantize will: per output column or per group of `group`
/// rows of a column (0: per column).
std::vector<float> roundingError(const Tensor &w, ArrayRef<double> s, const WeightFormat &f,
                                 int64_t group, int64_t columns, int64_t stride) {
  int64_t k = w.getShape()[0], n = w.getShape()[1];
  group = group > 0 ? group : k;
  std::vector<float> error(k * columns), block(group);
  for (int64_t c = 0; c < columns; ++c) {
    int64_t j = c * stride;
    for (int64_t g0 = 0; g0 < k; g0 += group) {
      for (int64_t r = 0; r < group; ++r)
        block[r] = static_cast<float>(w.floats()[(g0 + r) * n + j] * s[g0 + r]);
      WeightGrid grid = chooseWeightGrid(block, f);
      for (int64_t r = 0; r < group; ++r) {
        int64_t level = grid.level(block[r], f);
        error[(g0 + r) * columns + c] = static_cast<float>(
            (level - grid.zeroPoint) * grid.scale / s[g0 + r] - w.floats()[(g0 + r) * n + j]);
      }
    }
  }
  return error;
}

/// tr(dW^T M dW) for dW [k, columns], M [k, k] (f32, row-major).
double outputError(ArrayRef<float> moment, ArrayRef<float> error, int64_t k, int64_t columns) {
  std::vector<float> product(k * columns);
  reference::sgemm(k, columns, k, moment.data(), k, error.data(), columns, product.data(),
                   columns, /*accumulate=*/false);
  double sum = 0;
  for (int64_t i = 0, e = k * columns; i < e; ++i)
    sum += static_cast<double>(product[i]) * error[i];
  return sum;
}

/// AWQ's clipping ratios of a group's range: 1, 0.95, ..., 0.55.
constexpr int kClipRatios = 10;
constexpr double kClipStep = 0.05;

/// The bounds a clipping candidate keeps of a group whose values span
/// [low, high] (0 included): candidates 0 to kClipRatios - 1 are AWQ's
/// +-r max|w|; for an asymmetric grid, the next ones shrink both ends,
/// [r low, r high], which that grid spans.
std::pair<float, float> clipBounds(int candidate, float low, float high) {
  double r = 1 - (candidate % kClipRatios) * kClipStep;
  if (candidate >= kClipRatios)
    return {static_cast<float>(r * low), static_cast<float>(r * high)};
  auto bound = static_cast<float>(r * std::max(-low, high));
  return {-bound, bound};
}

/// What the clipping search did over a function's weights.
struct ClipSummary {
  int64_t searched = 0, clipped = 0; // weight groups
  double errorBefore = 0, errorAfter = 0;
};

/// Clips every group of `group` rows of each column of `w` [k, n] to the
/// bounds (clipBounds) of least output error dW^T M_gg dW, the group's
/// weights rounded as qc-quantize will (after clipping); cross-group terms of
/// M are left out, as AWQ leaves them. Adds the groups and their summed
/// errors, unclipped and at the chosen bounds, to `summary`.
void clipWeights(Tensor &w, ArrayRef<float> moment, const WeightFormat &f, int64_t group,
                 ClipSummary &summary) {
  int64_t k = w.getShape()[0], n = w.getShape()[1];
  group = group > 0 ? group : k;
  int candidates = f.asymmetric ? 2 * kClipRatios : kClipRatios;
  float *values = w.floats().data();
  std::vector<float> block(group * group), error(group * n), product(group * n), low(n),
      high(n);
  std::vector<double> least(n);
  std::vector<int> chosen(n);
  for (int64_t g0 = 0; g0 < k; g0 += group) {
    for (int64_t r = 0; r < group; ++r)
      std::copy_n(moment.data() + (g0 + r) * k + g0, group, block.data() + r * group);
    for (int64_t j = 0; j < n; ++j) {
      low[j] = high[j] = 0;
      for (int64_t r = 0; r < group; ++r) {
        low[j] = std::min(low[j], values[(g0 + r) * n + j]);
        high[j] = std::max(high[j], values[(g0 + r) * n + j]);
      }
    }
    std::fill(least.begin(), least.end(), INFINITY);
    for (int candidate = 0; candidate < candidates; ++candidate) {
      llvm::parallelFor(0, n, [&](size_t j) {
        SmallVector<float, 256> clamped(group);
        auto [lo, hi] = clipBounds(candidate, low[j], high[j]);
        for (int64_t row = 0; row < group; ++row)
          clamped[row] = std::clamp(values[(g0 + row) * n + j], lo, hi);
        WeightGrid grid = chooseWeightGrid(clamped, f);
        for (int64_t row = 0; row < group; ++row)
          error[row * n + j] = static_cast<float>(grid.value(grid.level(clamped[row], f)) -
                                                  values[(g0 + row) * n + j]);
      });
      reference::sgemm(group, n, group, block.data(), group, error.data(), n, product.data(), n,
                       /*accumulate=*/false);
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        for (int64_t row = 0; row < group; ++row)
          sum += static_cast<double>(product[row * n + j]) * error[row * n + j];
        summary.errorBefore += candidate == 0 ? sum : 0;
        if (sum < least[j]) {
          least[j] = sum;
          chosen[j] = candidate;
        }
      }
    }
    summary.searched += n;
    for (int64_t j = 0; j < n; ++j) {
      summary.errorAfter += least[j];
      if (chosen[j] % kClipRatios == 0) // r = 1: nothing clipped
        continue;
      ++summary.clipped;
      auto [lo, hi] = clipBounds(chosen[j], low[j], high[j]);
      for (int64_t row = 0; row < group; ++row)
        values[(g0 + row) * n + j] = std::clamp(values[(g0 + row) * n + j], lo, hi);
    }
  }
}

Tensor valueOf(ConstantOp constant) { return *reference::getConstantValue(constant); }

struct AWQPass : quantc::impl::QCActivationAwareScalingBase<AWQPass> {
  using Base::Base;

  void runOnOperation() override {
    if (data.empty()) {
      emitError(getOperation().getLoc(), "qc-awq needs data= (calibration .npz files or "
                                         "directories)");
      return signalPassFailure();
    }
    unsigned bits = weight == "i8" ? 8 : weight == "i4" ? 4 : 0;
    if (!bits || (granularity != "per_channel" && granularity != "per_group") ||
        (granularity == "per_group" && groupSize <= 0) ||
        (weightRange != "minmax" && weightRange != "mse") ||
        (weightScheme != "symmetric" && weightScheme != "asymmetric") || grid < 1) {
      emitError(getOperation().getLoc(), "qc-awq: weight must be i8 or i4, granularity "
                                         "per_channel or per_group (with group-size > 0), "
                                         "weight-range minmax or mse, weight-scheme "
                                         "symmetric or asymmetric, grid >= 1");
      return signalPassFailure();
    }
    format = {bits, weightRange == "mse", weightScheme == "asymmetric"};
    formatGroup = granularity == "per_group" ? groupSize : 0;
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (failed(scaleFunction(func)))
        return signalPassFailure();
  }

  LogicalResult scaleFunction(func::FuncOp func) {
    SmallVector<ScalingGroup> groups =
        collectScalingGroups(func, formatGroup > 0 ? formatGroup : 1);
    if (groups.empty())
      return success();
    clipped = ClipSummary();
    FailureOr<LayerStatisticsMap> stats =
        measureGroupInputs(func, groups, data, maxSamples, /*withMoments=*/true);
    if (failed(stats))
      return failure();
    double before = 0, after = 0;
    int64_t scaled = 0;
    for (const ScalingGroup &group : groups) {
      auto [errorBefore, errorAfter] =
          scaleGroup(group, stats->find(group.consumers.front())->second);
      before += errorBefore;
      after += errorAfter;
      scaled += errorAfter < errorBefore;
    }
    emitRemark(func.getLoc()) << "awq: scaled " << scaled << " of " << groups.size()
                              << " input groups; quantized output error "
                              << llvm::formatv("{0:E2}", before).str() << " -> "
                              << llvm::formatv("{0:E2}", after).str();
    if (clip)
      emitRemark(func.getLoc()) << "awq: clipped " << clipped.clipped << " of "
                                << clipped.searched << " weight groups; quantized output error "
                                << llvm::formatv("{0:E2}", clipped.errorBefore).str() << " -> "
                                << llvm::formatv("{0:E2}", clipped.errorAfter).str();
    return success();
  }

  /// Searches alpha for `group` and applies the best scaling; returns the
  /// estimated output error without and with it.
  std::pair<double, double> scaleGroup(const ScalingGroup &group,
                                       const LayerInputStatistics &stats) {
    int64_t k = stats.getPatchSize();
    ArrayRef<double> m = stats.moment(0);
    std::vector<float> moment(m.begin(), m.end());
    std::vector<double> rms(k);
    double top = 0;
    for (int64_t i = 0; i < k; ++i)
      top = std::max(top, rms[i] = std::sqrt(std::max(0.0, m[i * k + i])));
    SmallVector<Tensor> weights;
    for (MatMulOp consumer : group.consumers)
      weights.push_back(valueOf(getConstantWeight(consumer)));
    auto errorOf = [&](ArrayRef<double> s) {
      double sum = 0;
      for (const Tensor &w : weights) {
        int64_t n = w.getShape()[1];
        int64_t stride = std::max<int64_t>(1, n / kMaxSearchColumns);
        int64_t columns = (n + stride - 1) / stride;
        sum += outputError(moment, roundingError(w, s, format, formatGroup, columns, stride),
                           k, columns);
      }
      return sum;
    };
    std::vector<double> ones(k, 1.0), best = ones, s(k);
    double baseline = errorOf(ones), bestError = baseline;
    if (top == 0)
      return {baseline, baseline};
    for (int64_t step = 1; step < grid; ++step) {
      double alpha = static_cast<double>(step) / grid, lo = INFINITY, hi = 0;
      for (int64_t i = 0; i < k; ++i) {
        s[i] = std::pow(std::max(rms[i], 1e-6 * top), alpha);
        lo = std::min(lo, s[i]);
        hi = std::max(hi, s[i]);
      }
      double norm = std::sqrt(lo * hi);
      for (double &v : s)
        v /= norm;
      if (double error = errorOf(s); error < bestError) {
        bestError = error;
        best = s;
      }
    }
    if (!clip) {
      if (bestError < baseline)
        applyChannelScaling(group, best, weights, "awq");
      return {baseline, bestError};
    }
    // The clipped weights read the scaled input x / s.
    ArrayRef<double> chosen = bestError < baseline ? best : ones;
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < k; ++j)
        moment[i * k + j] = static_cast<float>(m[i * k + j] / (chosen[i] * chosen[j]));
    applyChannelScaling(group, chosen, weights, "awq", [&](Tensor &scaled) {
      clipWeights(scaled, moment, format, formatGroup, clipped);
    });
    return {baseline, bestError};
  }

  WeightFormat format;
  int64_t formatGroup = 0;
  ClipSummary clipped;
};
} // namespace
