//===- PoolingWindow.h - window geometry of qc pooling ops ------*- C++ -*-===//
//
// Internal to the qc → linalg conversion: the kernel, strides, dilations and
// pads of a pooling op over its spatial dims, with the high pads widened so
// that every ceil-mode window lies inside the padded input.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_CONVERSION_QCTOLINALG_POOLINGWINDOW_H
#define QUANTC_LIB_CONVERSION_QCTOLINALG_POOLINGWINDOW_H

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/SmallVector.h"

#include <algorithm>

namespace quantc::conversion {

/// Window geometry of a pooling op over its spatial dims (those past N, C).
struct Window {
  llvm::SmallVector<int64_t, 2> kernel, strides, dilations, padLow, padHigh;
  int64_t spatial;
};

template <typename PoolOp>
Window getWindow(PoolOp op, llvm::ArrayRef<int64_t> dilations) {
  Window w;
  auto inShape = llvm::cast<mlir::ShapedType>(op.getInput().getType()).getShape();
  auto outShape = llvm::cast<mlir::ShapedType>(op.getType()).getShape();
  w.spatial = inShape.size() - 2;
  llvm::ArrayRef<int64_t> pads = op.getPads();
  for (int64_t i = 0; i < w.spatial; ++i) {
    w.kernel.push_back(op.getKernelShape()[i]);
    w.strides.push_back(op.getStrides()[i]);
    w.dilations.push_back(dilations.empty() ? 1 : dilations[i]);
    w.padLow.push_back(pads[i]);
    // ceil_mode windows may run past the explicit padding: pad far enough.
    int64_t needed = (outShape[i + 2] - 1) * w.strides[i] +
                     w.dilations[i] * (w.kernel[i] - 1) + 1;
    w.padHigh.push_back(
        std::max(pads[w.spatial + i], needed - inShape[i + 2] - pads[i]));
  }
  return w;
}

/// `spatialPads` with zero pads for N and C in front.
inline llvm::SmallVector<int64_t> fullPads(llvm::ArrayRef<int64_t> spatialPads) {
  llvm::SmallVector<int64_t> pads = {0, 0};
  pads.append(spatialPads.begin(), spatialPads.end());
  return pads;
}

/// The maps of a generic over (N, C, outputs..., taps...) that reads the
/// padded input, a tensor of the window's shape (for the tap loops' bounds)
/// and writes at the output position; its iterators: reductions over taps.
inline llvm::SmallVector<mlir::AffineMap, 3> windowMaps(const Window &w,
                                                        mlir::MLIRContext *ctx) {
  int64_t rank = 2 + w.spatial, loops = rank + w.spatial;
  auto d = [&](int64_t i) { return mlir::getAffineDimExpr(i, ctx); };
  llvm::SmallVector<mlir::AffineExpr> inExprs = {d(0), d(1)}, windowExprs, outExprs;
  for (int64_t i = 0; i < rank; ++i)
    outExprs.push_back(d(i));
  for (int64_t i = 0; i < w.spatial; ++i) {
    inExprs.push_back(d(2 + i) * w.strides[i] + d(rank + i) * w.dilations[i]);
    windowExprs.push_back(d(rank + i));
  }
  return {mlir::AffineMap::get(loops, 0, inExprs, ctx),
          mlir::AffineMap::get(loops, 0, windowExprs, ctx),
          mlir::AffineMap::get(loops, 0, outExprs, ctx)};
}
inline llvm::SmallVector<mlir::utils::IteratorType> windowIterators(const Window &w) {
  llvm::SmallVector<mlir::utils::IteratorType> iterators(2 + w.spatial,
                                                         mlir::utils::IteratorType::parallel);
  iterators.append(w.spatial, mlir::utils::IteratorType::reduction);
  return iterators;
}

} // namespace quantc::conversion

#endif // QUANTC_LIB_CONVERSION_QCTOLINALG_POOLINGWINDOW_H
