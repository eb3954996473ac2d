//===- QuantizedFunctions.h - functions of one tensor ----------*- C++ -*-===//
//
// Internal to qc-quantize (scope=all). A chain of element-wise ops computing
// a function of one 8-bit quantized tensor (SiLU, GELU, x + f(x)) becomes
// one lookup table in qc-fold-scales, so qc-quantize quantizes it only
// where it ends; these say where that is and how wide its end should be.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_TRANSFORMS_QUANTIZEDFUNCTIONS_H
#define QUANTC_LIB_TRANSFORMS_QUANTIZEDFUNCTIONS_H

#include "mlir/IR/Operation.h"

namespace quantc::qc {

/// Whether `op` computes a function of one 8-bit quantized tensor (a future
/// lookup table).
bool isQuantizedFunction(mlir::Operation *op);

/// Whether `op` ends a function of cheap arithmetic (x * x): computing it
/// costs less than a table lookup.
bool isCheapArithmetic(mlir::Operation *op);

/// Whether only ops that stay float read `op` (reductions, a variance):
/// rounding its result to 8 bits would only add error. Reshapes and other
/// ops that keep the quantized type are looked through.
bool onlyFloatReaders(mlir::Operation *op);

/// Whether such a function ends at `op`: where a user is not element-wise,
/// or combines it with other tensors (a residual addition), that user is not
/// part of the function.
bool endsQuantizedFunction(mlir::Operation *op);

} // namespace quantc::qc

#endif // QUANTC_LIB_TRANSFORMS_QUANTIZEDFUNCTIONS_H
