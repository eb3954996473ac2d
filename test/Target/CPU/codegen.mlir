// RUN: quant-opt %s --qc-cpu-codegen | FileCheck %s --check-prefix=VNNI
// RUN: quant-opt %s --qc-cpu-codegen=target-cpu=x86-64-v3 | FileCheck %s --check-prefix=AVX2
// RUN: quant-opt %s --qc-cpu-codegen=target-cpu=x86-64 | FileCheck %s --check-prefix=GENERIC
// RUN: quant-opt %s --qc-cpu-codegen=microkernels=false | FileCheck %s --check-prefix=LOOPS

!x = !quant.uniform<i8:f32, 0.5:-3>
!w = !quant.uniform<i8<-127:127>:f32:0, {0.25, 0.125}>
!y = !quant.uniform<i8:f32, 2.0:4>

// The whole pipeline: quantize, one fused conv + requantize microkernel
// call chosen by --target-cpu, dequantize, in the LLVM dialect with the
// artifact entry point; without microkernels the conv is plain loops. The
// (flattened) dequantize writes straight into the caller's output buffer.
// VNNI: llvm.func @quantc_qlayer_avx512vnni(!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr)
// VNNI: llvm.func internal @qc_model_main
// VNNI: llvm.call @quantc_qlayer_avx512vnni(
// VNNI-NOT: llvm.intr.memcpy
// VNNI: llvm.func @quantc_artifact_run
// AVX2: llvm.call @quantc_qlayer_avx2(
// GENERIC: llvm.call @quantc_qlayer_generic(
// LOOPS-NOT: quantc_qlayer
// LOOPS: llvm.func @quantc_artifact_run
func.func @main(%in: tensor<1x1x3x3xf32> {qc.name = "image"}) -> (tensor<1x2x3x3xf32> {qc.name = "out"}) {
  %x = qc.quantize %in : tensor<1x1x3x3xf32> -> tensor<1x1x3x3x!x>
  %wi = qc.constant dense<[[[[1]]], [[[-2]]]]> : tensor<2x1x1x1xi8>
  %w = quant.scast %wi : tensor<2x1x1x1xi8> to tensor<2x1x1x1x!w>
  %b = qc.constant dense<[10, 20]> : tensor<2xi32>
  %acc = qc.qconv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x1x3x3x!x>, tensor<2x1x1x1x!w>, tensor<2xi32>) -> tensor<1x2x3x3xi32>
  %y = qc.requantize %acc {multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 3, 4>, axis = 1} : tensor<1x2x3x3xi32> -> tensor<1x2x3x3x!y>
  %d = qc.dequantize %y : tensor<1x2x3x3x!y> -> tensor<1x2x3x3xf32>
  return %d : tensor<1x2x3x3xf32>
}
