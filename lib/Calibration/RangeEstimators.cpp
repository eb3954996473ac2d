//===- RangeEstimators.cpp - clipping ranges from statistics ----*- C++ -*-===//
//
// min/max, moving average, percentile, entropy (KL, TensorRT's method on the
// histogram of |x|) and MSE-optimal clipping.
//
//===----------------------------------------------------------------------===//
#include "quantc/Calibration/Statistics.h"

#include "llvm/ADT/StringSwitch.h"
#include <algorithm>
#include <cmath>
#include <numeric>

using namespace quantc::calibration;

std::optional<RangeEstimator>
quantc::calibration::parseRangeEstimator(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<RangeEstimator>>(name)
      .Case("minmax", RangeEstimator::MinMax)
      .Case("moving-average", RangeEstimator::MovingAverage)
      .Case("percentile", RangeEstimator::Percentile)
      .Case("entropy", RangeEstimator::Entropy)
      .Case("mse", RangeEstimator::Mse)
      .Default(std::nullopt);
}

bool quantc::calibration::needsHistogram(RangeEstimator estimator) {
  return estimator == RangeEstimator::Percentile ||
         estimator == RangeEstimator::Entropy ||
         estimator == RangeEstimator::Mse;
}

namespace {
double binWidth(const TensorStatistics &s) {
  return 2 * s.histogramLimit / s.histogram.size();
}

/// The histogram of |x|: the two halves of the symmetric histogram folded.
std::vector<double> absoluteHistogram(const TensorStatistics &s) {
  size_t half = s.histogram.size() / 2;
  std::vector<double> result(half);
  for (size_t j = 0; j < half; ++j)
    result[j] = s.histogram[half + j] + s.histogram[half - 1 - j];
  return result;
}

/// The range [max(min, -t), min(max, t)] of a symmetric threshold t.
std::pair<double, double> clipToThreshold(const TensorStatistics &s, double t) {
  return {std::max(s.min, -t), std::min(s.max, t)};
}

std::pair<double, double> percentileRange(const TensorStatistics &s,
                                          double percentile) {
  double total = std::accumulate(s.histogram.begin(), s.histogram.end(), 0.0);
  double tail = total * (100.0 - percentile) / 100.0;
  double width = binWidth(s);
  int64_t n = s.histogram.size();
  int64_t lo = 0, hi = n - 1;
  for (double seen = 0; lo < n - 1 && seen + s.histogram[lo] <= tail; ++lo)
    seen += s.histogram[lo];
  for (double seen = 0; hi > 0 && seen + s.histogram[hi] <= tail; --hi)
    seen += s.histogram[hi];
  return {std::max(s.min, -s.histogramLimit + lo * width),
          std::min(s.max, -s.histogramLimit + (hi + 1) * width)};
}

/// KL divergence between the clipped reference distribution and its
/// quantization to `levels` bins, for the first `bins` bins of `hist`.
double clippedKL(const std::vector<double> &hist, int64_t bins, int64_t levels) {
  std::vector<double> p(hist.begin(), hist.begin() + bins);
  for (size_t j = bins; j < hist.size(); ++j)
    p[bins - 1] += hist[j];
  std::vector<double> q(bins, 0.0);
  double merged = static_cast<double>(bins) / levels;
  for (int64_t l = 0; l < levels; ++l) {
    int64_t begin = static_cast<int64_t>(l * merged);
    int64_t end = l == levels - 1 ? bins : static_cast<int64_t>((l + 1) * merged);
    double sum = 0;
    int64_t nonzero = 0;
    for (int64_t j = begin; j < end; ++j) {
      sum += hist[j];
      nonzero += hist[j] != 0;
    }
    for (int64_t j = begin; j < end && nonzero; ++j)
      q[j] = hist[j] != 0 ? sum / nonzero : 0.0;
  }
  double pSum = std::accumulate(p.begin(), p.end(), 0.0);
  double qSum = std::accumulate(q.begin(), q.end(), 0.0);
  if (pSum == 0 || qSum == 0)
    return INFINITY;
  double kl = 0;
  for (int64_t j = 0; j < bins; ++j) {
    if (p[j] == 0)
      continue;
    double pj = p[j] / pSum, qj = std::max(q[j] / qSum, 1e-12);
    kl += pj * std::log(pj / qj);
  }
  return kl;
}

std::pair<double, double> entropyRange(const TensorStatistics &s,
                                       unsigned bits) {
  std::vector<double> hist = absoluteHistogram(s);
  int64_t levels = int64_t(1) << (bits - 1);
  int64_t n = hist.size();
  if (n <= levels)
    return {s.min, s.max};
  int64_t best = n;
  double bestKL = INFINITY;
  for (int64_t bins = levels; bins <= n; ++bins) {
    double kl = clippedKL(hist, bins, levels);
    // Prefer the smallest threshold among (numerically) equal divergences.
    if (kl < bestKL * (1 - 1e-9) - 1e-15) {
      bestKL = kl;
      best = bins;
    }
  }
  return clipToThreshold(s, best * binWidth(s));
}

/// Expected squared error of quantizing the histogram to `bits` bits over
/// [lo, hi], with values at bin centres.
double quantizationError(const TensorStatistics &s, double lo, double hi,
                         unsigned bits) {
  double levels = std::ldexp(1.0, bits) - 1;
  double scale = (hi - lo) / levels;
  if (scale <= 0)
    return INFINITY;
  double width = binWidth(s), error = 0;
  for (size_t j = 0; j < s.histogram.size(); ++j) {
    if (s.histogram[j] == 0)
      continue;
    double x = -s.histogramLimit + (j + 0.5) * width;
    double q = std::clamp(std::nearbyint((x - lo) / scale), 0.0, levels);
    double d = x - (lo + q * scale);
    error += s.histogram[j] * d * d;
  }
  return error;
}

std::pair<double, double> mseRange(const TensorStatistics &s, unsigned bits) {
  int64_t half = s.histogram.size() / 2;
  int64_t step = std::max<int64_t>(1, half / 512);
  std::pair<double, double> best = {s.min, s.max};
  double bestError = INFINITY;
  for (int64_t j = half; j >= 1; j -= step) {
    auto [lo, hi] = clipToThreshold(s, j * binWidth(s));
    double error = quantizationError(s, std::min(lo, 0.0), std::max(hi, 0.0), bits);
    if (error < bestError) {
      bestError = error;
      best = {lo, hi};
    }
  }
  return best;
}
} // namespace

std::pair<double, double>
quantc::calibration::estimateRange(const TensorStatistics &stats,
                                   const EstimatorOptions &options) {
  std::pair<double, double> range = {stats.min, stats.max};
  bool hasHistogram = stats.histogram.size() >= 2;
  switch (options.estimator) {
  case RangeEstimator::MinMax:
    break;
  case RangeEstimator::MovingAverage:
    if (stats.batches)
      range = {stats.batchMinSum / stats.batches,
               stats.batchMaxSum / stats.batches};
    break;
  case RangeEstimator::Percentile:
    if (hasHistogram)
      range = percentileRange(stats, options.percentile);
    break;
  case RangeEstimator::Entropy:
    if (hasHistogram)
      range = entropyRange(stats, options.bits);
    break;
  case RangeEstimator::Mse:
    if (hasHistogram)
      range = mseRange(stats, options.bits);
    break;
  }
  // Zero must be exactly representable (padding, ReLU outputs).
  return {std::min(range.first, 0.0), std::max(range.second, 0.0)};
}
