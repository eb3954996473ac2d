// Debian's stock mlir-opt-22 loads the qc dialect and every quantc pass from
// one plugin library and runs a quantc pipeline, spelled pass by pass or as
// the named pipeline.
// RUN: %qc_python -c "import numpy as n; n.savez('%t.npz', x=n.linspace(-1, 1, 64, dtype=n.float32).reshape(16, 1, 4))"
// RUN: mlir-opt --load-dialect-plugin=%qc_plugin --load-pass-plugin=%qc_plugin \
// RUN:   --pass-pipeline='builtin.module(qc-calibrate{data=%t.npz},qc-quantize,qc-fold-scales)' %s | FileCheck %s
// RUN: mlir-opt --load-dialect-plugin=%qc_plugin --load-pass-plugin=%qc_plugin \
// RUN:   --pass-pipeline='builtin.module(qc-quantize-pipeline{data=%t.npz})' %s | FileCheck %s
// RUN: mlir-opt --load-dialect-plugin=%qc_plugin --load-pass-plugin=%qc_plugin --help | FileCheck %s --check-prefix=HELP

// CHECK: qc.quantize %arg0 : tensor<1x4xf32> -> tensor<1x4x!quant.uniform<i8:f32, 0.0078431377187371254:-1>>
// CHECK: qc.qmatmul
// CHECK: qc.requantize {{.*}}clamp_min
// CHECK: qc.dequantize
// CHECK-NOT: qc.matmul
// CHECK-NOT: qc.relu

// HELP-DAG: --qc-calibrate
// HELP-DAG: --qc-fold-scales
// HELP-DAG: --qc-quantize
// HELP-DAG: --qc-quantize-pipeline
// HELP-DAG: --qc-report
// HELP-DAG: --qc-simplify

func.func @main(%x: tensor<1x4xf32> {qc.name = "x"}) -> tensor<1x4xf32> {
  %w = qc.constant dense<[[0.5, -0.25, 1.0, 0.1], [0.2, 0.3, -0.4, 0.5], [0.6, -0.7, 0.8, 0.9], [-1.0, 0.1, 0.2, 0.3]]> : tensor<4x4xf32>
  %a = qc.matmul %x, %w : (tensor<1x4xf32>, tensor<4x4xf32>) -> tensor<1x4xf32> loc("fc")
  %r = qc.relu %a : tensor<1x4xf32> loc("fc_relu")
  return %r : tensor<1x4xf32>
}
