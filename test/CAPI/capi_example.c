/* Drives the compiler through the C API: load an ONNX model, quantize it
 * with the named pipeline, write bytecode; and report an error.
 * usage: capi-example model.onnx calib.npz out.mlirbc */
#include "quantc-c/QuantC.h"

#include <stdio.h>

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s model.onnx calib.npz out.mlirbc\n", argv[0]);
    return 2;
  }
  QuantcSession *session = quantcSessionCreate();
  char pipeline[1024];
  snprintf(pipeline, sizeof pipeline,
           "builtin.module(qc-quantize-pipeline{data=%s})", argv[2]);
  if (quantcLoadONNX(session, argv[1], "image=1x1x8x8") ||
      quantcRunPipeline(session, pipeline) ||
      quantcWriteMLIR(session, argv[3], 1)) {
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
  return 0;
}
