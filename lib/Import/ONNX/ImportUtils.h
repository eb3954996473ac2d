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

inline mlir::FloatAttr f32Attr(NodeImporter &n, float value) {
  return n.builder().getF32FloatAttr(value);
}

inline mlir::IntegerAttr i64Attr(NodeImporter &n, int64_t value) {
  return n.builder().getI64IntegerAttr(value);
}

/// Normalizes a list of axes against `rank`; fails on duplicates or range.
llvm::FailureOr<llvm::SmallVector<int64_t>>
normalizeAxes(NodeImporter &n, llvm::ArrayRef<int64_t> axes, int64_t rank);

/// Pads for `auto_pad` SAME_UPPER/SAME_LOWER/VALID or explicit `pads`.
llvm::FailureOr<llvm::SmallVector<int64_t>>
resolveWindowPads(NodeImporter &n, llvm::ArrayRef<int64_t> inSpatial,
                  llvm::ArrayRef<int64_t> kernel,
                  llvm::ArrayRef<int64_t> strides,
                  llvm::ArrayRef<int64_t> dilations);

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
