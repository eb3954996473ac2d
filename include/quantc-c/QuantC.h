/*===- QuantC.h - the quantc compiler's C API ---------------------*- C -*-===*\
|*                                                                            *|
|* Drives the compiler from any language with a C FFI (Python ctypes, Rust,   *|
|* Go, ...): load an ONNX model (or MLIR), run a named pipeline, write the    *|
|* result. Every call returns 0 on success; on failure,                       *|
|* quantcGetLastError() holds the diagnostics, which name the ONNX node or    *|
|* the file. The library is libQuantC.so.                                     *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
#ifndef QUANTC_C_QUANTC_H
#define QUANTC_C_QUANTC_H

#if defined(QUANTC_BUILDING_CAPI)
#define QUANTC_CAPI __attribute__((visibility("default")))
#else
#define QUANTC_CAPI
#endif

#ifdef __cplusplus
extern "C" {
#endif

/// A compiler session: one MLIR context with quantc's dialects and passes,
/// holding at most one module.
typedef struct QuantcSession QuantcSession;

/// Creates a session; null only when out of memory.
QUANTC_CAPI QuantcSession *quantcSessionCreate(void);
QUANTC_CAPI void quantcSessionDestroy(QuantcSession *session);

/// Imports an ONNX model (.onnx binary or .onnxtxt text). `inputShapes`
/// binds dynamic input dimensions, "name=1x3x224x224[,name=...]" (may be
/// null or empty).
QUANTC_CAPI int quantcLoadONNX(QuantcSession *session, const char *path,
                   const char *inputShapes);

/// Parses MLIR text or bytecode.
QUANTC_CAPI int quantcLoadMLIR(QuantcSession *session, const char *path);

/// Runs a textual pass pipeline on the module, e.g.
/// "builtin.module(qc-quantize-pipeline{data=calib.npz})".
QUANTC_CAPI int quantcRunPipeline(QuantcSession *session, const char *pipeline);

/// Writes the module as MLIR bytecode (`bytecode` non-zero) or text; the
/// file appears only when writing succeeded.
QUANTC_CAPI int quantcWriteMLIR(QuantcSession *session, const char *path, int bytecode);

/// Compiles the (quantized) module for the CPU `targetCPU` (NULL: znver4)
/// into the shared library `path`, with its .h and .json beside it; load it
/// with libquantc_runtime (quantc/Runtime/QuantCRuntime.h). The session then
/// holds the lowered module.
QUANTC_CAPI int quantcWriteArtifact(QuantcSession *session, const char *path,
                                    const char *targetCPU);

/// The diagnostics of the last failed call (empty when it succeeded); owned
/// by the session, valid until its next call.
QUANTC_CAPI const char *quantcGetLastError(const QuantcSession *session);

#ifdef __cplusplus
}
#endif

#endif /* QUANTC_C_QUANTC_H */
