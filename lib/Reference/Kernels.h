//===- Kernels.h - kernel registry of the reference evaluator ---*- C++ -*-===//
//
// Internal to the evaluator: each group of ops registers one small kernel
// function per op type; the evaluator dispatches through this table.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_REFERENCE_KERNELS_H
#define QUANTC_LIB_REFERENCE_KERNELS_H

#include "quantc/Reference/Sgemm.h"
#include "quantc/Reference/Tensor.h"

#include "mlir/IR/Operation.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/DenseMap.h"
#include <functional>

namespace quantc::reference {

using OperandTensors = llvm::ArrayRef<const Tensor *>;
using Kernel =
    std::function<llvm::FailureOr<Tensor>(mlir::Operation *, OperandTensors)>;

class KernelRegistry {
public:
  template <typename OpTy, typename Fn>
  void add(Fn fn) {
    kernels[mlir::TypeID::get<OpTy>()] =
        [fn](mlir::Operation *op, OperandTensors args) -> llvm::FailureOr<Tensor> {
      return fn(llvm::cast<OpTy>(op), args);
    };
  }
  const Kernel *lookup(mlir::Operation *op) const {
    auto it = kernels.find(op->getName().getTypeID());
    return it == kernels.end() ? nullptr : &it->second;
  }

private:
  llvm::DenseMap<mlir::TypeID, Kernel> kernels;
};

void registerElementwiseKernels(KernelRegistry &registry);
void registerMathKernels(KernelRegistry &registry);
void registerSelectionKernels(KernelRegistry &registry);
void registerLinalgKernels(KernelRegistry &registry);
void registerNNKernels(KernelRegistry &registry);
void registerMovementKernels(KernelRegistry &registry);
void registerQuantKernels(KernelRegistry &registry);
void registerAttentionKernels(KernelRegistry &registry);

/// `axis` counted from the front (qc axes may be negative, as in ONNX). Takes
/// int64_t so that the uint64_t of an I64Attr getter wraps back to negative.
inline int64_t normalizedAxis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

/// A zero-filled tensor of the op's (single) result type.
inline Tensor makeResult(mlir::Operation *op) {
  auto type = llvm::cast<mlir::RankedTensorType>(op->getResult(0).getType());
  return Tensor(type.getElementType(), type.getShape());
}

/// The stored integers of a quantized (or integer) tensor as f32, exact up to
/// 24 bits, so that kernels that only select or move values (max pooling,
/// nearest resizing) serve quantized tensors too.
inline Tensor storedAsFloat(const Tensor &t) {
  Tensor result(mlir::Float32Type::get(t.getElementType().getContext()),
                t.getShape());
  for (int64_t i = 0, e = t.getNumElements(); i < e; ++i)
    result.floats()[i] = static_cast<float>(t.ints()[i]);
  return result;
}
/// The inverse of storedAsFloat.
inline Tensor storedAsType(const Tensor &f, mlir::Type elementType) {
  Tensor result(elementType, f.getShape());
  for (int64_t i = 0, e = f.getNumElements(); i < e; ++i)
    result.ints()[i] = static_cast<int64_t>(f.floats()[i]);
  return result;
}

/// Strides of `shape` right-aligned to `rank`, zero on broadcast dimensions
/// (those of size 1 where `outShape` is larger).
llvm::SmallVector<int64_t> broadcastStrides(llvm::ArrayRef<int64_t> shape,
                                            llvm::ArrayRef<int64_t> outShape);

/// Calls fn(outIndex, offsets...) for every element of `outShape`, where each
/// offset walks its tensor with the given strides.
template <size_t N, typename Fn>
void forEachIndex(llvm::ArrayRef<int64_t> outShape,
                  const std::array<llvm::SmallVector<int64_t>, N> &strides,
                  Fn fn) {
  int64_t rank = outShape.size();
  int64_t total = 1;
  for (int64_t d : outShape)
    total *= d;
  if (total == 0)
    return;
  llvm::SmallVector<int64_t> counter(rank, 0);
  std::array<int64_t, N> offsets{};
  int64_t inner = rank ? outShape.back() : 1;
  std::array<int64_t, N> innerStride{};
  for (size_t t = 0; t < N; ++t)
    innerStride[t] = rank ? strides[t].back() : 0;
  for (int64_t out = 0; out < total; out += inner) {
    std::array<int64_t, N> off = offsets;
    for (int64_t i = 0; i < inner; ++i) {
      fn(out + i, off);
      for (size_t t = 0; t < N; ++t)
        off[t] += innerStride[t];
    }
    // Advance the counter over the outer dimensions.
    for (int64_t d = rank - 2; d >= 0; --d) {
      ++counter[d];
      for (size_t t = 0; t < N; ++t)
        offsets[t] += strides[t][d];
      if (counter[d] < outShape[d])
        break;
      for (size_t t = 0; t < N; ++t)
        offsets[t] -= strides[t][d] * outShape[d];
      counter[d] = 0;
    }
  }
}

} // namespace quantc::reference

#endif // QUANTC_LIB_REFERENCE_KERNELS_H
