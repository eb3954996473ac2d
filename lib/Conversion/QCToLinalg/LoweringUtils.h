//===- LoweringUtils.h - shared pieces of convert-qc-to-linalg --*- C++ -*-===//
//
// Internal to the qc → linalg conversion: the type converter, builders of
// broadcasting linalg.generic ops, and the scalar integer arithmetic that must
// agree bit for bit with QuantUtils (requantization, quantization).
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_CONVERSION_QCTOLINALG_LOWERINGUTILS_H
#define QUANTC_LIB_CONVERSION_QCTOLINALG_LOWERINGUTILS_H

#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Dialect/QC/QuantUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Transforms/DialectConversion.h"

namespace quantc::conversion {

/// Quantized tensors become tensors of their (signless) storage integers.
class QCTypeConverter : public mlir::TypeConverter {
public:
  QCTypeConverter();
};

/// Whether `type` (a tensor or element type) holds unsigned quantized values,
/// whose storage integers must be zero-extended.
bool isUnsignedStorage(mlir::Type type);

mlir::Value emptyLike(mlir::OpBuilder &b, mlir::Location loc,
                      mlir::RankedTensorType type);
mlir::Value filledTensor(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::RankedTensorType type, mlir::TypedAttr value);

/// The map reading an operand of `shape` at the iteration point of a result of
/// `outShape`, numpy-broadcast (trailing dims aligned, size-1 dims read at 0).
mlir::AffineMap broadcastMap(llvm::ArrayRef<int64_t> shape,
                             llvm::ArrayRef<int64_t> outShape,
                             mlir::MLIRContext *ctx);

using ScalarBuilder = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

/// A linalg.generic producing `resultType` element-wise from `inputs`
/// broadcast to it; `body` maps the input elements to the result element.
mlir::Value buildElementwise(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::RankedTensorType resultType,
                             mlir::ValueRange inputs, ScalarBuilder body);
/// The same with explicit indexing maps for the inputs.
mlir::Value buildElementwise(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::RankedTensorType resultType,
                             mlir::ValueRange inputs,
                             llvm::ArrayRef<mlir::AffineMap> inputMaps,
                             ScalarBuilder body);

/// Scalar constants.
mlir::Value constantI64(mlir::OpBuilder &b, mlir::Location loc, int64_t v);
mlir::Value constantF32(mlir::OpBuilder &b, mlir::Location loc, float v);
/// A constant tensor of i64 values.
mlir::Value constantI64Tensor(mlir::OpBuilder &b, mlir::Location loc,
                              llvm::ArrayRef<int64_t> values);
mlir::Value constantF32Tensor(mlir::OpBuilder &b, mlir::Location loc,
                              llvm::ArrayRef<float> values);

/// A storage integer widened to `type` (zero-extended when `isUnsigned`).
mlir::Value extendInteger(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                          mlir::Type type, bool isUnsigned);
/// A storage integer widened to i64 (zero-extended when `isUnsigned`).
mlir::Value extendToI64(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                        bool isUnsigned);
/// `v` clamped to [lo, hi] and truncated to `type`.
mlir::Value clampAndTruncate(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::Value v, int64_t lo, int64_t hi,
                             mlir::Type type);

/// qc::applyMultiplier on i64 values: value * multiplier / 2^(31 + shift)
/// rounded as `mode` says.
mlir::Value buildApplyMultiplier(mlir::OpBuilder &b, mlir::Location loc,
                                 mlir::Value value, mlir::Value multiplier,
                                 mlir::Value shift, qc::RoundingMode mode);

/// qc::quantizeValue: an f32 `x` over an f32 `scale`, rounded, plus the
/// integer `zeroPoint`, clamped to [qmin, qmax]; returned in the zero
/// point's type (i32 suffices for storage types up to 16 bits: the rounded
/// quotient is bounded by 1e9 first).
mlir::Value buildQuantizeScalar(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Value x, mlir::Value scale,
                                mlir::Value zeroPoint, int64_t qmin,
                                int64_t qmax, qc::RoundingMode mode);

/// An f32 view of a float element (f16/bf16 widen; f32 stays).
mlir::Value toF32(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v);
/// An f32 value rounded to the float8 `format` (to nearest, ties to even;
/// infinity or NaN past its largest value, as the format has), as f32: the
/// container the generated code holds float8 values in.
mlir::Value roundToFloat8(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                          mlir::FloatType format);
/// An f32 value rounded to the float element type `type`.
mlir::Value fromF32(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                    mlir::Type type);

/// `value` padded by `low`/`high` along every dim with `padValue`.
mlir::Value padTensor(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value,
                      llvm::ArrayRef<int64_t> low, llvm::ArrayRef<int64_t> high,
                      mlir::Value padValue);

/// The map reading a quantized type's parameter tensor (of its layout's
/// parameter shape) at each element: `d floordiv block` per blocked dim.
mlir::AffineMap quantParamMap(const qc::QuantLayout &layout,
                              mlir::MLIRContext *ctx);

/// The table of `op` as a 1-d constant of `element` (the result's storage
/// type), or failure for a table that is not integer.
mlir::FailureOr<mlir::TypedAttr> getLookupTable(qc::LookupTableOp op,
                                                mlir::Type element);

/// An ONNX axis (negative counts from the end) as a dim index.
inline int64_t normalizeAxis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

/// Geometry of a 1-d or 2-d convolution viewed as 2-d (1-d: H = 1).
struct ConvGeometry {
  llvm::SmallVector<int64_t, 2> strides, dilations;
  llvm::SmallVector<int64_t, 4> padLow, padHigh; // over N, C, (D,) H, W
  bool is1D;
};

template <typename ConvLike>
mlir::FailureOr<ConvGeometry> getGeometry(ConvLike op) {
  int64_t rank = mlir::cast<mlir::ShapedType>(op.getInput().getType()).getRank();
  if (rank != 3 && rank != 4)
    return mlir::failure();
  ConvGeometry g;
  g.is1D = rank == 3;
  llvm::ArrayRef<int64_t> pads = op.getPads();
  int64_t spatial = rank - 2;
  if (g.is1D) {
    g.strides = {1, op.getStrides()[0]};
    g.dilations = {1, op.getDilations()[0]};
    g.padLow = {0, 0, 0, pads[0]};
    g.padHigh = {0, 0, 0, pads[1]};
  } else {
    g.strides = {op.getStrides()[0], op.getStrides()[1]};
    g.dilations = {op.getDilations()[0], op.getDilations()[1]};
    g.padLow = {0, 0, pads[0], pads[1]};
    g.padHigh = {0, 0, pads[spatial], pads[spatial + 1]};
  }
  return g;
}

/// The geometry of a 3-d convolution (N x C x D x H x W) as it is: three
/// strides and dilations, pads over all five dims.
template <typename ConvLike>
mlir::FailureOr<ConvGeometry> getGeometry3D(ConvLike op) {
  if (mlir::cast<mlir::ShapedType>(op.getInput().getType()).getRank() != 5)
    return mlir::failure();
  ConvGeometry g;
  g.is1D = false;
  g.strides.assign(op.getStrides().begin(), op.getStrides().end());
  g.dilations.assign(op.getDilations().begin(), op.getDilations().end());
  llvm::ArrayRef<int64_t> pads = op.getPads();
  g.padLow = {0, 0, pads[0], pads[1], pads[2]};
  g.padHigh = {0, 0, pads[3], pads[4], pads[5]};
  return g;
}

/// The N x C x H x W view of a 3-d (N x C x W) or 4-d convolution shape.
inline llvm::SmallVector<int64_t, 4> shape2D(llvm::ArrayRef<int64_t> shape) {
  if (shape.size() == 4)
    return llvm::SmallVector<int64_t, 4>(shape);
  return {shape[0], shape[1], 1, shape[2]};
}

/// A 3-d N x C x W tensor as N x C x 1 x W (4-d tensors stay).
mlir::Value as2D(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v);
/// The N x C x H x W type of a 3-d or 4-d convolution type.
mlir::RankedTensorType as2DType(mlir::RankedTensorType type);
/// Restores a 1-d result from its N x C x 1 x W form (`type` is 3-d).
mlir::Value from2D(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                   mlir::RankedTensorType type);
/// `value + bias[c]` along dim 1 of a float tensor.
mlir::Value addChannelBias(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value,
                           mlir::Value bias);

/// Reassociation grouping dims [i, i + sizes[k]) for each k.
llvm::SmallVector<mlir::ReassociationIndices>
groupDims(llvm::ArrayRef<int64_t> sizes);

/// f16/bf16 ops that sum or average as the same op on f32 between casts
/// (ahead of every other lowering of them).
void populateNarrowFloatPatterns(QCTypeConverter &converter,
                                 mlir::RewritePatternSet &patterns);
void populateElementwisePatterns(QCTypeConverter &converter,
                                 mlir::RewritePatternSet &patterns);
/// arg_max, arg_min and top_k.
void populateSelectionPatterns(QCTypeConverter &converter,
                               mlir::RewritePatternSet &patterns);
/// Math functions, float predicates, Mod and the bitwise ops.
void populateMathFunctionPatterns(QCTypeConverter &converter,
                                  mlir::RewritePatternSet &patterns);
void populateQuantPatterns(QCTypeConverter &converter,
                           mlir::RewritePatternSet &patterns);
void populateLayerPatterns(QCTypeConverter &converter,
                           mlir::RewritePatternSet &patterns);
void populatePoolingAndNormPatterns(QCTypeConverter &converter,
                                    mlir::RewritePatternSet &patterns);
void populateMaxPoolIndicesPatterns(QCTypeConverter &converter,
                                    mlir::RewritePatternSet &patterns);
/// qc.attention and qc.cached_attention as runtime kernel calls.
void populateAttentionPatterns(QCTypeConverter &converter,
                               mlir::RewritePatternSet &patterns);
void populateMovementPatterns(QCTypeConverter &converter,
                              mlir::RewritePatternSet &patterns);
/// Whether `layer` (a qc.qconv or qc.qmatmul) becomes part of the
/// microkernel call of the qc.requantize using it; it then stays until that
/// requantize is rewritten.
bool isFusedIntoMicrokernel(mlir::Operation *layer);
/// A rewrite into a call of the runtime's kernels of instruction set
/// `suffix` (avx512vnni, avx2, generic). Kernel calls win over the loop
/// lowering of the same op (benefit 1).
template <typename Op>
struct KernelCallPattern : mlir::OpConversionPattern<Op> {
  KernelCallPattern(const mlir::TypeConverter &converter, mlir::MLIRContext *ctx,
                    llvm::StringRef suffix, unsigned benefit = 2)
      : mlir::OpConversionPattern<Op>(converter, ctx, benefit), suffix(suffix) {}

