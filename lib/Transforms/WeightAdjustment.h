//===- WeightAdjustment.h - rounding search and bias correction -*- C++ -*-===//
//
// Internal to qc-quantize. What quantizing a layer's weights does to its
// output depends on the inputs the layer sees, so both adjustments here
// start from statistics of those inputs, measured on the float model with
// calibration data:
//
// - the rounding search (learned rounding) chooses, for every weight, the
//   level just below or just above it so that the layer's output error
//   e = (W_q - W) p, summed in square over the measured patches p, is least
//   rather than each weight's own error (round to nearest);
// - bias correction removes the expected output shift (W_q - W) E[p] by
//   subtracting it from the bias;
// - GPTQ rounds each row input by input, feeding every rounding error
//   forward into the weights not yet rounded (GPTQ.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_TRANSFORMS_WEIGHTADJUSTMENT_H
#define QUANTC_LIB_TRANSFORMS_WEIGHTADJUSTMENT_H

#include "quantc/Calibration/CalibrationSet.h"

#include "mlir/IR/Operation.h"
#include "llvm/ADT/DenseMap.h"

#include <vector>

namespace quantc::qc {

/// How a layer's weight tensor splits into rows, one per output channel,
/// each `reduction` weights long: weight k of row o is element
/// `o * rowStride + k * elementStride`, and multiplies element k of a patch
/// of the row's group `o / rowsPerGroup`.
struct WeightRows {
  int64_t rows, reduction, rowStride, elementStride, rowsPerGroup;

  int64_t index(int64_t row, int64_t k) const {
    return row * rowStride + k * elementStride;
  }
};

/// The rows of a Conv (1-D or 2-D), MatMul (2-D constant weight) or Gemm
/// weight; none for other layers.
std::optional<WeightRows> getWeightRows(mlir::Operation *layer);

/// The patches one layer multiplies with its weights, per group: their mean
/// and, when asked for, their second moment E[p p^T] (on a subset of the
/// output positions, at most a few hundred per sample).
class LayerInputStatistics {
public:
  LayerInputStatistics(int64_t groups, int64_t patchSize, bool withMoments);

  int64_t getPatchSize() const { return patchSize; }
  bool hasMoments() const { return !moments.empty(); }
  /// The mean patch of `group`.
  llvm::ArrayRef<double> mean(int64_t group) const {
    return llvm::ArrayRef(means).slice(group * patchSize, patchSize);
  }
  /// The largest magnitude of each patch element of `group`.
  llvm::ArrayRef<float> maxAbs(int64_t group) const {
    return llvm::ArrayRef(maxima).slice(group * patchSize, patchSize);
  }
  /// E[p p^T] of `group`, row-major, patchSize x patchSize.
  llvm::ArrayRef<double> moment(int64_t group) const {
    return llvm::ArrayRef(moments).slice(group * patchSize * patchSize,
                                         patchSize * patchSize);
  }

  // Accumulation (the measuring code's side).
  /// Sums and largest magnitudes of `count` patches.
  void addSums(int64_t group, llvm::ArrayRef<double> sums, llvm::ArrayRef<float> maxAbs,
               int64_t count);
  void addMomentPatch(int64_t group, llvm::ArrayRef<float> patch);
  /// `count` patches at once, row-major (count x patch size).
  void addMomentPatches(int64_t group, llvm::ArrayRef<float> patches, int64_t count);
  /// Turns the sums into means; call once, after the last sample.
  void finish();

private:
  int64_t groups, patchSize;
  std::vector<double> means, moments;
  std::vector<float> maxima;
  std::vector<int64_t> meanCounts, momentCounts;
};

using LayerStatisticsMap =
    llvm::DenseMap<mlir::Operation *, LayerInputStatistics>;

/// A progress line on stderr, "what: done/total", rewritten in place; only
/// when stderr is a terminal (long measurements of large models).
class ProgressLine {
public:
  ProgressLine(llvm::StringRef what, int64_t total);
  ~ProgressLine();
  void advance();

private:
  std::string what;
  int64_t done = 0, total;
  bool shown;
};

/// Runs the float function of `layers` on `samples` and measures each
/// layer's input patches. Layers without weight rows are left out.
llvm::FailureOr<LayerStatisticsMap>
measureLayerInputs(llvm::ArrayRef<mlir::Operation *> layers,
                   llvm::ArrayRef<calibration::Sample> samples, bool withMoments);

/// Integer levels of one weight tensor, and the scale and zero point of
/// each element: element i stands for scaleOf(i) * (levels[i] - zeroOf(i)).
struct WeightLevels {
  llvm::MutableArrayRef<int64_t> levels;
  llvm::function_ref<double(int64_t)> scaleOf;
  llvm::function_ref<int64_t(int64_t)> zeroOf;
  int64_t qmin, qmax;

  double value(int64_t i) const { return scaleOf(i) * (levels[i] - zeroOf(i)); }
};

/// Moves levels of every row of `weights` (float values `w`) one step
/// toward the other neighbour of w / scale wherever that lowers the row's
/// output error e^T M e (M: the row group's second moment, damped), until
/// no single move does. Returns how many levels moved.
int64_t searchRounding(WeightLevels weights, llvm::ArrayRef<float> w,
                       const WeightRows &rows, const LayerInputStatistics &stats);

/// GPTQ's choices (see qc-quantize's description).
struct GPTQOptions {
  /// Added to the second moment's diagonal, times its mean.
  double damping = 0.01;
  /// Round inputs in order of decreasing second moment.
  bool actOrder = false;
};

/// Re-rounds every row of `weights` by GPTQ, with the scales it has: the
/// inputs of a row are rounded one after another, each one's error fed
/// into those not yet rounded through the upper Cholesky factor of the
/// inverse damped second moment of the row group's inputs. Returns how many
/// levels differ from the ones `weights` had (round to nearest), or
/// failure when a second moment is not positive definite even damped.
llvm::FailureOr<int64_t> roundByGPTQ(WeightLevels weights, llvm::ArrayRef<float> w,
                                     const WeightRows &rows,
                                     const LayerInputStatistics &stats,
                                     const GPTQOptions &options);

/// The mean square of the input each of the `elements` weights multiplies
/// (the diagonal of the measured second moment), by which an mse grid
/// weighs the weight's squared error as llama.cpp's importance matrix does;
/// empty without second moments.
std::vector<double> meanSquareOfInputs(const LayerInputStatistics &stats,
                                       const WeightRows &rows, int64_t elements);

/// The expected output shift of every row: (W_q - W) E[p].
std::vector<double> expectedOutputShift(const WeightLevels &weights,
                                        llvm::ArrayRef<float> w,
                                        const WeightRows &rows,
                                        const LayerInputStatistics &stats);

} // namespace quantc::qc

#endif // QUANTC_LIB_TRANSFORMS_WEIGHTADJUSTMENT_H
