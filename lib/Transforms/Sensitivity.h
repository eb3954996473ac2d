//===- Sensitivity.h - what qc-assign-precision knows of layers -*- C++ -*-===//
//
// Internal to qc-assign-precision: the on-disk cache of measured
// sensitivities (and the fingerprint that keys it), and the proxy signal,
// which predicts a layer's output noise without trial runs.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_TRANSFORMS_SENSITIVITY_H
#define QUANTC_LIB_TRANSFORMS_SENSITIVITY_H

#include "quantc/Calibration/CalibrationSet.h"
#include "quantc/Dialect/QC/QCOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <map>
#include <string>
#include <vector>

namespace quantc::qc {

/// How far a quantized model's outputs are from the float model's, summed
/// over samples: noise and signal power of all outputs, and top-1 mismatches
/// along the last axis of the first output (positions of class scores).
struct OutputError {
  double signal = 0, noise = 0, divergence = 0;
  int64_t positions = 0, mismatches = 0;

  void add(llvm::ArrayRef<reference::Tensor> actual,
           llvm::ArrayRef<reference::Tensor> expected);
  /// Noise power relative to the signal's.
  double relativeNoise() const { return signal > 0 ? noise / signal : noise; }
  /// The mean KL divergence KL(p || q) of the softmax q of the first
  /// output's rows (logits over its last dimension) from the expected p.
  double meanDivergence() const { return positions ? divergence / positions : 0.0; }
  /// The fraction of positions whose top-1 class changed.
  double disagreement() const {
    return positions ? double(mismatches) / positions : 0.0;
  }
};

/// The outputs of `func` on each sample.
mlir::FailureOr<std::vector<llvm::SmallVector<reference::Tensor>>>
evaluateSamples(mlir::func::FuncOp func, llvm::ArrayRef<calibration::Sample> samples);

/// The error of `func` on `samples` against their `expected` outputs.
mlir::FailureOr<OutputError>
measureOutputError(mlir::func::FuncOp func, llvm::ArrayRef<calibration::Sample> samples,
                   llvm::ArrayRef<llvm::SmallVector<reference::Tensor>> expected);

/// What the measured sensitivities depend on: the weights of every layer,
/// every calibrated range and the samples (xxh3, the same in every run).
std::string fingerprint(mlir::func::FuncOp func,
                        llvm::ArrayRef<calibration::Sample> samples);

/// Sensitivities measured before, in a JSON file:
/// {"fingerprint": "...", "errors": {"<layers>|<precision>": error, ...}}.
/// Entries of another fingerprint are dropped.
class SensitivityCache {
public:
  SensitivityCache(llvm::StringRef path, std::string fingerprint);

  std::optional<double> lookup(const std::string &key) const;
  void store(const std::string &key, double error);
  /// Writes the file when something was stored.
  mlir::LogicalResult save(mlir::Location loc) const;

private:
  std::string path, fingerprint;
  std::map<std::string, double> entries;
  bool dirty = false;
};

/// What the proxy signal needs of a layer, from the float model on the
/// samples: the mean square of each input channel of its activation, and of
/// its output.
struct LayerEnergy {
  std::vector<double> channel;
  std::vector<int64_t> counts;
  double output = 0;
  int64_t outputCount = 0;
  /// The layer's weights, and the (output, input) channel of each, decoded
  /// once for all candidates.
  std::optional<reference::Tensor> weight;
  llvm::SmallVector<std::pair<int64_t, int64_t>> weightChannels;
};

/// The energies of `layers` (Conv, MatMul, Gemm ops of `func`) on `samples`.
mlir::FailureOr<std::vector<LayerEnergy>>
measureLayerEnergies(mlir::func::FuncOp func, llvm::ArrayRef<calibration::Sample> samples,
                     llvm::ArrayRef<mlir::Operation *> layers);

/// The proxy signal: the relative output noise of `layer` at `precision`,
/// from its weight error weighted by the energy of the input channel each
/// weight multiplies, plus the rounding noise of 8-bit activations and
/// outputs (step^2 / 12 over their calibrated ranges). `zeroPoints`: the
/// weights are asymmetric (a zero point per scale).
double proxyError(mlir::Operation *layer, const LayerEnergy &energy,
                  PrecisionAttr precision, bool zeroPoints = false);

} // namespace quantc::qc

#endif // QUANTC_LIB_TRANSFORMS_SENSITIVITY_H
