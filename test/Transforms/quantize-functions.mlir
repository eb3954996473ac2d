// Functions of one 8-bit tensor with scope=all, and dense layers whose bias
// is a separate addition.
// RUN: quant-opt %s --split-input-file --qc-quantize --qc-fold-scales | FileCheck %s
// RUN: quant-opt %s --split-input-file --qc-quantize=onnx-exportable=true | FileCheck %s --check-prefix=EXPORT

// For QDQ export the ONNX nodes stay (no gemm for MatMul + Add) and every
// activation is 8-bit.
// EXPORT-LABEL: func @dense_gelu
// EXPORT-NOT: qc.gemm
// EXPORT-COUNT-2: qc.matmul
// EXPORT-LABEL: func @float_readers
// EXPORT: %[[T:.*]] = qc.tanh
// EXPORT-NEXT: qc.quantize %[[T]] {{.*}} -> tensor<2x4x!quant.uniform<i8:f32

// MatMul + Add of a per-column constant is one integer layer with the bias
// in its accumulator (a gemm over the rows of a 3-d input), and the tanh GELU
// after it, whose ops use x several times, is one table: no product or sum
// of the tensor with itself is rounded on the way.
// CHECK-LABEL: func @dense_gelu
// CHECK: qc.reshape %arg0 {{.*}} -> tensor<8x4xf32>
// CHECK: %[[IN:.*]] = qc.quantize
// CHECK: %[[ACC:.*]] = qc.qmatmul %[[IN]], %{{.*}}, %{{.*}} {zero_point_folded = true}
// CHECK: %[[Q:.*]] = qc.requantize %[[ACC]]
// CHECK: %[[R:.*]] = qc.reshape %[[Q]] {{.*}} -> tensor<2x4x4x!quant.uniform
// CHECK: %[[T:.*]] = qc.lookup_table %[[R]] {table = {{.*}} : tensor<256xi8>}
// CHECK-NOT: qc.qmul
// CHECK-NOT: qc.qadd
// CHECK-NOT: qc.tanh
// The next dense layer reads the table's rows as they are (quantized).
// CHECK: %[[T2:.*]] = qc.reshape %[[T]] {{.*}} -> tensor<8x4x!quant.uniform
// CHECK: %[[ACC2:.*]] = qc.qmatmul %[[T2]], %{{.*}}, %{{.*}} {zero_point_folded = true}
// CHECK: %[[Q2:.*]] = qc.requantize %[[ACC2]]
// CHECK: %[[R2:.*]] = qc.reshape %[[Q2]] {{.*}} -> tensor<2x4x3x!quant.uniform
// CHECK: %[[OUT:.*]] = qc.dequantize %[[R2]]
// CHECK-NEXT: return %[[OUT]]
func.func @dense_gelu(%x: tensor<2x4x4xf32> {qc.range = array<f64: -1.0, 1.0>}) -> tensor<2x4x3xf32> {
  %w = qc.constant dense<0.5> : tensor<4x4xf32>
  %b = qc.constant dense<[[[0.1, 0.2, 0.3, 0.4]]]> : tensor<1x1x4xf32>
  %c1 = qc.constant dense<0.044715> : tensor<f32>
  %c2 = qc.constant dense<0.797884583> : tensor<f32>
  %one = qc.constant dense<1.0> : tensor<f32>
  %half = qc.constant dense<0.5> : tensor<f32>
  %m = qc.matmul %x, %w {qc.range = array<f64: -2.0, 2.0>} : (tensor<2x4x4xf32>, tensor<4x4xf32>) -> tensor<2x4x4xf32> loc("dense")
  %a = qc.add %m, %b {qc.range = array<f64: -1.9, 2.4>} : (tensor<2x4x4xf32>, tensor<1x1x4xf32>) -> tensor<2x4x4xf32> loc("dense_bias")
  %p = qc.mul %a, %c1 {qc.range = array<f64: -0.1, 0.11>} : (tensor<2x4x4xf32>, tensor<f32>) -> tensor<2x4x4xf32>
  %p2 = qc.mul %a, %p {qc.range = array<f64: 0.0, 0.26>} : (tensor<2x4x4xf32>, tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %p3 = qc.mul %a, %p2 {qc.range = array<f64: -0.5, 0.62>} : (tensor<2x4x4xf32>, tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %s = qc.add %a, %p3 {qc.range = array<f64: -2.4, 3.0>} : (tensor<2x4x4xf32>, tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %u = qc.mul %s, %c2 {qc.range = array<f64: -1.9, 2.4>} : (tensor<2x4x4xf32>, tensor<f32>) -> tensor<2x4x4xf32>
  %t = qc.tanh %u {qc.range = array<f64: -0.96, 0.98>} : tensor<2x4x4xf32>
  %v = qc.add %t, %one {qc.range = array<f64: 0.04, 1.98>} : (tensor<2x4x4xf32>, tensor<f32>) -> tensor<2x4x4xf32>
  %h = qc.mul %v, %half {qc.range = array<f64: 0.02, 0.99>} : (tensor<2x4x4xf32>, tensor<f32>) -> tensor<2x4x4xf32>
  %g = qc.mul %a, %h {qc.range = array<f64: -0.17, 2.4>} : (tensor<2x4x4xf32>, tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %w2 = qc.constant dense<0.25> : tensor<4x3xf32>
  %b2 = qc.constant dense<[0.5, -0.5, 1.0]> : tensor<3xf32>
  %y = qc.matmul %g, %w2 {qc.range = array<f64: -1.0, 3.0>} : (tensor<2x4x4xf32>, tensor<4x3xf32>) -> tensor<2x4x3xf32> loc("out")
  %z = qc.add %b2, %y {qc.range = array<f64: -1.5, 4.0>} : (tensor<3xf32>, tensor<2x4x3xf32>) -> tensor<2x4x3xf32> loc("out_bias")
  return %z : tensor<2x4x3xf32>
}

// -----

// A constant that varies along the rows is not a bias: the matmul and the
// float addition stay.
// CHECK-LABEL: func @row_constant
// CHECK: qc.qmatmul
// CHECK: qc.dequantize
// CHECK: qc.add
func.func @row_constant(%x: tensor<2x4xf32> {qc.range = array<f64: -1.0, 1.0>}) -> tensor<2x4xf32> {
  %w = qc.constant dense<0.5> : tensor<4x4xf32>
  %b = qc.constant dense<[[0.1], [0.2]]> : tensor<2x1xf32>
  %m = qc.matmul %x, %w {qc.range = array<f64: -2.0, 2.0>} : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32> loc("dense")
  %a = qc.add %m, %b {qc.range = array<f64: -1.9, 2.2>} : (tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x4xf32> loc("add")
  return %a : tensor<2x4xf32>
}

// -----

// A function that only float ops read (the sums of a normalization) gets a
// 16-bit table when it is worth one (tanh), and stays float when it is
// cheap arithmetic (x * x): rounding to 8 bits before a sum only adds error.
// CHECK-LABEL: func @float_readers
// CHECK: %[[Q:.*]] = qc.requantize
// CHECK-DAG: %[[XD:.*]] = qc.dequantize %[[Q]]
// CHECK-DAG: %[[T:.*]] = qc.lookup_table %[[Q]] {table = {{.*}} : tensor<256xi16>} {{.*}} -> tensor<2x4x!quant.uniform<i16:f32
// CHECK: %[[TD:.*]] = qc.dequantize %[[T]]
// CHECK: qc.reduce_sum %[[TD]]
// CHECK: %[[SQ:.*]] = qc.mul %[[XD]], %[[XD]]
// CHECK: qc.reduce_sum %[[SQ]]
func.func @float_readers(%x: tensor<2x4xf32> {qc.range = array<f64: -1.0, 1.0>}) -> (tensor<2xf32>, tensor<2xf32>) {
  %w = qc.constant dense<0.5> : tensor<4x4xf32>
  %m = qc.matmul %x, %w {qc.range = array<f64: -2.0, 2.0>} : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32> loc("dense")
  %t = qc.tanh %m {qc.range = array<f64: -0.97, 0.97>} : tensor<2x4xf32>
  %s = qc.reduce_sum %t {axes = array<i64: 1>, keepdims = false, qc.range = array<f64: -4.0, 4.0>} : (tensor<2x4xf32>) -> tensor<2xf32>
  %sq = qc.mul %m, %m {qc.range = array<f64: 0.0, 4.0>} : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %v = qc.reduce_sum %sq {axes = array<i64: 1>, keepdims = false, qc.range = array<f64: 0.0, 16.0>} : (tensor<2x4xf32>) -> tensor<2xf32>
  return %s, %v : tensor<2xf32>, tensor<2xf32>
}
