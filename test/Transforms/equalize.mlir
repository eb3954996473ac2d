// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(qc-equalize)" --verify-diagnostics | FileCheck %s
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(qc-equalize)" --mlir-print-op-generic | quant-opt --split-input-file | FileCheck %s --check-prefix=ROUNDTRIP

// Rule (data-free): row c of the first layer has range r1 = [4, 1], the
// second layer's weights reading channel c have r2 = [1, 4]; s = sqrt(r1/r2)
// = [2, 0.5] gives both ranges sqrt(r1 r2) = 2. The first layer's bias is
// divided by s, the second layer's weights multiplied; Relu commutes with a
// positive scale, so the model is unchanged.
// CHECK-LABEL: func.func @conv_relu_conv
// CHECK-DAG: %[[W1:.*]] = qc.constant dense<2.000000e+00> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B1:.*]] = qc.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK: %[[Y:.*]] = qc.conv %arg0, %[[W1]], %[[B1]]
// CHECK: %[[R:.*]] = qc.relu %[[Y]]
// CHECK: %[[W2:.*]] = qc.constant dense<2.000000e+00> : tensor<1x2x1x1xf32>
// CHECK: qc.conv %[[R]], %[[W2]]
// ROUNDTRIP-LABEL: func.func @conv_relu_conv
// ROUNDTRIP: qc.constant dense<2.000000e+00> : tensor<2x1x1x1xf32>
// expected-remark @below {{cross-layer equalization: 1 of 1 layer pairs rescaled}}
func.func @conv_relu_conv(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %w1 = qc.constant dense<[[[[4.0]]], [[[1.0]]]]> : tensor<2x1x1x1xf32>
  %b1 = qc.constant dense<[2.0, 1.0]> : tensor<2xf32>
  %w2 = qc.constant dense<[[[[1.0]], [[4.0]]]]> : tensor<1x2x1x1xf32>
  %y = qc.conv %x, %w1, %b1 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %r = qc.relu %y : tensor<1x2x4x4xf32>
  %z = qc.conv %r, %w2 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x1x4x4xf32>
  return %z : tensor<1x1x4x4xf32>
}

// -----

// Rule: a depthwise second layer reads channel c with its own row c only
// (r2 = [1, 16]): s = [2, 0.25], and both weights become [2, 4]; without
// a bias the first layer gets none.
// CHECK-LABEL: func.func @depthwise_second
// CHECK-COUNT-2: qc.constant dense<[{{\[\[\[}}2.000000e+00]]], {{\[\[\[}}4.000000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK-NOT: qc.constant
// expected-remark @below {{1 of 1 layer pairs rescaled}}
func.func @depthwise_second(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w1 = qc.constant dense<[[[[4.0]]], [[[1.0]]]]> : tensor<2x1x1x1xf32>
  %w2 = qc.constant dense<[[[[1.0]]], [[[16.0]]]]> : tensor<2x1x1x1xf32>
  %y = qc.conv %x, %w1 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %z = qc.conv %y, %w2 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 2} : (tensor<1x2x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  return %z : tensor<1x2x4x4xf32>
}

// -----

// Rule: gemm to gemm pairs along the columns of the first (its transposed
// weight's rows) and the rows of the second (r1 = [9, 1], r2 = [1, 1]):
// sqrt(9) = 3 rounds to the power of two 4, which keeps the rescaling exact;
// the first gemm's C is its bias. The next round (ranges 2.25 and 4) wants
// 0.75, which rounds to 1: done.
// CHECK-LABEL: func.func @gemm_relu_gemm
// CHECK-DAG: qc.constant dense<{{\[\[}}2.250000e+00], [1.000000e+00]]> : tensor<2x1xf32>
// CHECK-DAG: qc.constant dense<[1.500000e+00, 1.000000e+00]> : tensor<2xf32>
// CHECK-DAG: qc.constant dense<{{\[\[}}4.000000e+00], [1.000000e+00]]> : tensor<2x1xf32>
// expected-remark @below {{1 of 1 layer pairs rescaled}}
func.func @gemm_relu_gemm(%x: tensor<3x1xf32>) -> tensor<3x1xf32> {
  %w1 = qc.constant dense<[[9.0], [1.0]]> : tensor<2x1xf32>
  %c1 = qc.constant dense<[6.0, 1.0]> : tensor<2xf32>
  %w2 = qc.constant dense<[[1.0], [1.0]]> : tensor<2x1xf32>
  %y = qc.gemm %x, %w1, %c1 {trans_b = true} : (tensor<3x1xf32>, tensor<2x1xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  %r = qc.relu %y : tensor<3x2xf32>
  %z = qc.gemm %r, %w2 : (tensor<3x2xf32>, tensor<2x1xf32>) -> tensor<3x1xf32>
  return %z : tensor<3x1xf32>
}

// -----

// Negative: a function that does not commute with scaling (sigmoid), a
// first layer whose output is also returned, and a conv feeding a matmul
// (channels on different axes) form no pair; nothing changes, no remark.
// CHECK-LABEL: func.func @no_pairs
// CHECK-DAG: qc.constant dense<{{\[\[\[\[}}4.000000e+00]]], {{\[\[\[}}1.000000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK-NOT: dense<2.000000e+00>
func.func @no_pairs(%x: tensor<1x1x4x4xf32>) -> (tensor<1x1x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x1xf32>) {
  %w1 = qc.constant dense<[[[[4.0]]], [[[1.0]]]]> : tensor<2x1x1x1xf32>
  %w2 = qc.constant dense<[[[[1.0]], [[4.0]]]]> : tensor<1x2x1x1xf32>
  %m = qc.constant dense<[[1.0], [4.0], [1.0], [4.0]]> : tensor<4x1xf32>
  %y = qc.conv %x, %w1 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %s = qc.sigmoid %y : tensor<1x2x4x4xf32>
  %z = qc.conv %s, %w2 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x1x4x4xf32>
  %y2 = qc.conv %x, %w1 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %z2 = qc.conv %y2, %w2 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x1x4x4xf32>
  %y3 = qc.conv %x, %w1 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %z3 = qc.matmul %y3, %m : (tensor<1x2x4x4xf32>, tensor<4x1xf32>) -> tensor<1x2x4x1xf32>
  %sum = qc.add %z, %z2 : (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  return %sum, %y2, %z3 : tensor<1x1x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x1xf32>
}
