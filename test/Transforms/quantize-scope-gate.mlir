// A gate: one tensor times the sigmoid of another. The sigmoid ends a
// function of one tensor (a lookup table); the product of two tensors gets
// its own output type and becomes qc.qmul.
// RUN: quant-opt %s --qc-quantize --qc-fold-scales | FileCheck %s
// RUN: quant-opt %s --qc-quantize=activation=i16 --qc-fold-scales | FileCheck %s --check-prefix=WIDE

// CHECK: %[[A:.*]] = qc.requantize
// CHECK: %[[B:.*]] = qc.requantize
// CHECK: %[[G:.*]] = qc.lookup_table %[[B]]
// CHECK: %[[M:.*]] = qc.qmul %[[A]], %[[G]]
// CHECK: qc.dequantize %[[M]]
// CHECK-NOT: qc.sigmoid
// CHECK-NOT: qc.mul

// 16-bit activations have no tables or products: those stay float.
// WIDE: qc.sigmoid
// WIDE: qc.mul

func.func @main(%x: tensor<1x4xf32> {qc.range = array<f64: -1.0, 1.0>}) -> tensor<1x4xf32> {
  %w = qc.constant dense<[[0.5, -0.25, 1.0, 0.1], [0.2, 0.3, -0.4, 0.5], [0.6, -0.7, 0.8, 0.9], [-1.0, 0.1, 0.2, 0.3]]> : tensor<4x4xf32>
  %v = qc.constant dense<[[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8], [-0.1, -0.2, -0.3, -0.4], [0.9, -0.9, 0.5, -0.5]]> : tensor<4x4xf32>
  %a = qc.matmul %x, %w {qc.range = array<f64: -2.0, 2.0>} : (tensor<1x4xf32>, tensor<4x4xf32>) -> tensor<1x4xf32> loc("a")
  %b = qc.matmul %x, %v {qc.range = array<f64: -1.5, 1.5>} : (tensor<1x4xf32>, tensor<4x4xf32>) -> tensor<1x4xf32> loc("b")
  %g = qc.sigmoid %b {qc.range = array<f64: 0.2, 0.8>} : tensor<1x4xf32> loc("gate")
  %m = qc.mul %a, %g {qc.range = array<f64: -1.6, 1.6>} : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32> loc("gated")
  return %m : tensor<1x4xf32>
}
