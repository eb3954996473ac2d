//===- QCToGPUPatterns.h - pieces of convert-qc-to-gpu ----------*- C++ -*-===//
#ifndef QUANTC_LIB_CONVERSION_QCTOGPU_QCTOGPUPATTERNS_H
#define QUANTC_LIB_CONVERSION_QCTOGPU_QCTOGPUPATTERNS_H

#include "mlir/IR/PatternMatch.h"

namespace quantc::gpu_lowering {

/// Contractions marked for tensor cores (on buffers) → gpu.launch of
/// mma.sync warps, absorbing the element-wise op that reads their
/// accumulators as the kernel's epilogue.
void populateTensorCoreKernelPatterns(mlir::RewritePatternSet &patterns);

} // namespace quantc::gpu_lowering

#endif // QUANTC_LIB_CONVERSION_QCTOGPU_QCTOGPUPATTERNS_H
