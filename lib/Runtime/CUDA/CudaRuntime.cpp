//===- CudaRuntime.cpp - the CUDA backend of quantc artifacts ---*- C++ -*-===//
//
// libquantc_cuda.a, linked into every CUDA artifact. It implements, over the
// CUDA driver API, the mgpu* entry points that MLIR's gpu-to-llvm lowering
// calls (module load, launch, stream, device allocation), and the two run
// functions libquantc_runtime calls:
//
// - modules load lazily, on the first launch, into the device's primary
//   context (so buffers from the CUDA runtime API of the caller work);
//   loading a library therefore never touches the driver;
// - a run's launches and allocations queue on one stream (the caller's, or
//   the artifact's own), and device memory comes from a per-artifact pool,
//   freed blocks reused by size, so steady-state runs allocate nothing;
// - the mgpu* functions cannot return errors, so the first failure is kept
//   and later work skipped; the run function returns it.
//
//===----------------------------------------------------------------------===//
#include "quantc/Runtime/QuantCRuntime.h"

#include <cuda.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

// The mgpu* functions stay inside the artifact (each artifact has its own
// modules, pool and stream); only the run functions are exported.
#define QUANTC_MGPU extern "C"
#define QUANTC_EXPORT extern "C" __attribute__((visibility("default")))