  std::string suffix;
};

/// How float layers compute (ConvertQCToLinalg's float-mode option).
struct FloatKernelOptions {
  /// Kernels may contract products and sums into FMA (the fast mode).
  bool fast = false;
  /// Layers on widened bf16 operands with constant weights run on the bf16
  /// tile layout, in the kernel's order of summation (the fast mode on
  /// targets with AMX-BF16 or AVX-512 BF16).
  bool bf16Tiles = false;
};

/// A KernelCallPattern for float layers, which also sees FloatKernelOptions.
template <typename Op>
struct FloatKernelPattern : KernelCallPattern<Op> {
  FloatKernelPattern(const mlir::TypeConverter &converter, mlir::MLIRContext *ctx,
                     llvm::StringRef suffix, FloatKernelOptions floats, unsigned benefit = 2)
      : KernelCallPattern<Op>(converter, ctx, suffix, benefit), floats(floats) {}

  FloatKernelOptions floats;
};

void populateMicrokernelPatterns(QCTypeConverter &converter,
                                 mlir::RewritePatternSet &patterns,
                                 llvm::StringRef kernelSuffix);
/// Float convolutions, matmuls and gemms as calls of the float, bf16 and
/// bf16 tile kernels (FloatKernels.cpp).
void populateFloatKernelPatterns(QCTypeConverter &converter,
                                 mlir::RewritePatternSet &patterns,
                                 llvm::StringRef kernelSuffix, FloatKernelOptions floats);
/// Whether `op` (a float qc.conv whose kernel takes an epilogue, or an op of
/// its epilogue but the last) becomes part of the convolution's call, which
/// applies the element-wise ops reading its result (FloatKernels.cpp); it
/// then stays until the epilogue's last op is rewritten.
bool isFusedIntoConvEpilogue(mlir::Operation *op, FloatKernelOptions floats,
                             llvm::StringRef kernelSuffix);
/// Float matmuls and gemms with constant 8- or 4-bit weights (weight-only
/// quantization) as calls of the weight-only microkernel.
void populateWeightOnlyPatterns(QCTypeConverter &converter,
                                mlir::RewritePatternSet &patterns,
                                llvm::StringRef kernelSuffix);

/// The same layers in the unpacking form of GPU targets: a contraction that
/// reads the packed weights and dequantizes them in registers.
void populateWeightOnlyUnpackingPatterns(QCTypeConverter &converter,
                                         mlir::RewritePatternSet &patterns);

/// 8-bit layers with constant weights as contractions marked for tensor
/// cores (see quantc/Conversion/TensorCores.h); they win over the loop
/// lowering (benefit 2).
void populateTensorCorePatterns(QCTypeConverter &converter,
                                mlir::RewritePatternSet &patterns);

/// Gemm's `alpha * product + beta * c`, in the evaluator's order (the
/// product alone when alpha is 1 and there is no c).
mlir::Value buildGemmEpilogue(mlir::OpBuilder &b, mlir::Location loc,
                              qc::GemmOp op, mlir::Value product, mlir::Value c);

/// The constant holding the stored integers of `weight`: a qc.constant seen
/// through quant.scast, or (mid-conversion) the arith.constant replacing it
/// seen through the conversion's casts. Null when `weight` is not constant.
mlir::ElementsAttr getStoredConstant(mlir::Value weight);

/// A qc.microkernel call of `kernel` on `inputs` followed by the constant
/// i64 vector `params`, writing a fresh tensor of `resultType`.
mlir::Value buildKernelCall(mlir::OpBuilder &b, mlir::Location loc, llvm::StringRef kernel,
                            llvm::SmallVector<mlir::Value> inputs,
                            llvm::ArrayRef<int64_t> params,
                            mlir::RankedTensorType resultType);

/// A 1-d arith.constant of `values` held as a resource blob (packed
/// weights).
template <typename T>
mlir::Value blobConstant(mlir::OpBuilder &b, mlir::Location loc, llvm::ArrayRef<T> values,
                         mlir::Type element) {
  auto type = mlir::RankedTensorType::get({static_cast<int64_t>(values.size())}, element);
  auto blob = mlir::HeapAsmResourceBlob::allocateAndCopyInferAlign<T>(values);
  return mlir::arith::ConstantOp::create(
      b, loc, mlir::DenseResourceElementsAttr::get(type, "packed_weights", std::move(blob)));
}

/// A 1-d arith.constant of `values`.
template <typename T>
mlir::Value constantVector(mlir::OpBuilder &b, mlir::Location loc,
                           llvm::ArrayRef<T> values, mlir::Type element) {
  auto type = mlir::RankedTensorType::get({static_cast<int64_t>(values.size())}, element);
  return mlir::arith::ConstantOp::create(b, loc, mlir::DenseElementsAttr::get(type, values));
}

} // namespace quantc::conversion

#endif // QUANTC_LIB_CONVERSION_QCTOLINALG_LOWERINGUTILS_H
