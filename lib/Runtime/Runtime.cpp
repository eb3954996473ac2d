//===- Runtime.cpp - load and run quantc artifacts --------------*- C++ -*-===//
//
// libquantc_runtime: dlopen()s a model library, reads its signature table
// and runs it. Kept free of MLIR and LLVM so applications link only this.
//
//===----------------------------------------------------------------------===//
#include "RuntimeInternal.h"

#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

namespace {
thread_local std::string lastError;
} // namespace

int quantc::runtime::fail(std::string message) {
  lastError = std::move(message);
  return 1;
}

using namespace quantc::runtime;

extern "C" {

const char *qc_last_error(void) { return lastError.c_str(); }

qc_model *qc_model_load(const char *path) {
  auto model = std::make_unique<qc_model>();
  Variant variant;
  int fd = openVerifiedLibrary(path, variant);
  if (fd < 0)
    return nullptr;
  // A bare file name would make dlopen search the library path instead.
  std::string file = path;
  if (file.find('/') == std::string::npos)
    file = "./" + file;
  model->handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!model->handle) {
    close(fd);
    const char *why = dlerror();
    std::string message = std::string("cannot load ") + path + ": " +
                          (why ? why : "unknown");
    if (message.find("libcuda.so") != std::string::npos)
      message += " (a CUDA artifact needs the NVIDIA driver's libcuda.so.1)";
    fail(message);
    return nullptr;
  }
  model->run = reinterpret_cast<RunFn>(dlsym(model->handle, variant.runSymbol.c_str()));
  model->targetCPU = variant.targetCPU;
  auto *table = static_cast<const int64_t *>(
      dlsym(model->handle, "quantc_artifact_signature"));
  auto *names = static_cast<const char *>(dlsym(model->handle, "quantc_artifact_names"));
  model->setThreads = reinterpret_cast<SetThreadsFn>(
      dlsym(model->handle, "quantc_artifact_set_num_threads"));
  model->table = table;
  model->cudaRunHost = reinterpret_cast<CudaRunHostFn>(
      dlsym(model->handle, "quantc_cuda_run_host"));
  model->cudaRunDevice = reinterpret_cast<CudaRunDeviceFn>(
      dlsym(model->handle, "quantc_cuda_run_device"));
  model->cudaError = reinterpret_cast<CudaErrorFn>(
      dlsym(model->handle, "quantc_cuda_last_error"));
  if (!model->run || !table || !names) {
    close(fd);
    fail(std::string(path) + " is not a quantc artifact (no " + variant.runSymbol + ")");
    return nullptr;
  }
  // dlopen reuses a library already loaded from the same path: it must be
  // the file just checked.
  bool checked = isMappedFrom(reinterpret_cast<const void *>(model->run), fd);
  close(fd);
  if (!checked) {
    fail(std::string("cannot load ") + path + ": the library loaded is not the "
         "file checked (it changed on disk while another model still uses the "
         "library loaded from this path before)");
    return nullptr;
  }
  int64_t counts[2] = {table[0], table[1]};
  const int64_t *cursor = table + 2;
  for (int group = 0; group < 2; ++group)
    for (int64_t i = 0; i < counts[group]; ++i) {
      Tensor t;
      t.name = names;
      names += t.name.size() + 1;
      t.type = static_cast<qc_element_type>(*cursor++);
      int64_t rank = *cursor++;
      t.bytes = qc_element_size(t.type);
      for (int64_t d = 0; d < rank; ++d) {
        t.dims.push_back(*cursor++);
        t.bytes *= t.dims.back();
      }
      (group ? model->outputs : model->inputs).push_back(std::move(t));
    }
  return model.release();
}

void qc_model_free(qc_model *model) { delete model; }

size_t qc_model_num_inputs(const qc_model *model) { return model->inputs.size(); }
size_t qc_model_num_outputs(const qc_model *model) { return model->outputs.size(); }

static int describe(const std::vector<Tensor> &tensors, size_t index,
                    qc_tensor_info *info) {
  if (index >= tensors.size())
    return fail("tensor index " + std::to_string(index) + " out of range");
  const Tensor &t = tensors[index];
  *info = {t.name.c_str(), t.type, static_cast<int32_t>(t.dims.size()),
           t.dims.data(), t.bytes};
  return 0;
}

int qc_model_input_info(const qc_model *model, size_t index, qc_tensor_info *info) {
  return describe(model->inputs, index, info);
}

int qc_model_output_info(const qc_model *model, size_t index, qc_tensor_info *info) {
  return describe(model->outputs, index, info);
}

int qc_model_set_num_threads(qc_model *model, int threads) {
  if (threads < 1)
    return fail("thread count must be positive");
  model->threads.store(threads, std::memory_order_relaxed);
  return 0;
}

const char *qc_model_target(const qc_model *model) {
  return model->cudaRunHost ? "cuda" : "cpu";
}

const char *qc_model_target_cpu(const qc_model *model) { return model->targetCPU.c_str(); }

/// Binds the caller's buffers in the order of the signature (into a list of
/// this call's own: runs may be concurrent).
static int bindBuffers(const qc_model *model, const void *const *inputs,
                       void *const *outputs, std::vector<void *> &buffers) {
  if (!inputs || !outputs)
    return fail("qc_model_run: null buffer array");
  size_t n = model->inputs.size();
  buffers.clear();
  for (size_t i = 0; i < n; ++i)
    buffers.push_back(const_cast<void *>(inputs[i]));
  buffers.insert(buffers.end(), outputs, outputs + model->outputs.size());
  // Empty tensors (a KV cache of length 0) may come as null pointers.
  for (size_t i = 0; i < buffers.size(); ++i) {
    const Tensor &t = i < n ? model->inputs[i] : model->outputs[i - n];
    if (!buffers[i] && t.bytes != 0)
      return fail("qc_model_run: null buffer for '" + t.name + "'");
  }
  return 0;
}

static int cudaFailure(qc_model *model) {
  return fail(std::string("the model failed on the GPU: ") + model->cudaError());
}

int qc_model_run(qc_model *model, const void *const *inputs, void *const *outputs) {
  std::vector<void *> buffers;
  if (bindBuffers(model, inputs, outputs, buffers))
    return 1;
  if (model->cudaRunHost)
    return model->cudaRunHost(model->run, model->table, buffers.data())
               ? cudaFailure(model)
               : 0;
  // Generated code fails only where a branch the model cannot run with its
  // compiled shapes is taken (qc.fail).
  return runOnThisThread(model, buffers.data())
             ? fail("the model failed: it took a branch that cannot run with the shapes it "
                    "was compiled for (quantc warned of it)")
             : 0;
}

int qc_model_run_device(qc_model *model, const void *const *inputs,
                        void *const *outputs, void *stream) {
  if (!model->cudaRunDevice)
    return fail("qc_model_run_device: not a CUDA artifact (use qc_model_run)");
  std::vector<void *> buffers;
  if (bindBuffers(model, inputs, outputs, buffers))
    return 1;
  return model->cudaRunDevice(model->run, buffers.data(), stream)
             ? cudaFailure(model)
             : 0;
}

} // extern "C"
