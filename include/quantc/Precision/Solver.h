//===- Solver.h - exact precision assignment under a budget -----*- C++ -*-===//
//
// The optimization at the heart of mixed precision: every group of layers
// (layers that must agree decide together) picks one of its candidate
// precisions, each with a cost (weight bytes, or latency) and a predicted
// error; totals are sums. The solver computes the exact Pareto front of
// (total cost, total error) by merging per-group fronts and discarding
// dominated partial assignments, so a budget on either side is answered
// exactly, not greedily.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_PRECISION_SOLVER_H
#define QUANTC_PRECISION_SOLVER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace quantc::precision {

/// One candidate precision of a group.
struct Option {
  int64_t cost;
  double error;
};

/// A choice of one option per group, with its totals.
struct Assignment {
  llvm::SmallVector<unsigned> choices;
  int64_t cost = 0;
  double error = 0;
};

/// Every assignment that no other beats on both cost and error (ties keep
/// one), by increasing cost and decreasing error. Empty when a group has no
/// option.
std::vector<Assignment>
paretoFront(llvm::ArrayRef<llvm::SmallVector<Option>> groups);

/// The least-error assignment costing at most `budget`, if any.
std::optional<Assignment>
minimizeError(llvm::ArrayRef<llvm::SmallVector<Option>> groups, int64_t budget);

/// The cheapest assignment with error at most `maxError`, if any.
std::optional<Assignment>
minimizeCost(llvm::ArrayRef<llvm::SmallVector<Option>> groups, double maxError);

} // namespace quantc::precision

#endif // QUANTC_PRECISION_SOLVER_H
