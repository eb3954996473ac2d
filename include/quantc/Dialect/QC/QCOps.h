//===- QCOps.h - qc dialect operations --------------------------*- C++ -*-===//
#ifndef QUANTC_DIALECT_QC_QCOPS_H
#define QUANTC_DIALECT_QC_QCOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "quantc/Dialect/QC/QCDialect.h"

namespace quantc::qc {
/// Numpy broadcasting of `operands`' shapes; element type of the first operand,
/// or i1 for comparisons.
llvm::LogicalResult inferBroadcastType(std::optional<mlir::Location> loc,
                                       mlir::ValueRange operands,
                                       bool isComparison,
                                       llvm::SmallVectorImpl<mlir::Type> &types);
/// Shape of `a` and `b` broadcast together, or failure if incompatible.
llvm::FailureOr<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);
/// Verifies that `lhs` and `rhs` have the same element type.
llvm::LogicalResult verifySameElementTypes(mlir::Operation *op,
                                           mlir::Value lhs, mlir::Value rhs);
llvm::LogicalResult inferGlobalPoolType(std::optional<mlir::Location> loc,
                                        mlir::Value input,
                                        llvm::SmallVectorImpl<mlir::Type> &types);
llvm::LogicalResult inferReduceType(std::optional<mlir::Location> loc,
                                    mlir::Value input,
                                    llvm::ArrayRef<int64_t> axes, bool keepdims,
                                    llvm::SmallVectorImpl<mlir::Type> &types);

/// Whether `op` computes each output element from the same-index elements
/// of its operands (unary math and activations, binary arithmetic with
/// broadcasting); softmax and the like are not.
bool isElementwise(mlir::Operation *op);

/// Fails unless `axis` (possibly negative) names a non-empty dimension of
/// `type`.
mlir::LogicalResult verifyNonEmptyAxis(mlir::Operation *op, mlir::RankedTensorType type,
                                       int64_t axis);

/// Whether `op` only moves or selects the values of its first operand
/// (reshape, transpose, slice, max pooling, nearest resizing), so that its
/// result can keep that operand's quantized type.
bool keepsQuantizedType(mlir::Operation *op);


/// Ops that keep a quantized value's scale (max pooling, nearest resizing)
/// need the same quantized type on their input and result.
llvm::LogicalResult verifyScalePreserving(mlir::Operation *op,
                                          mlir::Value input,
                                          mlir::Value output);

/// What is wrong with conv strides and dilations (must be positive) and pads
/// (non-negative); empty when nothing is. Shared by the verifiers and by
/// result type inference, which runs before them when ops are built.
llvm::StringRef getConvWindowError(llvm::ArrayRef<int64_t> strides,
                                   llvm::ArrayRef<int64_t> dilations,
                                   llvm::ArrayRef<int64_t> pads);
/// Emits getConvWindowError on `op`.
llvm::LogicalResult verifyConvWindow(mlir::Operation *op,
                                     llvm::ArrayRef<int64_t> strides,
                                     llvm::ArrayRef<int64_t> dilations,
                                     llvm::ArrayRef<int64_t> pads);

/// Subscripts of an einsum equation, one letter per dimension; the output is
/// made explicit (sorted letters that occur once) when the equation omits it.
struct EinsumSubscripts {
  llvm::SmallVector<std::string> inputs;
  std::string output;
};
llvm::FailureOr<EinsumSubscripts> parseEinsum(llvm::StringRef equation,
                                              size_t numInputs);
} // namespace quantc::qc

#define GET_OP_CLASSES
#include "quantc/Dialect/QC/QCOps.h.inc"

namespace quantc::qc {

/// grid_sample's mode and padding as quantc/Runtime/GridSample.h numbers
/// them (both are verified).
int64_t getGridSampleMode(GridSampleOp op);
int64_t getGridSamplePadding(GridSampleOp op);

/// One output position of a resize along one axis: the result is
/// `in[i0] + (in[i1] - in[i0]) * weight` (nearest: i0 == i1, weight 0).
struct ResizeTap {
  int64_t i0, i1;
  float weight;
};
/// The taps of `op` along an axis resized from `inSize` to `outSize` with
/// `scale`, per ONNX Resize's coordinate transformation and nearest modes
/// (ResizeSampling.cpp, with the filters below).
llvm::SmallVector<ResizeTap> getResizeTaps(ResizeOp op, int64_t inSize,
                                           int64_t outSize, float scale);

/// A resize along one axis as a filter: output x is the sum, in order of
/// k from zero, of weights[x * width + k] * in[indices[x * width + k]],
/// starting from starts[x] (the extrapolation value outside a
/// tf_crop_and_resize region, where the weights are zero; else zero).
struct ResizeFilter {
  int64_t width = 0;
  llvm::SmallVector<int64_t> indices;
  llvm::SmallVector<float> weights, starts;
};
/// Whether `op` leaves axis `axis` as it is: the same size at scale 1 (and
/// the whole axis as a tf_crop_and_resize region).
bool keepsResizeAxis(ResizeOp op, int64_t axis, int64_t inSize, int64_t outSize);
/// Whether `op` resizes an axis of `scale` through a filter (cubic, linear
/// with antialias while downsampling, tf_crop_and_resize) rather than taps.
bool resizesThroughFilter(ResizeOp op, float scale);
/// That filter, per ONNX's reference: the neighbours of each output's
/// source coordinate, edge-padded (or weighing nothing with
/// exclude_outside), and their weights in double, rounded once.
ResizeFilter getResizeFilter(ResizeOp op, int64_t axis, int64_t inSize, int64_t outSize,
                             float scale);

/// The runtime's qc_kv_cache_format of a cached attention's `cache`
/// (f32, f16, bf16, i8, i4); none for another name.
std::optional<int64_t> getKVCacheFormat(llvm::StringRef cache);

/// The discardable attribute of a qc.attention holding its keys' channel
/// factors (a DenseF32ArrayAttr, as qc.cached_attention's key_scale), set by
/// qc-calibrate-kv-keys and read by qc-decoder-generator.
inline constexpr llvm::StringLiteral kKeyScaleAttr = "qc.key_scale";

/// Makes qc.microkernel bufferizable (done by the dialect on load).
void registerMicrokernelBufferization(mlir::MLIRContext *ctx);

/// The thread-local i32 that compiled qc.fail ops set: the CPU entry point
/// clears it before a run and returns it after.
inline constexpr llvm::StringLiteral kRunFailedSymbol = "qc_run_failed";
} // namespace quantc::qc

#endif // QUANTC_DIALECT_QC_QCOPS_H
