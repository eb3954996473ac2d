//===- PrecisionRules.h - layer precisions from rules -----------*- C++ -*-===//
//
// Internal to the precision passes: which ops are layers, and the fields of
// a precision, parsed from pass options or from the rules of an override
// file, and merged per layer.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_TRANSFORMS_PRECISIONRULES_H
#define QUANTC_LIB_TRANSFORMS_PRECISIONRULES_H

#include "quantc/Dialect/QC/QCOps.h"

#include <optional>
#include <string>
#include <vector>

namespace quantc::qc {

/// Where a layer (Conv, MatMul, Gemm) keeps its weights and along which
/// axes they are scaled.
struct LayerInfo {
  unsigned weightOperand;
  /// Output channels of the weight (per-channel scales).
  int64_t channelAxis;
  /// The reduction dimension of the weight that per-group scales block
  /// (a convolution's input channels).
  int64_t reductionAxis;
  /// Float operands that are activations (besides a non-constant weight).
  llvm::SmallVector<unsigned> activationOperands;
};

/// The layer `op` is, if it is one.
std::optional<LayerInfo> getLayerInfo(mlir::Operation *op);

/// The ONNX node name of a layer, or its op name when it has none.
std::string layerName(mlir::Operation *op);

/// How integer weights are rounded: `bits`-bit signed levels; symmetric
/// (zero point 0) or asymmetric (a zero point per block, for weight-only
/// layers); scales mapping the block's range onto the levels (`minmax`) or
/// of least squared error, which may clip outliers (`mse`).
struct WeightFormat {
  unsigned bits = 8;
  bool mse = false, asymmetric = false;

  /// minmax symmetric keeps the narrow range [-qmax, qmax] (no value needs
  /// -qmax - 1); the other formats use the full range.
  int64_t qmax() const { return (int64_t(1) << (bits - 1)) - 1; }
  int64_t qmin() const { return mse || asymmetric ? -qmax() - 1 : -qmax(); }
};

/// Whether qc-quantize with `weightScheme` gives the weights of a layer at
/// `precision` a zero point per scale: integer weights of a weight-only
/// layer (integer-activation kernels fold no weight zero points).
bool takesWeightZeroPoints(PrecisionAttr precision, llvm::StringRef weightScheme);

/// The grid one block of weights is rounded to: w ~ scale * (q - zeroPoint).
struct WeightGrid {
  double scale = 1.0;
  int64_t zeroPoint = 0;

  int64_t level(float w, const WeightFormat &format) const;
  double value(int64_t level) const {
    return static_cast<float>(level - zeroPoint) * static_cast<float>(scale);
  }
};

/// The grid of one block of weights. `minmax` maps |w| max onto qmax
/// (symmetric), or [min(w, 0), max(w, 0)] onto [qmin, qmax] (asymmetric);
/// `mse` also tries narrower ranges (clipping outliers) and keeps the one of
/// least (importance-weighted) squared error.
WeightGrid chooseWeightGrid(llvm::ArrayRef<float> values, const WeightFormat &format,
                            llvm::ArrayRef<double> importance = {});

/// The fields of a precision, each possibly unset (in a rule).
struct PrecisionFields {
  std::optional<mlir::Type> activation, weight;
  std::optional<Granularity> granularity;
  std::optional<Scheme> scheme;
  std::optional<int64_t> groupSize;
};

/// Parses the fields named by `get` ("activation", "weight", "granularity",
/// "scheme"); sets `error` and fails on a value it does not know.
llvm::LogicalResult
parseFields(mlir::MLIRContext *ctx,
            llvm::function_ref<std::optional<llvm::StringRef>(llvm::StringRef)> get,
            std::optional<int64_t> groupSize, PrecisionFields &fields,
            std::string &error);

/// A rule of the override file: which layers, and what to change.
struct PrecisionRule {
  /// A glob over node names (kept as text: a GlobPattern refers into the
  /// string it was made from).
  std::optional<std::string> name;
  std::string opType;
  PrecisionFields fields;

  bool matches(mlir::Operation *op, llvm::StringRef nodeName) const;
};

/// Reads the rules of a JSON override file:
/// {"rules": [{"name" | "op_type": ..., "activation": ..., ...}, ...]}.
llvm::FailureOr<std::vector<PrecisionRule>>
readRules(mlir::MLIRContext *ctx, llvm::StringRef path, std::string &error);

/// Overwrites the fields of `to` that `from` sets.
void applyFields(const PrecisionFields &from, PrecisionFields &to);

} // namespace quantc::qc

#endif // QUANTC_LIB_TRANSFORMS_PRECISIONRULES_H
