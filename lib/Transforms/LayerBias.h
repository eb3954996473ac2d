//===- LayerBias.h - column biases into integer layers ----------*- C++ -*-===//
//
// Internal to qc-quantize. `qc.matmul` has no bias, so ONNX's MatMul + Add
// (every exported dense layer with a bias) would requantize the product and
// add the bias in float afterwards: one rounding more, and an element-wise
// function after it (GELU) sees a different bias per column, which no
// lookup table can represent. A layer with integer activations therefore
// becomes a `qc.gemm` whose bias adds in the int32 accumulator.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_TRANSFORMS_LAYERBIAS_H
#define QUANTC_LIB_TRANSFORMS_LAYERBIAS_H

#include "quantc/Dialect/QC/QCOps.h"

namespace quantc::qc {

/// add(matmul(x, W), c) -> reshape(gemm(reshape(x), W, c)) when W is a
/// constant matrix, c a constant with one value per column (or one for
/// all), and nothing else reads the product. The new ops take the
/// calibrated ranges of the values they compute. Returns the gemm, or null
/// (and changes nothing) when the pattern does not apply; `erased` receives
/// the matmul and the add.
GemmOp foldColumnBiasIntoGemm(MatMulOp matmul,
                              llvm::SmallPtrSetImpl<mlir::Operation *> &erased);

} // namespace quantc::qc

#endif // QUANTC_LIB_TRANSFORMS_LAYERBIAS_H
