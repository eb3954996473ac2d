//===- Tensor.h - host tensors of the reference evaluator -------*- C++ -*-===//
//
// A dense, row-major host tensor. Float element types compute in f32;
// integer and boolean element types are held exactly as int64 so that integer
// ops get exact semantics whatever their bit width.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_REFERENCE_TENSOR_H
#define QUANTC_REFERENCE_TENSOR_H

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/SmallVector.h"
#include <vector>

namespace quantc::reference {

/// Constants with more elements become `dense_resource` blobs; smaller ones
/// stay readable inline `dense` attributes.
constexpr int64_t kMaxInlineElements = 16;

class Tensor {
public:
  Tensor() = default;
  /// A zero-filled tensor of `shape` and `elementType`.
  Tensor(mlir::Type elementType, llvm::ArrayRef<int64_t> shape);

  /// Reads the elements of a constant attribute (dense or dense_resource).
  static llvm::FailureOr<Tensor> fromAttr(mlir::ElementsAttr attr);
  /// Builds an attribute of `type`; large float tensors become
  /// `dense_resource` blobs named after `blobName`.
  mlir::ElementsAttr toAttr(mlir::RankedTensorType type,
                            llvm::StringRef blobName = "folded") const;

  mlir::Type getElementType() const { return elementType; }
  llvm::ArrayRef<int64_t> getShape() const { return shape; }
  int64_t getRank() const { return shape.size(); }
  int64_t getNumElements() const { return numElements; }
  mlir::RankedTensorType getType() const {
    return mlir::RankedTensorType::get(shape, elementType);
  }
  bool isFloat() const { return llvm::isa<mlir::FloatType>(elementType); }

  llvm::MutableArrayRef<float> floats() { return floatData; }
  llvm::ArrayRef<float> floats() const { return floatData; }
  llvm::MutableArrayRef<int64_t> ints() { return intData; }
  llvm::ArrayRef<int64_t> ints() const { return intData; }

  /// Element `i` as a double, whatever the storage.
  double getAsDouble(int64_t i) const {
    return isFloat() ? floatData[i] : static_cast<double>(intData[i]);
  }
  /// Copies element `from` of `src` (same storage kind) to element `to`.
  void copyElement(int64_t to, const Tensor &src, int64_t from) {
    if (isFloat())
      floatData[to] = src.floatData[from];
    else
      intData[to] = src.intData[from];
  }
  /// Same data, new shape (element counts must agree).
  Tensor reshaped(llvm::ArrayRef<int64_t> newShape) const;

private:
  mlir::Type elementType;
  llvm::SmallVector<int64_t> shape;
  int64_t numElements = 0;
  std::vector<float> floatData;
  std::vector<int64_t> intData;
};

/// Row-major strides of `shape`.
llvm::SmallVector<int64_t> computeStrides(llvm::ArrayRef<int64_t> shape);

/// Whether `element` is one of ONNX's float8 types (held in f32 here; no
/// code generator rounds to them).
bool isFloat8(mlir::Type element);

/// Whether `element` is an integer narrower than a byte (i1 aside): held as
/// int64 here, one per byte in .npz files.
bool isSubByteInteger(mlir::Type element);

} // namespace quantc::reference

#endif // QUANTC_REFERENCE_TENSOR_H
