//===- Statistics.h - activation statistics and range estimators -*- C++ -*-===//
//
// Calibration observes every float tensor of a graph while the reference
// evaluator runs it on calibration data, keeps a small summary per tensor
// (extremes, per-batch extremes, a histogram), and turns each summary into a
// clipping range with one of the estimators. Summaries are saved to and
// loaded from JSON so that a model is calibrated once and re-estimated at will.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_CALIBRATION_STATISTICS_H
#define QUANTC_CALIBRATION_STATISTICS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace quantc::calibration {

/// The summary of one tensor over the calibration set.
struct TensorStatistics {
  double min = 0, max = 0;
  /// Sums of per-batch minima and maxima, for the moving average.
  double batchMinSum = 0, batchMaxSum = 0;
  int64_t batches = 0;
  /// Counts over [-histogramLimit, histogramLimit] in equal bins (empty when
  /// no histogram was collected).
  double histogramLimit = 0;
  std::vector<double> histogram;

  /// Folds one batch's values into min/max and the per-batch sums.
  void observeRange(llvm::ArrayRef<float> values);
  /// Allocates `numBins` bins covering the range seen so far.
  void startHistogram(int64_t numBins);
  /// Adds one batch's values to the histogram.
  void observeHistogram(llvm::ArrayRef<float> values);
};

enum class RangeEstimator { MinMax, MovingAverage, Percentile, Entropy, Mse };

/// Parses `minmax`, `moving-average`, `percentile`, `entropy` or `mse`.
std::optional<RangeEstimator> parseRangeEstimator(llvm::StringRef name);
/// Whether the estimator needs a histogram.
bool needsHistogram(RangeEstimator estimator);

struct EstimatorOptions {
  RangeEstimator estimator = RangeEstimator::MinMax;
  /// For `percentile`: the fraction of values kept in each tail, in percent.
  double percentile = 99.99;
  /// Bit width of the quantized tensors the range is chosen for.
  unsigned bits = 8;
};

/// The clipping range [lo, hi] (always containing 0) of `stats`.
std::pair<double, double> estimateRange(const TensorStatistics &stats,
                                        const EstimatorOptions &options);

/// Statistics of every observed tensor, by tensor name.
using StatisticsMap = std::map<std::string, TensorStatistics>;

llvm::Error writeStatistics(llvm::StringRef path, const StatisticsMap &stats);
llvm::Expected<StatisticsMap> readStatistics(llvm::StringRef path);

} // namespace quantc::calibration

#endif // QUANTC_CALIBRATION_STATISTICS_H
