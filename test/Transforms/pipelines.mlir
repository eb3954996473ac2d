// The driver's quantization pipeline as a named pipeline with options.
// RUN: %qc_python -c "import numpy as n; n.savez('%t.npz', x=n.linspace(-1, 1, 64, dtype=n.float32).reshape(16, 1, 4))"
// RUN: quant-opt %s --pass-pipeline='builtin.module(qc-quantize-pipeline{data=%t.npz activation=i16 scheme=symmetric rounding=double_round})' | FileCheck %s
// RUN: not quant-opt %s --pass-pipeline='builtin.module(qc-quantize-pipeline{activation=i16})' 2>&1 | FileCheck %s --check-prefix=NODATA

// Symmetric 16-bit input over [-1, 1]: scale 1/32767.
// CHECK: qc.quantize %arg0 : tensor<1x4xf32> -> tensor<1x4x!quant.uniform<i16<-32767:32767>:f32, 3.0518509447574615E-5>>
// CHECK: qc.qmatmul
// CHECK: qc.requantize {{.*}}rounding = #qc<rounding double_round>
// NODATA: error: qc-calibrate needs data=

func.func @main(%x: tensor<1x4xf32> {qc.name = "x"}) -> tensor<1x4xf32> {
  %w = qc.constant dense<[[0.5, -0.25, 1.0, 0.1], [0.2, 0.3, -0.4, 0.5], [0.6, -0.7, 0.8, 0.9], [-1.0, 0.1, 0.2, 0.3]]> : tensor<4x4xf32>
  %a = qc.matmul %x, %w : (tensor<1x4xf32>, tensor<4x4xf32>) -> tensor<1x4xf32> loc("fc")
  return %a : tensor<1x4xf32>
}
