// RUN: quant-opt %s --qc-simplify --split-input-file | FileCheck %s

// Constant subgraphs are evaluated; identities and no-op reshapes vanish.
// CHECK-LABEL: func @fold_constants
// CHECK-NEXT: %[[C:.*]] = qc.constant dense<[2.000000e+00, 3.000000e+00]> : tensor<2xf32>
// CHECK-NEXT: %[[A:.*]] = qc.add %arg0, %[[C]]
// CHECK-NEXT: return %[[A]]
func.func @fold_constants(%x: tensor<2xf32>) -> tensor<2xf32> {
  %a = qc.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %b = qc.constant dense<1.0> : tensor<f32>
  %c = qc.add %a, %b : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
  %i = qc.identity %x : tensor<2xf32>
  %r = qc.reshape %i : tensor<2xf32> -> tensor<2xf32>
  %y = qc.add %r, %c : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

// Shape arithmetic on integer constants folds too.
// CHECK-LABEL: func @fold_shape_math
// CHECK-NEXT: %[[C:.*]] = qc.constant dense<[2, 12]> : tensor<2xi64>
// CHECK-NEXT: return %[[C]]
func.func @fold_shape_math() -> tensor<2xi64> {
  %s = qc.constant dense<[2, 3, 4]> : tensor<3xi64>
  %i = qc.constant dense<0> : tensor<1xi64>
  %n = qc.gather %s, %i {axis = 0 : i64} : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %m = qc.constant dense<12> : tensor<1xi64>
  %t = qc.concat %n, %m {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  return %t : tensor<2xi64>
}

// -----

// The folding limit keeps large constants unfolded.
// RUN: quant-opt %s --qc-simplify="max-fold-elements=1" --split-input-file | FileCheck %s --check-prefix=LIMIT
// LIMIT-LABEL: func @fold_limit
// LIMIT: qc.add
func.func @fold_limit() -> tensor<2xf32> {
  %a = qc.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %c = qc.add %a, %a : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %c : tensor<2xf32>
}

// -----

// Transposing a constant (a tied embedding read as the output layer's
// weight) folds whatever its size: it creates no more data than it reads.
// LIMIT-LABEL: func @relayout_folds_past_the_limit
// LIMIT-NOT: qc.transpose
// LIMIT: qc.constant dense<{{\[\[}}1.000000e+00, 3.000000e+00], [2.000000e+00, 4.000000e+00]]>
func.func @relayout_folds_past_the_limit() -> tensor<2x2xf32> {
  %a = qc.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %t = qc.transpose %a {perm = array<i64: 1, 0>} : (tensor<2x2xf32>) -> tensor<2x2xf32>
  return %t : tensor<2x2xf32>
}

// -----

// BatchNorm folds into the producing conv: w' = w * s, b' = (b - mean) * s + beta
// with s = gamma / sqrt(var + eps) = 2 / sqrt(4) = 1 for channel 0 and
// 3 / sqrt(1) = 3 for channel 1.
// CHECK-LABEL: func @fold_bn_conv
// CHECK-DAG: %[[W:.*]] = qc.constant dense<{{\[}}{{\[}}{{\[}}[1.000000e+00]]], {{\[}}{{\[}}[6.000000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.*]] = qc.constant dense<[0.000000e+00, 1.000000e+00]> : tensor<2xf32>
// CHECK: %[[R:.*]] = qc.conv %arg0, %[[W]], %[[B]]
// CHECK-NOT: qc.batch_norm
// CHECK: return %[[R]]
func.func @fold_bn_conv(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = qc.constant dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
  %b = qc.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %c = qc.conv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>}
      : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %gamma = qc.constant dense<[2.0, 3.0]> : tensor<2xf32>
  %beta = qc.constant dense<[0.0, 1.0]> : tensor<2xf32>
  %mean = qc.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %var = qc.constant dense<[4.0, 1.0]> : tensor<2xf32>
  %y = qc.batch_norm %c, %gamma, %beta, %mean, %var {epsilon = 0.0 : f32}
      : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

// BatchNorm folds into gemm columns (trans_b: rows of b), absorbing alpha/beta.
// CHECK-LABEL: func @fold_bn_gemm
// CHECK-DAG: %[[W:.*]] = qc.constant dense<{{\[}}[1.000000e+00, 1.000000e+00], [6.000000e+00, 6.000000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: %[[B:.*]] = qc.constant dense<[1.000000e+00, 6.000000e+00]> : tensor<2xf32>
// CHECK: qc.gemm %arg0, %[[W]], %[[B]] {trans_b = true}
// CHECK-NOT: qc.batch_norm
func.func @fold_bn_gemm(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = qc.constant dense<[[1.0, 1.0], [2.0, 2.0]]> : tensor<2x2xf32>
  %c = qc.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %g = qc.gemm %x, %w, %c {trans_b = true, beta = 1.0 : f32} : (tensor<3x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  %gamma = qc.constant dense<[1.0, 3.0]> : tensor<2xf32>
  %zero = qc.constant dense<[0.0, 0.0]> : tensor<2xf32>
  %one = qc.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %beta = qc.constant dense<[0.0, 3.0]> : tensor<2xf32>
  %y = qc.batch_norm %g, %gamma, %beta, %zero, %one {epsilon = 0.0 : f32}
      : (tensor<3x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// A conv with another user keeps its BatchNorm (folding would change it).
// CHECK-LABEL: func @keep_bn_shared_conv
// CHECK: qc.batch_norm
func.func @keep_bn_shared_conv(%x: tensor<1x1x2x2xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) {
  %w = qc.constant dense<2.0> : tensor<1x1x1x1xf32>
  %c = qc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>}
      : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x2x2xf32>
  %p = qc.constant dense<1.0> : tensor<1xf32>
  %y = qc.batch_norm %c, %p, %p, %p, %p {epsilon = 0.0 : f32}
      : (tensor<1x1x2x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2x2xf32>
  return %c, %y : tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>
}

// -----

// An identity transpose and a reshape chain fold.
// CHECK-LABEL: func @fold_movement
// CHECK-NEXT: %[[R:.*]] = qc.reshape %arg0 : tensor<2x3xf32> -> tensor<6xf32>
// CHECK-NEXT: return %[[R]]
func.func @fold_movement(%x: tensor<2x3xf32>) -> tensor<6xf32> {
  %t = qc.transpose %x {perm = array<i64: 0, 1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %a = qc.reshape %t : tensor<2x3xf32> -> tensor<3x2xf32>
  %b = qc.reshape %a : tensor<3x2xf32> -> tensor<6xf32>
  return %b : tensor<6xf32>
}

// -----

// A slice of unit steps over the whole input is the input.
// CHECK-LABEL: func @identity_slice
// CHECK-NEXT: return %arg0
func.func @identity_slice(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %s = qc.slice %x {starts = array<i64: 0, 0>, limits = array<i64: 2, 3>, steps = array<i64: 1, 1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %s : tensor<2x3xf32>
}

// -----

// A per-channel constant added after a 1-d convolution's unit axis is
// squeezed becomes the convolution's bias (added to the one it has).
// CHECK-LABEL: func @channel_add_into_conv
// CHECK-DAG: %[[B:.*]] = qc.constant dense<[1.500000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK: %[[C:.*]] = qc.conv %arg0, %{{.*}}, %[[B]]
// CHECK-NEXT: %[[R:.*]] = qc.reshape %[[C]] : tensor<1x2x4x1xf32> -> tensor<1x2x4xf32>
// CHECK-NEXT: return %[[R]]
func.func @channel_add_into_conv(%x: tensor<1x3x4x1xf32>) -> tensor<1x2x4xf32> {
  %w = qc.constant dense<0.5> : tensor<2x3x1x1xf32>
  %b = qc.constant dense<[0.5, 1.0]> : tensor<2xf32>
  %c = qc.conv %x, %w, %b {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x3x4x1xf32>, tensor<2x3x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x1xf32>
  %r = qc.reshape %c : tensor<1x2x4x1xf32> -> tensor<1x2x4xf32>
  %k = qc.constant dense<1.0> : tensor<1x2x1xf32>
  %y = qc.add %k, %r : (tensor<1x2x1xf32>, tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
  return %y : tensor<1x2x4xf32>
}

// -----

// A constant that varies along the width is no bias; nor is a constant
// added to a convolution something else also reads.
// CHECK-LABEL: func @channel_add_not_bias
// CHECK-COUNT-3: qc.add
func.func @channel_add_not_bias(%x: tensor<1x3x4x1xf32>) -> (tensor<1x2x4x1xf32>, tensor<1x2x4x1xf32>) {
  %w = qc.constant dense<0.5> : tensor<2x3x1x1xf32>
  %c = qc.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x3x4x1xf32>, tensor<2x3x1x1xf32>) -> tensor<1x2x4x1xf32>
  %k = qc.constant dense<[[1.0], [2.0], [3.0], [4.0]]> : tensor<4x1xf32>
  %y = qc.add %c, %k : (tensor<1x2x4x1xf32>, tensor<4x1xf32>) -> tensor<1x2x4x1xf32>
  %c2 = qc.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x3x4x1xf32>, tensor<2x3x1x1xf32>) -> tensor<1x2x4x1xf32>
  %s = qc.constant dense<1.0> : tensor<f32>
  %z = qc.add %c2, %s : (tensor<1x2x4x1xf32>, tensor<f32>) -> tensor<1x2x4x1xf32>
  %u = qc.add %z, %c2 : (tensor<1x2x4x1xf32>, tensor<1x2x4x1xf32>) -> tensor<1x2x4x1xf32>
  return %y, %u : tensor<1x2x4x1xf32>, tensor<1x2x4x1xf32>
}
