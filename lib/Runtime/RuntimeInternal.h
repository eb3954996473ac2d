//===- RuntimeInternal.h - the runtime's model object -----------*- C++ -*-===//
//
// Internal to libquantc_runtime: the loaded artifact that the model API
// (Runtime.cpp) and the generator API (Generator.cpp) share.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_RUNTIME_RUNTIMEINTERNAL_H
#define QUANTC_LIB_RUNTIME_RUNTIMEINTERNAL_H

#include "quantc/Runtime/QuantCRuntime.h"

#include <dlfcn.h>

#include <atomic>
#include <string>
#include <vector>

namespace quantc::runtime {
/// Records `message` as this thread's qc_last_error(); returns 1.
int fail(std::string message);

/// The code of a library that this CPU runs: its entry point and the
/// target it was compiled for (of a library with several variants, the
/// first whose features this CPU has).
struct Variant {
  std::string runSymbol = "quantc_artifact_run";
  std::string targetCPU;
};

/// Opens a model library after checking it against the manifest beside it
/// (format, CPU features, size, hash) and picks its variant: a descriptor of
/// the checked file, or -1 with qc_last_error() set (ArtifactCheck.cpp).
int openVerifiedLibrary(const std::string &library, Variant &variant);
/// Whether `symbol` of a loaded library lies in code mapped from the file
/// open as `fd`.
bool isMappedFrom(const void *symbol, int fd);

struct Tensor {
  std::string name;
  qc_element_type type;
  std::vector<int64_t> dims;
  size_t bytes;
};

using RunFn = int32_t (*)(void **);
using SetThreadsFn = void (*)(int32_t);
// The CUDA backend inside CUDA artifacts (lib/Runtime/CUDA).
using CudaRunHostFn = int32_t (*)(RunFn, const int64_t *, void **);
using CudaRunDeviceFn = int32_t (*)(RunFn, void **, void *);
using CudaErrorFn = const char *(*)();
} // namespace quantc::runtime

struct qc_model {
  void *handle = nullptr;
  quantc::runtime::RunFn run = nullptr;
  quantc::runtime::SetThreadsFn setThreads = nullptr;
  const int64_t *table = nullptr;
  quantc::runtime::CudaRunHostFn cudaRunHost = nullptr;
  quantc::runtime::CudaRunDeviceFn cudaRunDevice = nullptr;
  quantc::runtime::CudaErrorFn cudaError = nullptr;
  std::vector<quantc::runtime::Tensor> inputs, outputs;
  /// The target of the code that runs (the variant picked).
  std::string targetCPU;
  /// Threads each run uses (the caller and the artifact's pool workers).
  std::atomic<int> threads{1};
  ~qc_model() {
    if (handle)
      dlclose(handle);
  }
};

namespace quantc::runtime {
/// Runs a CPU artifact's entry point on the calling thread with the model's
/// thread count; `buffers` are the inputs then the outputs.
inline int32_t runOnThisThread(qc_model *model, void **buffers) {
  if (model->setThreads)
    model->setThreads(model->threads.load(std::memory_order_relaxed));
  return model->run(buffers);
}
} // namespace quantc::runtime

#endif // QUANTC_LIB_RUNTIME_RUNTIMEINTERNAL_H
