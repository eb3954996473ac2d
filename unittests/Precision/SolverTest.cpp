//===- SolverTest.cpp - the precision solver against brute force -*- C++ -*-===//
#include "quantc/Precision/Solver.h"

#include "gtest/gtest.h"

#include <random>

using namespace quantc::precision;

namespace {
using Groups = std::vector<llvm::SmallVector<Option>>;

/// Every assignment, by enumeration.
std::vector<Assignment> allAssignments(const Groups &groups) {
  std::vector<Assignment> result = {Assignment{}};
  for (const auto &options : groups) {
    std::vector<Assignment> next;
    for (const Assignment &a : result)
      for (unsigned i = 0; i < options.size(); ++i) {
        Assignment b = a;
        b.choices.push_back(i);
        b.cost += options[i].cost;
        b.error += options[i].error;
        next.push_back(std::move(b));
      }
    result = std::move(next);
  }
  return result;
}

Groups randomInstance(std::mt19937 &rng) {
  std::uniform_int_distribution<int> numGroups(1, 6), numOptions(1, 4);
  std::uniform_int_distribution<int64_t> cost(0, 40);
  std::uniform_real_distribution<double> error(0.0, 10.0);
  Groups groups(numGroups(rng));
  for (auto &options : groups)
    for (int i = numOptions(rng); i > 0; --i)
      options.push_back({cost(rng), error(rng)});
  return groups;
}

/// The totals of `a` recomputed from its choices.
void expectConsistent(const Groups &groups, const Assignment &a) {
  ASSERT_EQ(a.choices.size(), groups.size());
  int64_t cost = 0;
  double error = 0;
  for (size_t g = 0; g < groups.size(); ++g) {
    cost += groups[g][a.choices[g]].cost;
    error += groups[g][a.choices[g]].error;
  }
  EXPECT_EQ(a.cost, cost);
  EXPECT_NEAR(a.error, error, 1e-9);
}

TEST(Solver, MinimizeErrorMatchesBruteForce) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 2000; ++trial) {
    Groups groups = randomInstance(rng);
    std::vector<Assignment> all = allAssignments(groups);
    for (int64_t budget : {0, 20, 50, 100, 1000}) {
      std::optional<double> best;
      for (const Assignment &a : all)
        if (a.cost <= budget && (!best || a.error < *best))
          best = a.error;
      std::optional<Assignment> solved = minimizeError(groups, budget);
      ASSERT_EQ(solved.has_value(), best.has_value()) << trial << " " << budget;
      if (!solved)
        continue;
      EXPECT_NEAR(solved->error, *best, 1e-9);
      EXPECT_LE(solved->cost, budget);
      expectConsistent(groups, *solved);
    }
  }
}

TEST(Solver, MinimizeCostMatchesBruteForce) {
  std::mt19937 rng(6);
  for (int trial = 0; trial < 2000; ++trial) {
    Groups groups = randomInstance(rng);
    std::vector<Assignment> all = allAssignments(groups);
    for (double maxError : {0.0, 5.0, 15.0, 30.0, 100.0}) {
      std::optional<int64_t> best;
      for (const Assignment &a : all)
        if (a.error <= maxError && (!best || a.cost < *best))
          best = a.cost;
      std::optional<Assignment> solved = minimizeCost(groups, maxError);
      ASSERT_EQ(solved.has_value(), best.has_value()) << trial << " " << maxError;
      if (solved) {
        EXPECT_EQ(solved->cost, *best);
        expectConsistent(groups, *solved);
      }
    }
  }
}

TEST(Solver, FrontIsExactlyTheNonDominatedSet) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 500; ++trial) {
    Groups groups = randomInstance(rng);
    std::vector<Assignment> all = allAssignments(groups);
    std::vector<Assignment> front = paretoFront(groups);
    for (size_t i = 1; i < front.size(); ++i) {
      EXPECT_LT(front[i - 1].cost, front[i].cost);
      EXPECT_GT(front[i - 1].error, front[i].error);
    }
    // Every assignment is matched or beaten by a front point, and no front
    // point is strictly beaten by any assignment.
    for (const Assignment &a : all) {
      EXPECT_TRUE(llvm::any_of(front, [&](const Assignment &f) {
        return f.cost <= a.cost && f.error <= a.error + 1e-12;
      }));
    }
    for (const Assignment &f : front) {
      expectConsistent(groups, f);
      EXPECT_FALSE(llvm::any_of(all, [&](const Assignment &a) {
        return (a.cost <= f.cost && a.error < f.error - 1e-12) ||
               (a.cost < f.cost && a.error <= f.error + 1e-12);
      }));
    }
  }
}

TEST(Solver, EmptyGroupHasNoAssignment) {
  Groups groups = {{{1, 1.0}}, {}};
  EXPECT_TRUE(paretoFront(groups).empty());
  EXPECT_FALSE(minimizeError(groups, 100).has_value());
}
} // namespace
