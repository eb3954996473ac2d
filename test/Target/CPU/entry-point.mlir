// RUN: quant-opt %s --qc-cpu-entry-point | FileCheck %s

// Rule: @main becomes internal and loses its attributes; the artifact gets
// the signature table [#in, #out, (code, rank, dims)...] (f32 = 0, quantized
// u8 = 11), the NUL-separated names, and quantc_artifact_run, which loads
// each buffer pointer and calls @main.
// CHECK: llvm.func internal @qc_model_main(%arg0: !llvm.ptr, %arg1: !llvm.ptr)
// CHECK: llvm.mlir.global external constant @quantc_artifact_signature(dense<[1, 1, 0, 2, 1, 4, 11, 1, 3]> : tensor<9xi64>)
// CHECK: llvm.mlir.global external constant @quantc_artifact_names("image\00scores\00")
// CHECK: llvm.func @quantc_artifact_run(%[[ARGS:.*]]: !llvm.ptr) -> i32
// CHECK: %[[S0:.*]] = llvm.getelementptr %[[ARGS]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: %[[B0:.*]] = llvm.load %[[S0]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[S1:.*]] = llvm.getelementptr %[[ARGS]][1]
// CHECK: %[[B1:.*]] = llvm.load %[[S1]]
// CHECK: llvm.call @qc_model_main(%[[B0]], %[[B1]])
// CHECK: llvm.return
module attributes {qc.signature = {inputs = [{name = "image", type = tensor<1x4xf32>}], outputs = [{name = "scores", type = tensor<3x!quant.uniform<u8:f32, 0.1:128>>}]}} {
  llvm.func @main(%arg0: !llvm.ptr {qc.name = "image"}, %arg1: !llvm.ptr) {
    llvm.return
  }
}

