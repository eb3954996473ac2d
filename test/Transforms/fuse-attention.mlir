// RUN: quant-opt %s --qc-fuse-attention --split-input-file | FileCheck %s

// Grouped-query attention as exports write it: keys and values repeated
// from 2 to 4 heads, scores scaled, masked with the lowest float.
// CHECK-LABEL: func @gqa_masked
// CHECK-SAME: (%[[Q:.*]]: tensor<1x4x3x8xf32>, %[[K:.*]]: tensor<1x2x5x8xf32>, %[[V:.*]]: tensor<1x2x5x8xf32>, %[[M:.*]]: tensor<1x1x3x5xi1>)
// CHECK: %[[O:.*]] = qc.attention %[[Q]], %[[K]], %[[V]], %[[M]] {scale = 2.500000e-01 : f32}
// CHECK-SAME: (tensor<1x4x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>, tensor<1x1x3x5xi1>) -> tensor<1x4x3x8xf32>
// CHECK-NOT: qc.softmax
// CHECK: return %[[O]]
func.func @gqa_masked(%q: tensor<1x4x3x8xf32>, %k: tensor<1x2x5x8xf32>, %v: tensor<1x2x5x8xf32>,
                      %mask: tensor<1x1x3x5xi1>) -> tensor<1x4x3x8xf32> {
  %scale = qc.constant dense<2.500000e-01> : tensor<f32>
  %lowest = qc.constant dense<-3.40282347E+38> : tensor<f32>
  %k1 = qc.reshape %k : tensor<1x2x5x8xf32> -> tensor<1x2x1x5x8xf32>
  %k2 = qc.broadcast_to %k1 : tensor<1x2x1x5x8xf32> -> tensor<1x2x2x5x8xf32>
  %k3 = qc.reshape %k2 : tensor<1x2x2x5x8xf32> -> tensor<1x4x5x8xf32>
  %v1 = qc.reshape %v : tensor<1x2x5x8xf32> -> tensor<1x2x1x5x8xf32>
  %v2 = qc.broadcast_to %v1 : tensor<1x2x1x5x8xf32> -> tensor<1x2x2x5x8xf32>
  %v3 = qc.reshape %v2 : tensor<1x2x2x5x8xf32> -> tensor<1x4x5x8xf32>
  %kt = qc.transpose %k3 {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x4x5x8xf32>) -> tensor<1x4x8x5xf32>
  %s = qc.matmul %q, %kt : (tensor<1x4x3x8xf32>, tensor<1x4x8x5xf32>) -> tensor<1x4x3x5xf32>
  %ss = qc.mul %s, %scale : (tensor<1x4x3x5xf32>, tensor<f32>) -> tensor<1x4x3x5xf32>
  %m = qc.where %mask, %ss, %lowest : (tensor<1x1x3x5xi1>, tensor<1x4x3x5xf32>, tensor<f32>) -> tensor<1x4x3x5xf32>
  %p = qc.softmax %m {axis = 3 : i64} : tensor<1x4x3x5xf32>
  %o = qc.matmul %p, %v3 : (tensor<1x4x3x5xf32>, tensor<1x4x5x8xf32>) -> tensor<1x4x3x8xf32>
  return %o : tensor<1x4x3x8xf32>
}

// -----

// Multi-head attention divided by sqrt(d), without a mask.
// CHECK-LABEL: func @mha_divided
// CHECK: qc.attention %arg0, %arg1, %arg2 {scale = 1.250000e-01 : f32}
func.func @mha_divided(%q: tensor<2x3x4x16xf32>, %k: tensor<2x3x6x16xf32>, %v: tensor<2x3x6x16xf32>) -> tensor<2x3x4x16xf32> {
  %d = qc.constant dense<8.0> : tensor<f32>
  %kt = qc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<2x3x6x16xf32>) -> tensor<2x3x16x6xf32>
  %s = qc.matmul %q, %kt : (tensor<2x3x4x16xf32>, tensor<2x3x16x6xf32>) -> tensor<2x3x4x6xf32>
  %ss = qc.div %s, %d : (tensor<2x3x4x6xf32>, tensor<f32>) -> tensor<2x3x4x6xf32>
  %p = qc.softmax %ss {axis = -1 : i64} : tensor<2x3x4x6xf32>
  %o = qc.matmul %p, %v : (tensor<2x3x4x6xf32>, tensor<2x3x6x16xf32>) -> tensor<2x3x4x16xf32>
  return %o : tensor<2x3x4x16xf32>
}

// -----

// A mask filled with another value is not the attention mask qc.attention
// means: nothing is fused.
// CHECK-LABEL: func @other_fill
// CHECK-NOT: qc.attention
// CHECK: qc.softmax
func.func @other_fill(%q: tensor<1x1x2x4xf32>, %k: tensor<1x1x2x4xf32>, %v: tensor<1x1x2x4xf32>,
                      %mask: tensor<1x1x2x2xi1>) -> tensor<1x1x2x4xf32> {
  %fill = qc.constant dense<-1.0e+04> : tensor<f32>
  %kt = qc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x1x2x4xf32>) -> tensor<1x1x4x2xf32>
  %s = qc.matmul %q, %kt : (tensor<1x1x2x4xf32>, tensor<1x1x4x2xf32>) -> tensor<1x1x2x2xf32>
  %m = qc.where %mask, %s, %fill : (tensor<1x1x2x2xi1>, tensor<1x1x2x2xf32>, tensor<f32>) -> tensor<1x1x2x2xf32>
  %p = qc.softmax %m {axis = 3 : i64} : tensor<1x1x2x2xf32>
  %o = qc.matmul %p, %v : (tensor<1x1x2x2xf32>, tensor<1x1x2x4xf32>) -> tensor<1x1x2x4xf32>
  return %o : tensor<1x1x2x4xf32>
}