namespace {
std::mutex mutex;
std::string firstError; // of the current run; guarded by `mutex`
CUcontext context = nullptr;
CUstream currentStream = nullptr;
CUstream ownStream = nullptr;

/// The name of a driver error, also when the driver cannot say (the stub
/// library answers every call with CUDA_ERROR_STUB_LIBRARY).
std::string describe(CUresult result) {
  const char *name = nullptr;
  if (cuGetErrorName(result, &name) == CUDA_SUCCESS && name)
    return name;
  switch (result) {
  case CUDA_ERROR_STUB_LIBRARY:
    return "CUDA_ERROR_STUB_LIBRARY (the toolkit's stub libcuda.so, not a "
           "driver)";
  case CUDA_ERROR_NO_DEVICE:
    return "CUDA_ERROR_NO_DEVICE";
  case CUDA_ERROR_SYSTEM_DRIVER_MISMATCH:
    return "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH";
  default:
    return "CUDA error " + std::to_string(static_cast<int>(result));
  }
}

/// Records the first failure of a run; true when `result` is a success.
bool check(CUresult result, const char *what) {
  if (result == CUDA_SUCCESS)
    return true;
  if (firstError.empty())
    firstError = std::string(what) + ": " + describe(result);
  return false;
}

bool failed() { return !firstError.empty(); }

/// Makes the primary context of the device ($QUANTC_CUDA_DEVICE, default 0)
/// current on this thread.
bool ensureContext() {
  if (context)
    return check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
  CUresult init = cuInit(0);
  if (init != CUDA_SUCCESS) {
    check(init, "no usable CUDA driver (cuInit)");
    return false;
  }
  const char *ordinal = std::getenv("QUANTC_CUDA_DEVICE");
  CUdevice device;
  if (!check(cuDeviceGet(&device, ordinal ? std::atoi(ordinal) : 0), "cuDeviceGet") ||
      !check(cuDevicePrimaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain"))
    return false;
  return check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
}

struct Module {
  explicit Module(const void *image) : image(image) {}
  const void *image;
  CUmodule module = nullptr;
  std::unordered_map<std::string, CUfunction> functions;
};

/// Device blocks by size, reused across runs (stream order keeps reuse on
/// the run's stream safe without waiting).
std::multimap<size_t, CUdeviceptr> freeBlocks;
std::unordered_map<CUdeviceptr, size_t> blockSizes;

CUdeviceptr allocate(size_t bytes) {
  bytes = bytes ? (bytes + 255) / 256 * 256 : 256;
  auto it = freeBlocks.find(bytes);
  if (it != freeBlocks.end()) {
    CUdeviceptr block = it->second;
    freeBlocks.erase(it);
    return block;
  }
  CUdeviceptr block = 0;
  if (!check(cuMemAlloc(&block, bytes), "cuMemAlloc"))
    return 0;
  blockSizes[block] = bytes;
  return block;
}

void release(CUdeviceptr block) {
  auto it = blockSizes.find(block);
  if (it != blockSizes.end())
    freeBlocks.emplace(it->second, block);
}

using RunFn = int32_t (*)(void **);

/// Runs the artifact on device buffers, queued on `stream`.
int32_t runOnDevice(RunFn run, void **buffers, CUstream stream) {
  currentStream = stream;
  run(buffers); // ends with a synchronization of the stream
  currentStream = nullptr;
  return failed() ? 1 : 0;
}
} // namespace

// The mgpu* ABI of MLIR's GPU-to-LLVM lowering.
QUANTC_MGPU void *mgpuModuleLoad(void *data, size_t /*size*/) {
  return new Module(data);
}

QUANTC_MGPU void *mgpuModuleLoadJIT(void *data, int /*optLevel*/) {
  return new Module(data); // PTX text: cuModuleLoadData compiles it
}

QUANTC_MGPU void mgpuModuleUnload(void *handle) {
  auto *module = static_cast<Module *>(handle);
  if (module->module)
    cuModuleUnload(module->module); // at exit the driver may be gone: ignored
  delete module;
}

QUANTC_MGPU void *mgpuModuleGetFunction(void *handle, const char *name) {
  auto *module = static_cast<Module *>(handle);
  if (failed())
    return nullptr;
  if (!module->module &&
      !check(cuModuleLoadData(&module->module, module->image),
             "cuModuleLoadData (is the artifact built for this GPU?)"))
    return nullptr;
  CUfunction &function = module->functions[name];
  if (!function &&
      !check(cuModuleGetFunction(&function, module->module, name),
             "cuModuleGetFunction"))
    return nullptr;
  return function;
}

QUANTC_MGPU void *mgpuStreamCreate() { return currentStream; }

QUANTC_MGPU void mgpuStreamDestroy(void *) {}

QUANTC_MGPU void mgpuStreamSynchronize(void *stream) {
  if (!failed())
    check(cuStreamSynchronize(static_cast<CUstream>(stream)), "kernel execution");
}

QUANTC_MGPU void mgpuLaunchKernel(void *function, intptr_t gridX,
                                    intptr_t gridY, intptr_t gridZ,
                                    intptr_t blockX, intptr_t blockY,
                                    intptr_t blockZ, int32_t sharedBytes,
                                    void *stream, void **params, void **extra,
                                    size_t /*paramsCount*/) {
  if (failed() || !function)
    return;
  check(cuLaunchKernel(static_cast<CUfunction>(function), gridX, gridY, gridZ,
                       blockX, blockY, blockZ, sharedBytes,
                       static_cast<CUstream>(stream), params, extra),
        "cuLaunchKernel");
}

QUANTC_MGPU void *mgpuMemAlloc(uint64_t bytes, void * /*stream*/,
                                 bool /*isHostShared*/) {
  if (failed())
    return nullptr;
  return reinterpret_cast<void *>(allocate(bytes));
}

QUANTC_MGPU void mgpuMemFree(void *pointer, void * /*stream*/) {
  release(reinterpret_cast<CUdeviceptr>(pointer));
}

QUANTC_MGPU void mgpuMemcpy(void *dst, void *src, size_t bytes, void *stream) {
  if (!failed())
    check(cuMemcpyAsync(reinterpret_cast<CUdeviceptr>(dst),
                        reinterpret_cast<CUdeviceptr>(src), bytes,
                        static_cast<CUstream>(stream)),
          "cuMemcpyAsync");
}

QUANTC_MGPU void mgpuMemset32(void *dst, unsigned value, size_t count,
                                void *stream) {
  if (!failed())
    check(cuMemsetD32Async(reinterpret_cast<CUdeviceptr>(dst), value, count,
                           static_cast<CUstream>(stream)),
          "cuMemsetD32Async");
}

// What libquantc_runtime calls (see QuantCRuntime.h).
QUANTC_EXPORT const char *quantc_cuda_last_error() {
  std::lock_guard<std::mutex> lock(mutex);
  static thread_local std::string copy;
  copy = firstError;
  return copy.c_str();
}

/// Runs on caller-owned device buffers, queued on the caller's `stream`
/// (null: the legacy default stream); returns when the stream is idle.
QUANTC_EXPORT int32_t quantc_cuda_run_device(RunFn run, void **buffers,
                                             void *stream) {
  std::lock_guard<std::mutex> lock(mutex);
  firstError.clear();
  if (!ensureContext())
    return 1;
  return runOnDevice(run, buffers, static_cast<CUstream>(stream));
}

/// Runs on host buffers: `table` is the artifact's signature table
/// (#inputs, #outputs, then per tensor: element code, rank, dims), and the
/// sizes of `buffers` follow from it. Inputs are copied to the device,
/// outputs back.
QUANTC_EXPORT int32_t quantc_cuda_run_host(RunFn run, const int64_t *table,
                                           void **buffers) {
  std::lock_guard<std::mutex> lock(mutex);
  firstError.clear();
  if (!ensureContext())
    return 1;
  if (!ownStream && !check(cuStreamCreate(&ownStream, CU_STREAM_NON_BLOCKING),
                           "cuStreamCreate"))
    return 1;
  int64_t inputs = table[0], count = table[0] + table[1];
  const int64_t *cursor = table + 2;
  std::vector<size_t> bytes;
  for (int64_t i = 0; i < count; ++i) {
    size_t size = qc_element_size(static_cast<qc_element_type>(*cursor++));
    for (int64_t rank = *cursor++; rank > 0; --rank)
      size *= *cursor++;
    bytes.push_back(size);
  }
  std::vector<void *> device(count);
  for (int64_t i = 0; i < count && !failed(); ++i) {
    device[i] = reinterpret_cast<void *>(allocate(bytes[i]));
    if (i < inputs)
      check(cuMemcpyHtoDAsync(reinterpret_cast<CUdeviceptr>(device[i]),
                              buffers[i], bytes[i], ownStream),
            "cuMemcpyHtoDAsync");
  }
  if (!failed())
    runOnDevice(run, device.data(), ownStream);
  for (int64_t i = inputs; i < count && !failed(); ++i)
    check(cuMemcpyDtoHAsync(buffers[i], reinterpret_cast<CUdeviceptr>(device[i]),
                            bytes[i], ownStream),
          "cuMemcpyDtoHAsync");
  if (!failed())
    check(cuStreamSynchronize(ownStream), "cuStreamSynchronize");
  for (void *block : device)
    if (block)
      release(reinterpret_cast<CUdeviceptr>(block));
  return failed() ? 1 : 0;
}
