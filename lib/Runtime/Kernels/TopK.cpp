//===- TopK.cpp - positions of the k largest or smallest values -*- C++ -*-===//
//
// qc.top_k: per slice, a partial sort of the positions, O(size log k). The
// order is total (NaN above every number, ties by position), so the result
// is the evaluator's stable sort exactly.
//
//===----------------------------------------------------------------------===//
#include "quantc/Runtime/Microkernels.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

extern "C" void quantc_top_k(const float *input, const int64_t *params, int64_t *indices) {
  int64_t outer = params[QC_TOP_K_OUTER], size = params[QC_TOP_K_SIZE];
  int64_t inner = params[QC_TOP_K_INNER], k = params[QC_TOP_K_K];
  bool largest = params[QC_TOP_K_LARGEST] != 0;
  std::vector<int64_t> order(size);
  std::vector<float> row(size);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      for (int64_t j = 0; j < size; ++j)
        row[j] = input[(o * size + j) * inner + i];
      std::iota(order.begin(), order.end(), 0);
      auto before = [&](int64_t a, int64_t b) {
        float x = row[a], y = row[b];
        bool xNaN = std::isnan(x), yNaN = std::isnan(y);
        if (xNaN != yNaN)
          return largest ? xNaN : yNaN;
        if (!xNaN && x != y)
          return largest ? x > y : x < y;
        return a < b;
      };
      std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
      for (int64_t r = 0; r < k; ++r)
        indices[(o * k + r) * inner + i] = order[r];
    }
}
