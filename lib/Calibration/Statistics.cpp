//===- Statistics.cpp - per-tensor calibration summaries --------*- C++ -*-===//
#include "quantc/Calibration/Statistics.h"

#include <algorithm>
#include <cmath>

using namespace quantc::calibration;

void TensorStatistics::observeRange(llvm::ArrayRef<float> values) {
  float lo = INFINITY, hi = -INFINITY;
  for (float v : values) {
    if (std::isnan(v))
      continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (lo > hi)
    return;
  if (batches == 0) {
    min = lo;
    max = hi;
  } else {
    min = std::min<double>(min, lo);
    max = std::max<double>(max, hi);
  }
  batchMinSum += lo;
  batchMaxSum += hi;
  ++batches;
}

void TensorStatistics::startHistogram(int64_t numBins) {
  histogramLimit = std::max({std::fabs(min), std::fabs(max), 1e-12});
  histogram.assign(numBins, 0.0);
}

void TensorStatistics::observeHistogram(llvm::ArrayRef<float> values) {
  if (histogram.empty())
    return;
  int64_t numBins = histogram.size();
  double binsPerUnit = numBins / (2 * histogramLimit);
  for (float v : values) {
    if (std::isnan(v))
      continue;
    int64_t bin = static_cast<int64_t>((v + histogramLimit) * binsPerUnit);
    ++histogram[std::clamp<int64_t>(bin, 0, numBins - 1)];
  }
}
