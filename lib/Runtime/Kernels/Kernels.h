//===- Kernels.h - microkernels linked into every artifact ------*- C++ -*-===//
//
// Internal to libquantc_kernels.a. The extern "C" entry points called by
// generated code are declared in quantc/Runtime/Microkernels.h.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_RUNTIME_KERNELS_KERNELS_H
#define QUANTC_LIB_RUNTIME_KERNELS_KERNELS_H

#include <cstdint>

namespace quantc::kernels {
using ChunkFn = void (*)(void *context, int64_t chunk);
/// Runs fn(context, i) for i in [0, chunks) on the artifact's worker pool.
void parallelFor(int64_t chunks, ChunkFn fn, void *context);
int numThreads();

/// Scratch memory of the calling thread, 64-byte aligned, reused across
/// calls (layers run one after another): slot `slot` grows to `bytes`.
void *scratch(int slot, int64_t bytes);
} // namespace quantc::kernels

#endif // QUANTC_LIB_RUNTIME_KERNELS_KERNELS_H
