// RUN: quant-opt %s --split-input-file --convert-qc-to-linalg=tensor-cores=true | FileCheck %s

!x = !quant.uniform<i8:f32, 0.5:-3>
!w = !quant.uniform<i8<-127:127>:f32:0, {0.25, 0.125}>

// Rule: a convolution with constant s8 weights becomes an im2col of the input
// (padded with its zero point) and one s8 x s8 contraction marked for tensor
// cores: C[b, oc, pixel] += W[oc, tap] * col[b, pixel, tap]. The input zero
// point -3 folds into the bias: [10, 20] + 3 x [10, 3] = [40, 29].
// CHECK-DAG: #[[IM2COL:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d3, d1 * 2 + d4, d2 * 2 + d5)>
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d3)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @conv
// CHECK: %[[ZP:.*]] = arith.constant -3 : i8
// CHECK: %[[PAD:.*]] = tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 0, 0]
// CHECK: tensor.yield %[[ZP]] : i8
// CHECK: %[[COL6:.*]] = linalg.generic {indexing_maps = [#[[IM2COL]], {{.*}}]{{.*}} ins(%[[PAD]] : tensor<1x1x5x5xi8>) outs({{.*}} : tensor<1x2x2x1x2x2xi8>)
// CHECK: %[[COL:.*]] = tensor.collapse_shape %[[COL6]] {{\[}}[0], [1, 2], [3, 4, 5]] : tensor<1x2x2x1x2x2xi8> into tensor<1x4x4xi8>
// CHECK: arith.constant dense<[40, 29]> : tensor<2xi32>
// CHECK: %[[W:.*]] = arith.constant dense_resource<mma_weights> : tensor<2x4xi8>
// CHECK: %[[ACC:.*]] = linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[W]], %[[COL]] : tensor<2x4xi8>, tensor<1x4x4xi8>) outs({{.*}} : tensor<1x2x4xi32>) attrs = {qc.mma_operands = ["s8", "s8"]}
// CHECK: arith.extsi
// CHECK: arith.extsi
// CHECK: arith.muli
// CHECK: arith.addi
// CHECK: tensor.expand_shape %[[ACC]] {{\[}}[0], [1], [2, 3]] output_shape [1, 2, 2, 2]
// The weights as rows of taps: [1, 2, 3, 4], [-2, 0, 0, 5].
// CHECK: mma_weights: "0x0100000001020304FE000005"
func.func @conv(%x: tensor<1x1x4x4x!x>) -> tensor<1x2x2x2xi32> {
  %wi = qc.constant dense<[[[[1, 2], [3, 4]]], [[[-2, 0], [0, 5]]]]> : tensor<2x1x2x2xi8>
  %w = quant.scast %wi : tensor<2x1x2x2xi8> to tensor<2x1x2x2x!w>
  %b = qc.constant dense<[10, 20]> : tensor<2xi32>
  %acc = qc.qconv %x, %w, %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 0, 0>} : (tensor<1x1x4x4x!x>, tensor<2x1x2x2x!w>, tensor<2xi32>) -> tensor<1x2x2x2xi32>
  return %acc : tensor<1x2x2x2xi32>
}

// -----

!u = !quant.uniform<u8:f32, 0.5:100>
!wm = !quant.uniform<i8<-127:127>:f32:1, {0.25, 0.125}>

// Rule: a matmul with constant s8 weights flattens its batch dims into rows
// and contracts x[m, k] * Wt[n, k]; unsigned activations are u8 operands.
// Zero point 100 against column sums [-1, 3]: bias [100, -300].
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @matmul
// CHECK: %[[X:.*]] = tensor.collapse_shape %arg0 {{\[}}[0, 1], [2]] : tensor<2x3x4xi8> into tensor<6x4xi8>
// CHECK: arith.constant dense<[100, -300]> : tensor<2xi32>
// CHECK: %[[W:.*]] = arith.constant dense_resource<mma_weights{{.*}}> : tensor<2x4xi8>
// CHECK: %[[ACC:.*]] = linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]]{{.*}} ins(%[[X]], %[[W]] : tensor<6x4xi8>, tensor<2x4xi8>) outs({{.*}} : tensor<6x2xi32>) attrs = {qc.mma_operands = ["u8", "s8"]}
// CHECK: arith.extui
// CHECK: arith.extsi
// CHECK: tensor.expand_shape %[[ACC]] {{\[}}[0, 1], [2]] output_shape [2, 3, 2]
// CHECK: "0x01000000010200FCFF000301"
func.func @matmul(%x: tensor<2x3x4x!u>) -> tensor<2x3x2xi32> {
  %wi = qc.constant dense<[[1, -1], [2, 0], [0, 3], [-4, 1]]> : tensor<4x2xi8>
  %w = quant.scast %wi : tensor<4x2xi8> to tensor<4x2x!wm>
  %acc = qc.qmatmul %x, %w : (tensor<2x3x4x!u>, tensor<4x2x!wm>) -> tensor<2x3x2xi32>
  return %acc : tensor<2x3x2xi32>
}

// -----

!x = !quant.uniform<i8:f32, 0.5:-3>
!w4 = !quant.uniform<i8<-127:127>:f32:0, {0.25, 0.125, 0.5, 1.0}>
!wz = !quant.uniform<i8:f32, 0.25:5>

// Not for tensor cores: grouped convolutions (depthwise has too few taps per
// output to fill an mma) and weights with a nonzero zero point stay loops.
// CHECK-LABEL: func.func @grouped
// CHECK-NOT: qc.mma_operands
// CHECK: linalg.conv_2d_ngchw_gfchw
func.func @grouped(%x: tensor<1x4x3x3x!x>) -> tensor<1x4x3x3xi32> {
  %wi = qc.constant dense<1> : tensor<4x1x1x1xi8>
  %w = quant.scast %wi : tensor<4x1x1x1xi8> to tensor<4x1x1x1x!w4>
  %acc = qc.qconv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 4 : i64} : (tensor<1x4x3x3x!x>, tensor<4x1x1x1x!w4>) -> tensor<1x4x3x3xi32>
  return %acc : tensor<1x4x3x3xi32>
}

// CHECK-LABEL: func.func @weight_zero_point
// CHECK-NOT: qc.mma_operands
// CHECK: return
func.func @weight_zero_point(%x: tensor<3x4x!x>) -> tensor<3x2xi32> {
  %wi = qc.constant dense<1> : tensor<4x2xi8>
  %w = quant.scast %wi : tensor<4x2xi8> to tensor<4x2x!wz>
  %acc = qc.qmatmul %x, %w : (tensor<3x4x!x>, tensor<4x2x!wz>) -> tensor<3x2xi32>
  return %acc : tensor<3x2xi32>
}
