//===- TensorCores.h - contractions marked for tensor cores -----*- C++ -*-===//
//
// The contract between convert-qc-to-linalg{tensor-cores} and
// convert-qc-to-gpu: 8-bit layers become linalg.generic contractions
//
//   C[(b,) m, n] += A[m, k] * B[(b,) n, k]      (over i32, A and B 8-bit)
//
// with both operands K-contiguous (the row.col layout of mma.sync), marked
// with the PTX types of A and B.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_CONVERSION_TENSORCORES_H
#define QUANTC_CONVERSION_TENSORCORES_H

#include "llvm/ADT/StringRef.h"

namespace quantc {

/// A two-string array attribute: the PTX types ("s8" or "u8") of A and B.
inline constexpr llvm::StringLiteral kMMAOperandsAttr = "qc.mma_operands";

} // namespace quantc

#endif // QUANTC_CONVERSION_TENSORCORES_H
