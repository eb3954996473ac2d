/*===- QuantCRuntime.h - load and run quantc artifacts -------------*- C -*-===*\
|*                                                                            *|
|* The C API of libquantc_runtime: loads a model shared library written by   *|
|* `quantc ... -o model.so` and runs it on caller-owned buffers. Each tensor *|
|* is a contiguous row-major buffer of its element type; quantized tensors   *|
|* are their storage integers (scales and zero points are in the manifest).  *|
|* Functions returning int return 0 on success and set qc_last_error().      *|
\*===----------------------------------------------------------------------===*/
#ifndef QUANTC_RUNTIME_QUANTCRUNTIME_H
#define QUANTC_RUNTIME_QUANTCRUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Element types of model inputs and outputs; the values are part of the
   artifact ABI. */
typedef enum qc_element_type {
  QC_ELEMENT_F32 = 0,
  QC_ELEMENT_F16 = 1,
  QC_ELEMENT_BF16 = 2,
  QC_ELEMENT_F64 = 3,
  QC_ELEMENT_I8 = 10,
  QC_ELEMENT_U8 = 11,
  QC_ELEMENT_I16 = 12,
  QC_ELEMENT_U16 = 13,
  QC_ELEMENT_I32 = 14,
  QC_ELEMENT_I64 = 15,
  QC_ELEMENT_BOOL = 16
} qc_element_type;

typedef struct qc_tensor_info {
  const char *name;
  qc_element_type element_type;
  int32_t rank;
  const int64_t *dims;
  size_t size_bytes;
} qc_tensor_info;

typedef struct qc_model qc_model;

/* The message of the last failed call on this thread. */
const char *qc_last_error(void);

/* Loads an artifact; NULL on failure (missing file, not a quantc artifact,
   a CUDA artifact where no NVIDIA driver is installed). Loading never
   touches the GPU: CUDA artifacts load their kernels on the first run. */
qc_model *qc_model_load(const char *path);
void qc_model_free(qc_model *model);

size_t qc_model_num_inputs(const qc_model *model);
size_t qc_model_num_outputs(const qc_model *model);
int qc_model_input_info(const qc_model *model, size_t index,
                        qc_tensor_info *info);
int qc_model_output_info(const qc_model *model, size_t index,
                         qc_tensor_info *info);

/* Worker threads of the model's kernels (default: 1). */
int qc_model_set_num_threads(qc_model *model, int threads);

/* Runs the model: `inputs[i]` and `outputs[j]` point at buffers of
   size_bytes each, in the order of the info functions. */
int qc_model_run(qc_model *model, const void *const *inputs,
                 void *const *outputs);

/* Runs a CUDA artifact on caller-owned device buffers (CUdeviceptr values,
   e.g. from cudaMalloc on the current device), queued on `stream` (a
   CUstream / cudaStream_t; NULL: the default stream); returns when the
   stream has finished the model. qc_model_run works on host buffers for
   every artifact, copying to and from the device for CUDA ones. */
int qc_model_run_device(qc_model *model, const void *const *inputs,
                        void *const *outputs, void *stream);

/* "cpu" or "cuda": where the artifact runs. */
const char *qc_model_target(const qc_model *model);

size_t qc_element_size(qc_element_type type);

#ifdef __cplusplus
}
#endif

#endif /* QUANTC_RUNTIME_QUANTCRUNTIME_H */
