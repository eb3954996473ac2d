//===- ChannelScaling.h - scaling matmul input channels ---------*- C++ -*-===//
//
// Internal to qc-awq and qc-smooth-quant. Both multiply the input channels
// of matmul weights by s and divide what produces those inputs by s, which
// leaves the float model as it was and changes what rounding does: AWQ
// chooses s for the weights' rounding error, SmoothQuant to move activation
// outliers into the weights so that int8 activations lose less.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_TRANSFORMS_CHANNELSCALING_H
#define QUANTC_LIB_TRANSFORMS_CHANNELSCALING_H

#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Reference/Tensor.h"

#include "WeightAdjustment.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace quantc::qc {

/// Matmuls sharing one input whose channels are scaled together, and where
/// the inverse scales go: a constant vector multiplying the input (`norm`:
/// an RMSNorm's or LayerNorm's weight), or the columns of the matmul
/// producing one factor of it (`producer`: a gated MLP's up projection).
struct ScalingGroup {
  mlir::Value input;
  llvm::SmallVector<MatMulOp> consumers;
  ConstantOp norm;
  MatMulOp producer;
};

/// A constant 2-D matmul weight [k, n], or null.
ConstantOp getConstantWeight(MatMulOp matmul);

/// Every scaling group of `func` whose channel count `divisor` divides.
llvm::SmallVector<ScalingGroup> collectScalingGroups(mlir::func::FuncOp func,
                                                     int64_t divisor = 1);

/// The input statistics of every group (keyed by its first consumer),
/// measured on the calibration `data` of `func`.
llvm::FailureOr<LayerStatisticsMap>
measureGroupInputs(mlir::func::FuncOp func, llvm::ArrayRef<ScalingGroup> groups,
                   llvm::ArrayRef<std::string> data, int64_t maxSamples, bool withMoments);

/// Multiplies input channel i of every consumer's weight (`weights`, their
/// values) by s[i] and divides the norm or the producer's column i by it
/// (left as they are when every s[i] is 1). `adjust`, when given, may change
/// each scaled weight before it is stored.
void applyChannelScaling(const ScalingGroup &group, llvm::ArrayRef<double> s,
                         llvm::ArrayRef<reference::Tensor> weights,
                         llvm::StringRef blobSuffix,
                         llvm::function_ref<void(reference::Tensor &scaled)> adjust = nullptr);

} // namespace quantc::qc

#endif // QUANTC_LIB_TRANSFORMS_CHANNELSCALING_H
