//===- ApproximateMath.cpp - polynomial f32 math functions ------*- C++ -*-===//
//
// The fast float mode's element-wise math: upstream's polynomial
// approximations in place of libm calls. See the pass description in
// Passes.td.
//
//===----------------------------------------------------------------------===//
#include "quantc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quantc {
#define GEN_PASS_DEF_QCAPPROXIMATEMATH
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;

namespace {
struct QCApproximateMathPass : quantc::impl::QCApproximateMathBase<QCApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns, [](StringRef name) {
      name.consume_front("math.");
      return llvm::is_contained({"exp", "expm1", "log", "log1p", "log2", "tanh", "erf", "sin",
                                 "cos"},
                                name);
    });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
