//===- QuantUtils.h - quantization arithmetic shared by qc ------*- C++ -*-===//
//
// The one definition of quantc's quantization arithmetic: how a
// `!quant.uniform` type maps elements to scales and zero points, how reals
// round to integers, and how a real rescale becomes a fixed-point multiplier.
// Verifiers, passes and the reference evaluator all use these, so the
// compiler and its oracle cannot disagree.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_DIALECT_QC_QUANTUTILS_H
#define QUANTC_DIALECT_QC_QUANTUTILS_H

#include "quantc/Dialect/QC/QCOps.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "llvm/ADT/SmallVector.h"

namespace quantc::qc {

/// The scales and zero points of a quantized tensor type in one form for
/// per-tensor, per-axis and sub-channel types: the tensor is tiled by blocks
/// of `blockShape`, and block `b` (row-major over `paramShape`) has
/// `scales[b]` and `zeroPoints[b]`.
struct QuantLayout {
  llvm::SmallVector<double> scales;
  llvm::SmallVector<int64_t> zeroPoints;
  llvm::SmallVector<int64_t> blockShape;
  llvm::SmallVector<int64_t> paramShape;
  int64_t qmin = 0, qmax = 0;

  /// The layout of `type` over a tensor of `shape`; emits through `emitError`
  /// and fails when the type's parameters do not fit the shape.
  static llvm::FailureOr<QuantLayout>
  get(mlir::quant::QuantizedType type, llvm::ArrayRef<int64_t> shape,
      llvm::function_ref<mlir::InFlightDiagnostic()> emitError);
  /// The same for a ranked tensor type whose elements are quantized.
  static llvm::FailureOr<QuantLayout> get(mlir::Type tensorType);

  /// The block of every element of a tensor of `shape`, in row-major order.
  llvm::SmallVector<int64_t> blockIndices(llvm::ArrayRef<int64_t> shape) const;
  /// Whether one scale and zero point cover the whole tensor.
  bool isPerTensor() const { return scales.size() == 1; }
};

/// The stored element `qc.pad` fills with in constant mode: its real `value`,
/// quantized with the tensor's per-tensor type when it is quantized.
double getPadFill(PadOp op);

/// The quantized element type of `t` (a tensor or an element type), or null.
mlir::quant::UniformQuantizedType getUniformType(mlir::Type t);
mlir::quant::QuantizedType getQuantizedType(mlir::Type t);

/// `value` rounded to an integer as `mode` says (double_round rounds half
/// away from zero here: it differs only in the two-step multiply below).
int64_t roundToInt(double value, RoundingMode mode);

/// q = clamp(round(x / scale) + zeroPoint, qmin, qmax).
int64_t quantizeValue(float x, double scale, int64_t zeroPoint, int64_t qmin,
                      int64_t qmax, RoundingMode mode);

/// Rounds `values` (rows of whole blocks) in place to symmetric int8, one
/// scale per `block` consecutive values, as `dynamic_int8_block` says: the
/// weight-only kernel (lib/Runtime/Kernels/WeightOnly.cpp) computes the same
/// integers with the same float operations.
void roundToDynamicInt8(llvm::MutableArrayRef<float> values, int64_t block);

/// The type that quantizes the real range [lo, hi] (which contains 0) to
/// signed `bits`-bit integers: asymmetric over the full range, or symmetric
/// (zero point 0) over the narrow range [-(2^(bits-1) - 1), 2^(bits-1) - 1].
/// Scales are rounded to f32, the precision ONNX stores them in.
mlir::quant::UniformQuantizedType
getActivationType(mlir::MLIRContext *ctx, double lo, double hi, unsigned bits,
                  bool symmetric);

/// A real rescale M as multiplier * 2^-(31 + shift), multiplier in
/// [2^30, 2^31) (0 when M is 0).
struct FixedPointMultiplier {
  int32_t multiplier = 0;
  int32_t shift = 0;
};
/// Fails when M is negative, not finite, or outside [2^-62, 2^30].
llvm::FailureOr<FixedPointMultiplier> getFixedPointMultiplier(double realScale);

/// round(value * multiplier * 2^-(31 + shift)) as `mode` says, exactly.
int64_t applyMultiplier(int64_t value, int32_t multiplier, int32_t shift,
                        RoundingMode mode);

/// The calibrated range [lo, hi] of `v`, or null. It lives in `qc.range`
/// on the defining op (one result), in `qc.result_ranges` (one entry per
/// result, unit where none), on the function argument, or, for an argument
/// of an scf region, in its parent op's `qc.region_ranges` (an array per
/// region, an entry per block argument).
mlir::DenseF64ArrayAttr getCalibratedRange(mlir::Value v);
/// Records `range` ([lo, hi]) as the calibrated range of `v`, where
/// getCalibratedRange finds it.
void setCalibratedRange(mlir::Value v, mlir::DenseF64ArrayAttr range);

/// The element-wise ops (in block order) that compute `root` from a single
/// dequantized value, all with `root`'s shape; their other operands must be
/// float splat constants. Fails when `root` is not such a function of one
/// quantized tensor (or is the dequantize itself).
llvm::LogicalResult
collectElementwiseRegion(mlir::Value root,
                         llvm::SmallVectorImpl<mlir::Operation *> &region,
                         DequantizeOp &source);

} // namespace quantc::qc

#endif // QUANTC_DIALECT_QC_QUANTUTILS_H
