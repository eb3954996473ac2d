//===- Calibrate.cpp - the qc-calibrate pass --------------------*- C++ -*-===//
//
// Runs the float graph on calibration data and records a clipping range on
// every float tensor. Histogram estimators need the range before they can bin,
// so the set is run twice: once for extremes, once for histograms.
//
//===----------------------------------------------------------------------===//
#include "quantc/Calibration/CalibrationSet.h"
#include "quantc/Calibration/Statistics.h"
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Dialect/QC/QuantUtils.h"
#include "quantc/Dialect/QC/TensorNames.h"
#include "quantc/Reference/Evaluator.h"
#include "quantc/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

namespace quantc {
#define GEN_PASS_DEF_QCCALIBRATE
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;
using namespace quantc::calibration;
using llvm::Error;
using llvm::Expected;

namespace {
/// A one-line progress bar, drawn only when stderr is a terminal.
class ProgressBar {
public:
  ProgressBar(StringRef title, size_t total)
      : title(title), total(total), shown(llvm::errs().is_displayed()) {}
  ~ProgressBar() {
    if (shown)
      llvm::errs() << "\n";
  }
  void update(size_t done) {
    if (!shown)
      return;
    constexpr size_t width = 30;
    size_t filled = total ? done * width / total : width;
    llvm::errs() << "\r" << title << " [" << std::string(filled, '#')
                 << std::string(width - filled, ' ') << "] " << done << "/"
                 << total;
    llvm::errs().flush();
  }

private:
  std::string title;
  size_t total;
  bool shown;
};

bool isFloatTensor(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && isa<FloatType>(type.getElementType());
}

struct CalibratePass : quantc::impl::QCCalibrateBase<CalibratePass> {
  using Base::Base;

  void runOnOperation() override {
    std::optional<RangeEstimator> kind = parseRangeEstimator(estimator);
    if (!kind) {
      emitError(getOperation().getLoc(), "unknown range estimator '")
          << estimator << "' (expected minmax, moving-average, percentile, "
                          "entropy or mse)";
      return signalPassFailure();
    }
    if (numBins < 2 || numBins % 2 || bits < 2 || bits > 16 ||
        percentile <= 50 || percentile > 100) {
      emitError(getOperation().getLoc(), "qc-calibrate needs an even num-bins >= 2, "
                               "bits in [2, 16] and percentile in (50, 100]");
      return signalPassFailure();
    }
    EstimatorOptions options{*kind, percentile, bits};
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (failed(calibrate(func, options)))
        return signalPassFailure();
  }

  LogicalResult calibrate(func::FuncOp func, const EstimatorOptions &options) {
    DenseMap<Value, std::string> names = qc::nameTensors(func);
    StatisticsMap stats;
    if (!statisticsIn.empty()) {
      Expected<StatisticsMap> loaded = readStatistics(statisticsIn);
      if (!loaded)
        return emitError(func.getLoc(), toString(loaded.takeError()));
      stats = std::move(*loaded);
    } else if (failed(collect(func, names, needsHistogram(options.estimator) ||
                                               !statisticsOut.empty(),
                              stats))) {
      return failure();
    }
    if (!statisticsOut.empty())
      if (Error error = writeStatistics(statisticsOut, stats))
        return emitError(func.getLoc(), "cannot write statistics: ")
               << toString(std::move(error));
    return annotate(func, names, stats, options);
  }

  LogicalResult collect(func::FuncOp func,
                        const DenseMap<Value, std::string> &names,
                        bool withHistograms, StatisticsMap &stats) {
    if (data.empty())
      return emitError(func.getLoc(), "qc-calibrate needs data= (calibration .npz files "
                            "or directories) or statistics-in=");
    Expected<std::vector<Sample>> samples =
        loadCalibrationSet(func, data, maxSamples);
    if (!samples)
      return emitError(func.getLoc(), toString(samples.takeError()));
    auto run = [&](StringRef title, auto observe) -> LogicalResult {
      ProgressBar bar(title, samples->size());
      for (auto [i, sample] : llvm::enumerate(*samples)) {
        for (BlockArgument arg : func.getArguments())
          if (isFloatTensor(arg))
            observe(arg, sample[arg.getArgNumber()]);
        if (failed(reference::evaluateFunction(
                func, sample, [&](Value v, const reference::Tensor &t) {
                  if (t.isFloat() && isFloatTensor(v))
                    observe(v, t);
                })))
          return failure();
        bar.update(i + 1);
      }
      return success();
    };
    if (failed(run("calibrating: ranges", [&](Value v, const reference::Tensor &t) {
          stats[names.lookup(v)].observeRange(t.floats());
        })))
      return failure();
    if (!withHistograms)
      return success();
    for (auto &entry : stats)
      entry.second.startHistogram(numBins);
    return run("calibrating: histograms", [&](Value v, const reference::Tensor &t) {
      stats[names.lookup(v)].observeHistogram(t.floats());
    });
  }

  LogicalResult annotate(func::FuncOp func,
                         const DenseMap<Value, std::string> &names,
                         const StatisticsMap &stats,
                         const EstimatorOptions &options) {
    Builder builder(func.getContext());
    auto rangeAttr = [&](Value v) -> DenseF64ArrayAttr {
      auto it = stats.find(names.lookup(v));
      if (it == stats.end())
        return {};
      auto [lo, hi] = estimateRange(it->second, options);
      return builder.getDenseF64ArrayAttr({lo, hi});
    };
    unsigned missing = 0;
    auto annotateValue = [&](Value v) {
      if (!isFloatTensor(v))
        return;
      if (DenseF64ArrayAttr range = rangeAttr(v))
        qc::setCalibratedRange(v, range);
      else
        ++missing;
    };
    for (BlockArgument arg : func.getArguments())
      if (isFloatTensor(arg))
        if (DenseF64ArrayAttr range = rangeAttr(arg))
          qc::setCalibratedRange(arg, range);
    // Results, and the arguments of control flow regions: one range for a
    // value of a loop body, observed over every iteration.
    func.walk([&](Operation *op) {
      if (isa<qc::ConstantOp, func::FuncOp>(op))
        return;
      llvm::for_each(op->getResults(), annotateValue);
      for (Region &region : op->getRegions())
        if (!region.empty())
          llvm::for_each(region.getArguments(), annotateValue);
    });
    if (missing && !statisticsIn.empty())
      emitWarning(func.getLoc()) << missing
                         << " tensors have no statistics in '" << statisticsIn
                         << "' (was it written for another model?)";
    return success();
  }
};
} // namespace
