// The whole compile as one named pipeline, as another compiler would spell
// it: quantize on calibration data, then lower with the VNNI kernels.
// RUN: %qc_python -c "import numpy as n; n.savez('%t.npz', x=n.random.default_rng(0).uniform(-1, 1, (8, 1, 1, 4, 4)).astype(n.float32))"
// RUN: quant-opt %s --pass-pipeline='builtin.module(qc-cpu-pipeline{data=%t.npz target-cpu=znver4})' | FileCheck %s
// RUN: quant-opt %s --pass-pipeline='builtin.module(qc-cpu-pipeline)' | FileCheck %s --check-prefix=FLOAT

// CHECK: llvm.call @quantc_qlayer_avx512vnni(
// CHECK: llvm.func @quantc_artifact_run
// FLOAT: llvm.call @quantc_fconv_avx512vnni(
// FLOAT-NOT: quantc_qlayer
func.func @main(%x: tensor<1x1x4x4xf32> {qc.name = "x"}) -> (tensor<1x2x4x4xf32> {qc.name = "y"}) {
  %w = qc.constant dense<[[[[0.5, -0.25, 1.0], [0.75, 0.1, -0.6], [0.2, 0.3, -0.9]]], [[[-0.5, 0.25, 0.4], [0.7, -0.1, 0.6], [0.9, 0.0, 0.2]]]]> : tensor<2x1x3x3xf32>
  %y = qc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x1x4x4xf32>, tensor<2x1x3x3xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}
