//===- GPTQ.cpp - GPTQ rounding of integer weights --------------*- C++ -*-===//
//
// GPTQ (Frantar et al., 2022) as an adjustment of qc-quantize: the levels of
// one row are chosen input by input; the error of each rounding is spread
// over the inputs not yet rounded so that the row's output on the measured
// inputs moves as little as possible. With H the damped second moment of
// the inputs (in rounding order) and U the upper Cholesky factor of H^-1,
// rounding input i adds err_i = (w_i - s_i q_i) / U_ii times -U_ij to every
// later weight j.
//
// The published algorithm works column by column over the whole matrix (in
// blocks, to batch the updates); rows are independent given U, so this one
// takes a row at a time, which gives the same levels with the updates
// applied in the same order, and runs rows in parallel.
//
//===----------------------------------------------------------------------===//
#include "WeightAdjustment.h"

#include "quantc/Dialect/QC/QuantUtils.h"

#include "llvm/Support/Parallel.h"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <numeric>

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;

namespace {
using RowMajorMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// The rounding order and U for one row group's second moment `moment`
/// (size x size, row-major).
struct FeedbackFactor {
  std::vector<int64_t> order;
  std::vector<bool> dead;
  RowMajorMatrix upper;
};

FailureOr<FeedbackFactor> factorize(ArrayRef<double> moment, int64_t size,
                                    const GPTQOptions &options) {
  FeedbackFactor f;
  f.dead.assign(size, false);
  Eigen::VectorXd diagonal(size);
  for (int64_t k = 0; k < size; ++k) {
    diagonal[k] = moment[k * size + k];
    // An input that was always zero: any weight is as good; it gets level 0
    // and a unit diagonal keeps H invertible.
    if (diagonal[k] <= 0) {
      f.dead[k] = true;
      diagonal[k] = 1.0;
    }
  }
  f.order.resize(size);
  std::iota(f.order.begin(), f.order.end(), 0);
  if (options.actOrder)
    std::stable_sort(f.order.begin(), f.order.end(),
                     [&](int64_t a, int64_t b) { return diagonal[a] > diagonal[b]; });
  double damping = options.damping * diagonal.mean();
  Eigen::MatrixXd h(size, size);
  for (int64_t i = 0; i < size; ++i)
    for (int64_t j = 0; j < size; ++j)
      h(i, j) = f.dead[f.order[i]] || f.dead[f.order[j]]
                    ? 0.0
                    : moment[f.order[i] * size + f.order[j]];
  for (int64_t i = 0; i < size; ++i)
    h(i, i) = diagonal[f.order[i]] + damping;
  Eigen::LLT<Eigen::MatrixXd> factor(h);
  if (factor.info() != Eigen::Success)
    return failure();
  Eigen::MatrixXd inverse = factor.solve(Eigen::MatrixXd::Identity(size, size));
  Eigen::LLT<Eigen::MatrixXd> inverseFactor(inverse);
  if (inverseFactor.info() != Eigen::Success)
    return failure();
  f.upper = inverseFactor.matrixU();
  return f;
}

/// Rounds one row in `f.order`; returns how many levels changed.
int64_t roundRow(WeightLevels weights, ArrayRef<float> w, const WeightRows &rows,
                 int64_t row, const FeedbackFactor &f) {
  int64_t size = rows.reduction, changed = 0;
  std::vector<double> remaining(size);
  for (int64_t j = 0; j < size; ++j)
    remaining[j] = f.dead[f.order[j]] ? 0.0 : w[rows.index(row, f.order[j])];
  for (int64_t j = 0; j < size; ++j) {
    int64_t index = rows.index(row, f.order[j]);
    double scale = weights.scaleOf(index);
    int64_t level = std::clamp<int64_t>(
        roundToInt(remaining[j] / scale, RoundingMode::HalfToEven) + weights.zeroOf(index),
        weights.qmin, weights.qmax);
    changed += level != weights.levels[index];
    weights.levels[index] = level;
    double error = (remaining[j] - weights.value(index)) / f.upper(j, j);
    const double *u = f.upper.data() + j * size;
    for (int64_t t = j + 1; t < size; ++t)
      remaining[t] -= error * u[t];
  }
  return changed;
}
} // namespace

FailureOr<int64_t> qc::roundByGPTQ(WeightLevels weights, ArrayRef<float> w,
                                   const WeightRows &rows,
                                   const LayerInputStatistics &stats,
                                   const GPTQOptions &options) {
  std::atomic<int64_t> changed = 0;
  int64_t groups = (rows.rows + rows.rowsPerGroup - 1) / rows.rowsPerGroup;
  for (int64_t group = 0; group < groups; ++group) {
    FailureOr<FeedbackFactor> f =
        factorize(stats.moment(group), rows.reduction, options);
    if (failed(f))
      return failure();
    int64_t first = group * rows.rowsPerGroup;
    int64_t last = std::min(rows.rows, first + rows.rowsPerGroup);
    llvm::parallelFor(first, last, [&](size_t row) {
      changed += roundRow(weights, w, rows, row, *f);
    });
  }
  return changed.load();
}
