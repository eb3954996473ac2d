//===- ImportUtils.h - helpers shared by the op importers -------*- C++ -*-===//
#ifndef QUANTC_LIB_IMPORT_ONNX_IMPORTUTILS_H
#define QUANTC_LIB_IMPORT_ONNX_IMPORTUTILS_H

#include "NodeImporter.h"

namespace quantc::onnx_import {

inline int64_t product(llvm::ArrayRef<int64_t> dims) {
  int64_t p = 1;
  for (int64_t d : dims)
    p *= d;
  return p;
}

inline mlir::Value reshapeTo(NodeImporter &n, mlir::Value v,
                             llvm::ArrayRef<int64_t> shape) {
  if (!v)
    return nullptr; // a failed op before
  auto type = llvm::cast<mlir::RankedTensorType>(v.getType());
  if (type.getShape() == shape)
    return v;
  return n.create<qc::ReshapeOp>(
      mlir::RankedTensorType::get(shape, type.getElementType()), v);
}

inline mlir::DenseI64ArrayAttr i64Array(NodeImporter &n,
                                        llvm::ArrayRef<int64_t> values) {
  return n.builder().getDenseI64ArrayAttr(values);
}

inline mlir::Value transposeTo(NodeImporter &n, mlir::Value v,
                               llvm::ArrayRef<int64_t> perm) {
  return n.create<qc::TransposeOp>(v, i64Array(n, perm));
}

inline mlir::FloatAttr f32Attr(NodeImporter &n, float value) {
  return n.builder().getF32FloatAttr(value);
}

inline mlir::IntegerAttr i64Attr(NodeImporter &n, int64_t value) {
  return n.builder().getI64IntegerAttr(value);
}

/// Slices `dim` of `v` to [start, start + size).
inline mlir::Value sliceDim(NodeImporter &n, mlir::Value v, int64_t dim,
                            int64_t start, int64_t size) {
  if (!v)
    return nullptr;
  auto type = llvm::cast<mlir::RankedTensorType>(v.getType());
  llvm::SmallVector<int64_t> starts(type.getRank(), 0),
      limits(type.getShape()), steps(type.getRank(), 1);
  starts[dim] = start;
  limits[dim] = start + size;
  return n.create<qc::SliceOp>(v, i64Array(n, starts), i64Array(n, limits),
                               i64Array(n, steps));
}

/// A rank-0 constant of a float or integer element type.
inline mlir::Value scalarConstant(NodeImporter &n, mlir::Type element,
                                  double value) {
  reference::Tensor t(element, {});
  if (t.isFloat())
    t.floats()[0] = static_cast<float>(value);
  else
    t.ints()[0] = static_cast<int64_t>(value);
  return n.constant(t);
}

/// `x` cast to the float8 type `target` as ONNX's Cast does.
mlir::Value castToFloat8(NodeImporter &n, mlir::Value x, mlir::FloatType target,
                         bool saturate);

/// Axes of Squeeze/Unsqueeze/Reduce*: an attribute before opset
/// `inputSince`, an optional constant input (1) from then on.
llvm::FailureOr<llvm::SmallVector<int64_t>> getAxesOperand(NodeImporter &n,
                                                           int64_t inputSince);

/// Normalizes a list of axes against `rank`; fails on duplicates or range.
llvm::FailureOr<llvm::SmallVector<int64_t>>
normalizeAxes(NodeImporter &n, llvm::ArrayRef<int64_t> axes, int64_t rank);

/// Pads for `auto_pad` SAME_UPPER/SAME_LOWER/VALID or explicit `pads`.
llvm::FailureOr<llvm::SmallVector<int64_t>>
resolveWindowPads(NodeImporter &n, llvm::ArrayRef<int64_t> inSpatial,
                  llvm::ArrayRef<int64_t> kernel,
                  llvm::ArrayRef<int64_t> strides,
                  llvm::ArrayRef<int64_t> dilations);

/// Kernel, strides, dilations and pads of a pooling window with ONNX
/// defaults (the kernel from the attribute, else `kernelFromWeight`).
struct WindowAttrs {
  llvm::SmallVector<int64_t> kernel, strides, dilations, pads;
};
llvm::FailureOr<WindowAttrs> getWindowAttrs(NodeImporter &n,
                                            llvm::ArrayRef<int64_t> inSpatial,
                                            llvm::ArrayRef<int64_t> kernelFromWeight);

/// The window of a Conv-like node (Conv, ConvInteger, QLinearConv) for an
/// input and weight of the given types, checked against each other.
struct ConvWindow {
  llvm::SmallVector<int64_t> strides, dilations, pads;
  int64_t group;
};
llvm::FailureOr<ConvWindow> getConvWindow(NodeImporter &n,
                                          mlir::RankedTensorType input,
                                          mlir::RankedTensorType weight);

} // namespace quantc::onnx_import

#endif // QUANTC_LIB_IMPORT_ONNX_IMPORTUTILS_H
