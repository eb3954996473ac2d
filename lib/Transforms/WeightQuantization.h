//===- WeightQuantization.h - constant weights to integers ------*- C++ -*-===//
//
// Internal to qc-quantize: a layer's constant weights rounded once to the
// integer levels and the `!quant.uniform` type of their storage constant.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_TRANSFORMS_WEIGHTQUANTIZATION_H
#define QUANTC_LIB_TRANSFORMS_WEIGHTQUANTIZATION_H

#include "PrecisionRules.h"
#include "WeightAdjustment.h"

#include "quantc/Reference/Tensor.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"

namespace quantc::qc {

struct QuantizedWeights {
  reference::Tensor storage;
  mlir::quant::QuantizedType type;
};

/// Quantizes `w` to signed integers as `format` says, one grid per block of
/// `blockShape`, no scale finer than `scaleFloors` (one per block, or none).
/// `importance` (one per element, or none) weighs each weight's squared
/// error in the choice of an mse grid. `adjust`, when given, may change the
/// levels rounded to nearest before they are stored.
llvm::FailureOr<QuantizedWeights>
quantizeWeights(const reference::Tensor &w, const WeightFormat &format,
                llvm::ArrayRef<int64_t> blockShape, Granularity granularity,
                int64_t channelAxis, int64_t reductionAxis, llvm::ArrayRef<double> scaleFloors,
                llvm::ArrayRef<double> importance, mlir::Location loc,
                llvm::function_ref<void(WeightLevels)> adjust = nullptr);

} // namespace quantc::qc

#endif // QUANTC_LIB_TRANSFORMS_WEIGHTQUANTIZATION_H
