//===- QCToGPUPatterns.h - pieces of convert-qc-to-gpu ----------*- C++ -*-===//
#ifndef QUANTC_LIB_CONVERSION_QCTOGPU_QCTOGPUPATTERNS_H
#define QUANTC_LIB_CONVERSION_QCTOGPU_QCTOGPUPATTERNS_H

#include "mlir/IR/PatternMatch.h"

namespace quantc::gpu_lowering {

/// Contractions marked for tensor cores (on buffers) → gpu.launch of
/// mma.sync warps (benefit 2, before the loop lowering of linalg ops).
void populateTensorCoreKernelPatterns(mlir::RewritePatternSet &patterns);

} // namespace quantc::gpu_lowering

#endif // QUANTC_LIB_CONVERSION_QCTOGPU_QCTOGPUPATTERNS_H
