//===- PackableLayer.h - 8-bit layers with constant weights -----*- C++ -*-===//
//
// Internal to the qc → linalg conversion: the integer layers whose weights
// are constant signed 8-bit integers with zero zero points, decoded once, for
// the lowerings that repack them (CPU microkernels, tensor-core contractions).
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_CONVERSION_QCTOLINALG_PACKABLELAYER_H
#define QUANTC_LIB_CONVERSION_QCTOLINALG_PACKABLELAYER_H

#include "quantc/Reference/Tensor.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Operation.h"

#include <optional>
#include <vector>

namespace quantc::conversion {

/// A qc.qconv or qc.qmatmul with its weights as a K x N matrix.
struct PackableLayer {
  mlir::Operation *op;
  mlir::Value input;
  std::vector<int8_t> weights; // row-major K x N
  int64_t k = 0, n = 0;
  std::optional<reference::Tensor> bias;
  int64_t inputOffset = 0; // subtracted from every activation
  mlir::quant::UniformQuantizedType inputType;
  llvm::SmallVector<int64_t> params; // geometry entries of the CPU kernel
};

/// Whether `weight` is a constant of s8 with zero zero points, per tensor or
/// per channel.
bool isPackableWeight(mlir::Value weight);
/// The structural conditions of matchPackableLayer, without decoding
/// constants: 8-bit per-tensor input, packable weights, constant bias.
bool isPackableLayer(mlir::Operation *op);
/// The layer `op` with its constants decoded, or failure.
mlir::FailureOr<PackableLayer> matchPackableLayer(mlir::Operation *op);

/// The sum of output channel `channel`'s weights (the factor of an input
/// offset folded into the bias).
int64_t weightSum(const PackableLayer &layer, int64_t channel);

} // namespace quantc::conversion

#endif // QUANTC_LIB_CONVERSION_QCTOLINALG_PACKABLELAYER_H
