/* Drives the compiler through the C API: load an ONNX model, quantize it
 * with the named pipeline, write bytecode and a model library, run that
 * library with the runtime; and report errors.
 * usage: capi-example model.onnx calib.npz out.mlirbc out.so */
#include "quantc-c/QuantC.h"
#include "quantc/Runtime/QuantCRuntime.h"

#include <stdio.h>

static int runArtifact(const char *path) {
  qc_model *model = qc_model_load(path);
  if (!model) {
    fprintf(stderr, "error: %s\n", qc_last_error());
    return 1;
  }
  qc_tensor_info in, out;
  qc_model_input_info(model, 0, &in);
  qc_model_output_info(model, 0, &out);
  float image[64] = {0}, logits[10];
  const void *inputs[] = {image};
  void *outputs[] = {logits};
  int failed = in.size_bytes != sizeof image || out.size_bytes != sizeof logits ||
               qc_model_run(model, inputs, outputs);
  if (!failed)
    printf("ran %s: '%s' -> '%s' [%lld x %lld]\n", path, in.name, out.name,
           (long long)out.dims[0], (long long)out.dims[1]);
  qc_model_free(model);
  return failed;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s model.onnx calib.npz out.mlirbc out.so\n", argv[0]);
    return 2;
  }
  QuantcSession *session = quantcSessionCreate();
  char pipeline[1024];
  snprintf(pipeline, sizeof pipeline,
           "builtin.module(qc-quantize-pipeline{data=%s})", argv[2]);
  if (quantcLoadONNX(session, argv[1], "image=1x1x8x8") ||
      quantcRunPipeline(session, pipeline) ||
      quantcWriteMLIR(session, argv[3], 1) ||
      quantcWriteArtifact(session, argv[4], NULL)) {
    fprintf(stderr, "error: %s", quantcGetLastError(session));
    quantcSessionDestroy(session);
    return 1;
  }
  printf("wrote %s\n", argv[3]);
  /* Errors are reported, never fatal: a missing file, a bad pipeline. */
  if (quantcLoadONNX(session, "missing.onnx", ""))
    printf("load error: %s", quantcGetLastError(session));
  if (quantcRunPipeline(session, "builtin.module(no-such-pass)"))
    printf("pipeline error: %s", quantcGetLastError(session));
  quantcSessionDestroy(session);
  return runArtifact(argv[4]);
}
