/*===- QuantCRuntime.h - load and run quantc artifacts -------------*- C -*-===*\
|*                                                                            *|
|* The C API of libquantc_runtime: loads a model shared library written by   *|
|* `quantc ... -o model.so` and runs it on caller-owned buffers. Each tensor *|
|* is a contiguous row-major buffer of its element type; quantized tensors   *|
|* are their storage integers (scales and zero points are in the manifest).  *|
|* Functions returning int return 0 on success and set qc_last_error().      *|
|*                                                                            *|
|* Thread safety: every function may be called from many threads at once,    *|
|* with these exceptions. qc_model_free and qc_generator_free must not race  *|
|* with any other use of the object they free. A generator is used by one    *|
|* thread at a time (its calls change its sequence). qc_model_run and        *|
|* qc_model_run_device may run one model from any number of threads at the   *|
|* same time, each call with its own buffers; each call uses the model's    *|
|* thread count, and models of one library share its worker pool (no call   *|
|* waits for another to finish; results do not depend on concurrency). CUDA  *|
|* artifacts serialize their runs. A model library is native code: load     *|
|* only libraries from a trusted source.                                     *|
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

/* The artifact format this runtime loads: the "format" of a library's
   manifest (model.json beside model.so). */
#define QC_ARTIFACT_FORMAT "quantc-artifact-2"

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

/* Loads an artifact after checking it against its manifest (the .json
   beside the .so): the format version, the CPU features its code needs,
   its size and hash. NULL on failure (missing file or manifest, a
   truncated, corrupted or swapped library, a CPU without the features, not
   a quantc artifact, a CUDA artifact where no NVIDIA driver is installed).
   Loading never touches the GPU: CUDA artifacts load their kernels on the
   first run. */
qc_model *qc_model_load(const char *path);
void qc_model_free(qc_model *model);

size_t qc_model_num_inputs(const qc_model *model);
size_t qc_model_num_outputs(const qc_model *model);
int qc_model_input_info(const qc_model *model, size_t index,
                        qc_tensor_info *info);
int qc_model_output_info(const qc_model *model, size_t index,
                         qc_tensor_info *info);

/* Threads each run of the model uses: the caller's and threads - 1 workers
   of the library's pool (default: 1). Runs started after the call use it. */
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

/* The CPU the running code was compiled for (the manifest's target_cpu):
   of a library with several variants (--target-cpu=a;b or portable), the
   one picked at load time, the first whose features this CPU has. */
const char *qc_model_target_cpu(const qc_model *model);

size_t qc_element_size(qc_element_type type);

/* Generation with a language model compiled by `quantc --generator`: the
   library computes one step of T tokens (its input_ids are [1, T]) over a
   KV cache that the generator owns. The cache grows with the sequence
   (its capacity doubles), never beyond max_context tokens, and is written
   in place; prefill feeds any number of tokens, T at a time.

   Thread safety: a generator must not be used by two threads at once.
   Generators over the same model may be used from different threads at
   the same time, with any thread count (each step binds its generator's
   cache to the calling thread only). */
typedef struct qc_generator qc_generator;
/* NULL (see qc_last_error) when `model` is no generator library or
   max_context < 1. */
qc_generator *qc_generator_create(qc_model *model, int64_t max_context);
void qc_generator_free(qc_generator *generator);
/* Appends `count` tokens to the sequence and computes the logits after the
   last one. Fails, changing nothing, on a token outside the vocabulary or
   when the sequence would exceed max_context. */
int qc_generator_prefill(qc_generator *generator, const int64_t *tokens,
                         size_t count);
/* qc_generator_prefill that also writes the logits after every token fed
   to `logits` ([count, vocab] floats): what perplexity needs. */
int qc_generator_prefill_logits(qc_generator *generator, const int64_t *tokens,
                                size_t count, float *logits);
/* qc_generator_prefill of one token. */
int qc_generator_step(qc_generator *generator, int64_t token);
/* The logits after the last token fed ([vocab] floats, valid until the
   next call on this generator); NULL before the first token. */
const float *qc_generator_logits(const qc_generator *generator);
size_t qc_generator_vocab_size(const qc_generator *generator);
/* Tokens in the sequence (the KV cache length). */
int64_t qc_generator_length(const qc_generator *generator);
/* Bytes of KV cache memory the generator holds. */
int64_t qc_generator_cache_bytes(const qc_generator *generator);
/* Forgets the sequence (keeps the cache memory for the next one). */
void qc_generator_reset(qc_generator *generator);

#ifdef __cplusplus
}
#endif

#endif /* QUANTC_RUNTIME_QUANTCRUNTIME_H */
