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

#include <string>
#include <vector>

namespace quantc::runtime {
/// Records `message` as this thread's qc_last_error(); returns 1.
int fail(std::string message);

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
  std::vector<void *> buffers;
  ~qc_model() {
    if (handle)
      dlclose(handle);
  }
};

#endif // QUANTC_LIB_RUNTIME_RUNTIMEINTERNAL_H
