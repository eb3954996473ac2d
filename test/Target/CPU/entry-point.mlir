// RUN: quant-opt %s --split-input-file --qc-cpu-entry-point | FileCheck %s

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


// -----

// Rule: a @main taking memref descriptors (a GPU host, whose kernels take
// descriptors) gets each contiguous row-major buffer as pointer, pointer,
// offset 0, sizes and strides.
// CHECK: llvm.func internal @qc_model_main(%arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: i64, %arg3: i64, %arg4: i64, %arg5: i64, %arg6: i64, %arg7: !llvm.ptr, %arg8: !llvm.ptr, %arg9: i64)
// CHECK: llvm.func @quantc_artifact_run
// CHECK: %[[B0:.*]] = llvm.load
// CHECK-DAG: %[[Z:.*]] = llvm.mlir.constant(0 : i64) : i64
// CHECK-DAG: %[[D2:.*]] = llvm.mlir.constant(2 : i64) : i64
// CHECK-DAG: %[[D3:.*]] = llvm.mlir.constant(3 : i64) : i64
// CHECK-DAG: %[[S3:.*]] = llvm.mlir.constant(3 : i64) : i64
// CHECK-DAG: %[[S1:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK: %[[B1:.*]] = llvm.load
// CHECK: %[[Z1:.*]] = llvm.mlir.constant(0 : i64) : i64
// CHECK: llvm.call @qc_model_main(%[[B0]], %[[B0]], %[[Z]], %[[D2]], %[[D3]], %[[S3]], %[[S1]], %[[B1]], %[[B1]], %[[Z1]])
module attributes {qc.signature = {inputs = [{name = "x", type = tensor<2x3xf32>}], outputs = [{name = "y", type = tensor<f32>}]}} {
  llvm.func @main(%a0: !llvm.ptr, %a1: !llvm.ptr, %a2: i64, %a3: i64, %a4: i64, %a5: i64, %a6: i64, %b0: !llvm.ptr, %b1: !llvm.ptr, %b2: i64) {
    llvm.return
  }
}
