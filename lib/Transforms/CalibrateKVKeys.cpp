//===- CalibrateKVKeys.cpp - the qc-calibrate-kv-keys pass ------*- C++ -*-===//
//
// Measures the per-channel range of every attention's keys on calibration
// data and records the channel factors an integer KV cache divides keys by
// (see the pass description).
//
//===----------------------------------------------------------------------===//
#include "quantc/Calibration/CalibrationSet.h"
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Reference/Evaluator.h"
#include "quantc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include <cmath>
#include <limits>

namespace quantc {
#define GEN_PASS_DEF_QCCALIBRATEKVKEYS
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;
using reference::Tensor;

namespace {
/// A channel's factor is at least this fraction of its head's largest: a
/// channel that calibration saw near zero must not turn a larger value at
/// run time into the row's outlier.
constexpr float kMinFactor = 1.0f / 32;

/// The keys an attention stores: the new ones of concat(past, new), where
/// the calibration decoder's past is a placeholder, or all of them.
Value storedKeys(qc::AttentionOp attention) {
  if (auto concat = attention.getKey().getDefiningOp<qc::ConcatOp>();
      concat && concat.getInputs().size() == 2 && concat.getAxis() == 2)
    return concat.getInputs()[1];
  return attention.getKey();
}

/// |k| max per KV head and channel of [B, Hkv, S, D] keys, into `range`.
void accumulateRange(const Tensor &keys, MutableArrayRef<float> range) {
  ArrayRef<int64_t> shape = keys.getShape();
  int64_t heads = shape[1], positions = shape[2], dim = shape[3];
  const float *x = keys.floats().data();
  for (int64_t b = 0; b < shape[0]; ++b)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t s = 0; s < positions; ++s, x += dim)
        for (int64_t d = 0; d < dim; ++d)
          if (std::isfinite(x[d]))
            range[h * dim + d] = std::max(range[h * dim + d], std::fabs(x[d]));
}

/// The factors of one attention: its channel ranges, floored per head, to
/// the power `alpha`.
SmallVector<float> factorsOf(ArrayRef<float> range, int64_t dim, double alpha) {
  SmallVector<float> factors(range.begin(), range.end());
  for (int64_t first = 0; first < static_cast<int64_t>(factors.size()); first += dim) {
    MutableArrayRef<float> head(&factors[first], dim);
    float top = *llvm::max_element(head);
    // Positive even where the power underflows (ranges near zero).
    for (float &c : head)
      c = top > 0 ? std::max(static_cast<float>(std::pow(std::max(c, top * kMinFactor), alpha)),
                             std::numeric_limits<float>::min())
                  : 1.0f;
  }
  return factors;
}

struct CalibrateKVKeysPass : quantc::impl::QCCalibrateKVKeysBase<CalibrateKVKeysPass> {
  using Base::Base;

  void runOnOperation() override {
    if (data.empty()) {
      emitError(getOperation().getLoc(),
                "qc-calibrate-kv-keys needs data= (calibration .npz files or directories)");
      return signalPassFailure();
    }
    if (!(alpha >= 0.0 && alpha <= 1.0)) {
      emitError(getOperation().getLoc(), "qc-calibrate-kv-keys: alpha must be in [0, 1], got ")
          << alpha.getValue();
      return signalPassFailure();
    }
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (failed(calibrateFunction(func)))
        return signalPassFailure();
  }

  LogicalResult calibrateFunction(func::FuncOp func) {
    DenseMap<Value, SmallVector<float>> ranges;
    SmallVector<qc::AttentionOp> attentions;
    func.walk([&](qc::AttentionOp op) {
      attentions.push_back(op);
      auto type = op.getKey().getType();
      ranges[storedKeys(op)].assign(type.getDimSize(1) * type.getDimSize(3), 0.0f);
    });
    if (attentions.empty())
      return success();
    llvm::Expected<std::vector<calibration::Sample>> samples =
        calibration::loadCalibrationSet(func, data, maxSamples);
    if (!samples)
      return emitError(func.getLoc(), toString(samples.takeError()));
    auto observe = [&](Value v, const Tensor &t) {
      if (auto it = ranges.find(v); it != ranges.end() && t.isFloat())
        accumulateRange(t, it->second);
    };
    for (const calibration::Sample &sample : *samples) {
      // The evaluator reports op results; keys may be inputs as well.
      for (BlockArgument arg : func.getArguments())
        observe(arg, sample[arg.getArgNumber()]);
      if (failed(reference::evaluateFunction(func, sample, observe)))
        return failure();
    }
    Builder b(func.getContext());
    for (qc::AttentionOp attention : attentions)
      attention->setAttr(qc::kKeyScaleAttr,
                         b.getDenseF32ArrayAttr(factorsOf(
                             ranges[storedKeys(attention)],
                             attention.getKey().getType().getDimSize(3), alpha)));
    return success();
  }
};
} // namespace
