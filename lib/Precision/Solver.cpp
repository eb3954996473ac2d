//===- Solver.cpp - exact precision assignment under a budget ---*- C++ -*-===//
#include "quantc/Precision/Solver.h"

#include "llvm/ADT/STLExtras.h"

using namespace quantc::precision;

namespace {
/// A point of a partial front: totals over the groups seen so far, and how
/// it extends a point of the previous front.
struct Point {
  int64_t cost;
  double error;
  uint32_t parent;
  uint32_t option;
};

/// Keeps the points that no other point beats: sorted by cost, each strictly
/// lower in error than every cheaper one.
void prune(std::vector<Point> &points) {
  llvm::sort(points, [](const Point &a, const Point &b) {
    return a.cost != b.cost ? a.cost < b.cost : a.error < b.error;
  });
  std::vector<Point> kept;
  for (const Point &p : points)
    if (kept.empty() || p.error < kept.back().error)
      kept.push_back(p);
  points = std::move(kept);
}
} // namespace

std::vector<Assignment>
quantc::precision::paretoFront(llvm::ArrayRef<llvm::SmallVector<Option>> groups) {
  // fronts[g] is the front over groups [0, g).
  std::vector<std::vector<Point>> fronts = {{Point{0, 0.0, 0, 0}}};
  for (const llvm::SmallVector<Option> &options : groups) {
    const std::vector<Point> &previous = fronts.back();
    std::vector<Point> next;
    next.reserve(previous.size() * options.size());
    for (auto [parent, p] : llvm::enumerate(previous))
      for (auto [index, option] : llvm::enumerate(options))
        next.push_back(Point{p.cost + option.cost, p.error + option.error,
                             static_cast<uint32_t>(parent),
                             static_cast<uint32_t>(index)});
    prune(next);
    if (next.empty())
      return {};
    fronts.push_back(std::move(next));
  }
  std::vector<Assignment> result;
  for (uint32_t i = 0; i < fronts.back().size(); ++i) {
    Assignment a;
    a.cost = fronts.back()[i].cost;
    a.error = fronts.back()[i].error;
    a.choices.resize(groups.size());
    uint32_t index = i;
    for (size_t g = groups.size(); g > 0; --g) {
      a.choices[g - 1] = fronts[g][index].option;
      index = fronts[g][index].parent;
    }
    result.push_back(std::move(a));
  }
  return result;
}

std::optional<Assignment>
quantc::precision::minimizeError(llvm::ArrayRef<llvm::SmallVector<Option>> groups,
                                 int64_t budget) {
  std::optional<Assignment> best;
  // Along the front, error falls as cost rises: the last affordable point.
  for (Assignment &a : paretoFront(groups))
    if (a.cost <= budget)
      best = std::move(a);
  return best;
}

std::optional<Assignment>
quantc::precision::minimizeCost(llvm::ArrayRef<llvm::SmallVector<Option>> groups,
                                double maxError) {
  for (Assignment &a : paretoFront(groups))
    if (a.error <= maxError)
      return std::move(a);
  return std::nullopt;
}
