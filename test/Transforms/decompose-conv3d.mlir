// RUN: quant-opt %s --qc-decompose-conv3d --split-input-file | FileCheck %s

// Depth stride 1, dilation 2, padding 1 before and 0 after, two groups: the
// input gains one zero plane before its depth, each of the two depth taps
// is a strided slice, and the taps sit next to their channel.
// CHECK-LABEL: func.func @strided_dilated_grouped
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x5x6x7xf32>)
// CHECK-DAG: %[[ZERO:.*]] = qc.constant dense<0.000000e+00> : tensor<2x4x1x6x7xf32>
// CHECK-DAG: %[[W:.*]] = qc.constant dense_resource<weight> : tensor<6x4x3x3xf32>
// CHECK: %[[PADDED:.*]] = qc.concat %[[ZERO]], %[[X]] {axis = 2 : i64} : (tensor<2x4x1x6x7xf32>, tensor<2x4x5x6x7xf32>) -> tensor<2x4x6x6x7xf32>
// CHECK: %[[T0:.*]] = qc.slice %[[PADDED]] {limits = array<i64: 2, 4, 4, 6, 7>, starts = array<i64: 0, 0, 0, 0, 0>, steps = array<i64: 1, 1, 1, 1, 1>}
// CHECK-SAME: -> tensor<2x4x4x6x7xf32>
// CHECK: %[[R0:.*]] = qc.reshape %[[T0]] : tensor<2x4x4x6x7xf32> -> tensor<2x4x1x4x6x7xf32>
// CHECK: %[[T1:.*]] = qc.slice %[[PADDED]] {limits = array<i64: 2, 4, 6, 6, 7>, starts = array<i64: 0, 0, 2, 0, 0>, steps = array<i64: 1, 1, 1, 1, 1>}
// CHECK: %[[R1:.*]] = qc.reshape %[[T1]]
// CHECK: %[[STACKED:.*]] = qc.concat %[[R0]], %[[R1]] {axis = 2 : i64} : (tensor<2x4x1x4x6x7xf32>, tensor<2x4x1x4x6x7xf32>) -> tensor<2x4x2x4x6x7xf32>
// CHECK: %[[MOVED:.*]] = qc.transpose %[[STACKED]] {perm = array<i64: 0, 3, 1, 2, 4, 5>} : (tensor<2x4x2x4x6x7xf32>) -> tensor<2x4x4x2x6x7xf32>
// CHECK: %[[UNFOLDED:.*]] = qc.reshape %[[MOVED]] : tensor<2x4x4x2x6x7xf32> -> tensor<8x8x6x7xf32>
// CHECK: %[[PLANES:.*]] = qc.conv %[[UNFOLDED]], %[[W]], %{{.*}} {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 1, 1, 0, 1>, strides = array<i64: 2, 1>} : (tensor<8x8x6x7xf32>, tensor<6x4x3x3xf32>, tensor<6xf32>) -> tensor<8x6x3x7xf32>
// CHECK: %[[SPLIT:.*]] = qc.reshape %[[PLANES]] : tensor<8x6x3x7xf32> -> tensor<2x4x6x3x7xf32>
// CHECK: %[[Y:.*]] = qc.transpose %[[SPLIT]] {perm = array<i64: 0, 2, 1, 3, 4>} : (tensor<2x4x6x3x7xf32>) -> tensor<2x6x4x3x7xf32>
// CHECK: return %[[Y]]
func.func @strided_dilated_grouped(%x: tensor<2x4x5x6x7xf32>) -> tensor<2x6x4x3x7xf32> {
  %w = qc.constant dense<0.5> : tensor<6x2x2x3x3xf32>
  %b = qc.constant dense<1.0> : tensor<6xf32>
  %y = qc.conv %x, %w, %b {strides = array<i64: 1, 2, 1>, dilations = array<i64: 2, 1, 1>,
                           pads = array<i64: 1, 1, 1, 0, 0, 1>, group = 2 : i64}
      : (tensor<2x4x5x6x7xf32>, tensor<6x2x2x3x3xf32>, tensor<6xf32>) -> tensor<2x6x4x3x7xf32>
  return %y : tensor<2x6x4x3x7xf32>
}

// -----

// One depth tap, depth stride 2, weights from the graph: no padding, no
// concatenation, and the weights are reshaped.
// CHECK-LABEL: func.func @one_tap_runtime_weights
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x3x6x4x4xf32>, %[[W:[^:]*]]: tensor<5x3x1x1x1xf32>)
// CHECK-NOT: qc.concat
// CHECK: %[[T:.*]] = qc.slice %[[X]] {limits = array<i64: 1, 3, 5, 4, 4>, starts = array<i64: 0, 0, 0, 0, 0>, steps = array<i64: 1, 1, 2, 1, 1>}
// CHECK: %[[FLAT:.*]] = qc.reshape %[[W]] : tensor<5x3x1x1x1xf32> -> tensor<5x3x1x1xf32>
// CHECK: qc.conv %{{.*}}, %[[FLAT]] {{.*}} -> tensor<3x5x4x4xf32>
func.func @one_tap_runtime_weights(%x: tensor<1x3x6x4x4xf32>, %w: tensor<5x3x1x1x1xf32>) -> tensor<1x5x3x4x4xf32> {
  %y = qc.conv %x, %w {strides = array<i64: 2, 1, 1>, dilations = array<i64: 1, 1, 1>,
                       pads = array<i64: 0, 0, 0, 0, 0, 0>}
      : (tensor<1x3x6x4x4xf32>, tensor<5x3x1x1x1xf32>) -> tensor<1x5x3x4x4xf32>
  return %y : tensor<1x5x3x4x4xf32>
}

// -----

// 1-d and 2-d convolutions stay as they are.
// CHECK-LABEL: func.func @two_d
// CHECK-NEXT: qc.constant
// CHECK-NEXT: %[[Y:.*]] = qc.conv %arg0
// CHECK-NEXT: return %[[Y]]
func.func @two_d(%x: tensor<1x3x8x8xf32>) -> tensor<1x4x6x6xf32> {
  %w = qc.constant dense<0.5> : tensor<4x3x3x3xf32>
  %y = qc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>,
                       pads = array<i64: 0, 0, 0, 0>}
      : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %y : tensor<1x4x6x6xf32>
}
