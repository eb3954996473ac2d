// RUN: quant-opt %s --split-input-file --convert-qc-to-linalg | FileCheck %s

// Rule: matmul is one generic with a reduction dim; batch dims broadcast.
// CHECK-DAG: #[[L:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[R:.*]] = affine_map<(d0, d1, d2, d3) -> (0, d3, d2)>
// CHECK-DAG: #[[O:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @matmul_batched
// CHECK: linalg.fill
// CHECK: linalg.generic {indexing_maps = [#[[L]], #[[R]], #[[O]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @matmul_batched(%a: tensor<2x3x4xf32>, %b: tensor<1x4x5xf32>) -> tensor<2x3x5xf32> {
  %y = qc.matmul %a, %b : (tensor<2x3x4xf32>, tensor<1x4x5xf32>) -> tensor<2x3x5xf32>
  return %y : tensor<2x3x5xf32>
}

// -----

// Rule: gemm transposes through its maps, then scales by alpha and adds
// beta * C.
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @gemm
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[B]], #{{.*}}]
// CHECK: linalg.generic
// CHECK: arith.mulf
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @gemm(%a: tensor<3x4xf32>, %b: tensor<5x4xf32>, %c: tensor<5xf32>) -> tensor<3x5xf32> {
  %y = qc.gemm %a, %b, %c {alpha = 2.0 : f32, beta = 0.5 : f32, trans_b = true} : (tensor<3x4xf32>, tensor<5x4xf32>, tensor<5xf32>) -> tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}

// -----

// Rule: conv pads with tensor.pad and runs linalg.conv_2d_ngchw_gfchw on
// grouped views; the bias is added after the sum, as the evaluator does.
// CHECK-LABEL: func.func @conv_grouped
// CHECK: tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2], [3], [4]] output_shape [1, 2, 2, 7, 7]
// CHECK: linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK: tensor.collapse_shape
// CHECK: linalg.generic
// CHECK: arith.addf
func.func @conv_grouped(%x: tensor<1x4x5x5xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>) -> tensor<1x6x3x3xf32> {
  %y = qc.conv %x, %w, %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 2} : (tensor<1x4x5x5xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x3x3xf32>
  return %y : tensor<1x6x3x3xf32>
}

// -----

// Rule: a 1-d conv runs as 2-d with a unit height.
// CHECK-LABEL: func.func @conv_1d
// CHECK: tensor.expand_shape %arg0 {{\[}}[0], [1], [2, 3]] output_shape [1, 2, 1, 8]
// CHECK: linalg.conv_2d_ngchw_gfchw
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]]
func.func @conv_1d(%x: tensor<1x2x8xf32>, %w: tensor<3x2x3xf32>) -> tensor<1x3x6xf32> {
  %y = qc.conv %x, %w {strides = array<i64: 1>, dilations = array<i64: 1>, pads = array<i64: 0, 0>} : (tensor<1x2x8xf32>, tensor<3x2x3xf32>) -> tensor<1x3x6xf32>
  return %y : tensor<1x3x6xf32>
}

// -----

// Rule: conv_transpose spreads the input by the stride into a padded zero
// tensor, sums over channels per window tap, then adds the taps in order.
// CHECK-LABEL: func.func @conv_transpose
// CHECK: tensor.insert_slice %arg0 into %{{.*}}[0, 0, 1, 1] [1, 2, 3, 3] [1, 1, 2, 2]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]
func.func @conv_transpose(%x: tensor<1x2x3x3xf32>, %w: tensor<2x4x2x2xf32>) -> tensor<1x4x6x6xf32> {
  %y = qc.conv_transpose %x, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, output_padding = array<i64: 0, 0>} : (tensor<1x2x3x3xf32>, tensor<2x4x2x2xf32>) -> tensor<1x4x6x6xf32>
  return %y : tensor<1x4x6x6xf32>
}

// -----

// Rule: einsum maps output letters to parallel dims, the others to
// reductions.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
// CHECK-LABEL: func.func @einsum
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
func.func @einsum(%a: tensor<2x3x4xf32>, %b: tensor<2x4x5xf32>) -> tensor<2x3x5xf32> {
  %y = qc.einsum %a, %b {equation = "bij,bjk->bik"} : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<2x3x5xf32>
  return %y : tensor<2x3x5xf32>
}

// -----

!x = !quant.uniform<i8:f32, 0.5:-3>
!w = !quant.uniform<i8<-127:127>:f32:0, {0.25, 0.125}>

// Rule: without microkernels, qconv pads with the input zero point, centres
// the stored values in i32 (the zero point is subtracted unless folded) and
// accumulates from the bias.
// CHECK-LABEL: func.func @qconv
// CHECK: %[[ZP:.*]] = arith.constant -3 : i8
// CHECK: tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: tensor.yield %[[ZP]] : i8
// CHECK: arith.constant -3 : i64
// CHECK: arith.subi
// CHECK: linalg.conv_2d_ngchw_gfchw
// CHECK-SAME: -> tensor<1x1x2x3x3xi32>
func.func @qconv(%x: tensor<1x1x3x3x!x>, %w: tensor<2x1x3x3x!w>, %b: tensor<2xi32>) -> tensor<1x2x3x3xi32> {
  %y = qc.qconv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x1x3x3x!x>, tensor<2x1x3x3x!w>, tensor<2xi32>) -> tensor<1x2x3x3xi32>
  return %y : tensor<1x2x3x3xi32>
}

// -----

!x = !quant.uniform<i8:f32, 0.5:-3>
!w = !quant.uniform<i8<-127:127>:f32:1, {0.25, 0.125}>

// Rule: qmatmul multiplies centred i32 values; a folded zero point is not
// subtracted again.
// CHECK-LABEL: func.func @qmatmul_folded
// CHECK: arith.constant 0 : i64
// CHECK: linalg.generic
// CHECK: arith.muli %{{.*}}, %{{.*}} : i32
func.func @qmatmul_folded(%x: tensor<3x4x!x>, %w: tensor<4x2x!w>) -> tensor<3x2xi32> {
  %y = qc.qmatmul %x, %w {zero_point_folded = true} : (tensor<3x4x!x>, tensor<4x2x!w>) -> tensor<3x2xi32>
  return %y : tensor<3x2xi32>
}

// -----

// Rule: a 3-d convolution is one generic over (n, g, o, od, oh, ow, c, kd,
// kh, kw) on the padded input split into groups, then the bias.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8, d9) -> (d0, d1, d6, d3 * 2 + d7 * 2, d4 * 2 + d8, d5 + d9)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8, d9) -> (d1, d2, d6, d7, d8, d9)>
// CHECK-LABEL: func.func @conv3d
// CHECK: tensor.pad %arg0 low[0, 0, 1, 0, 1] high[0, 0, 0, 1, 1]
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2], [3], [4], [5]] {{.*}} into tensor<1x2x2x6x7x9xf32>
// CHECK: tensor.expand_shape %arg1 {{\[\[}}0, 1], [2], [3], [4], [5]] {{.*}} into tensor<2x3x2x2x3x3xf32>
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[W]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "reduction"]}
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: tensor.collapse_shape {{.*}} into tensor<1x6x2x3x7xf32>
// CHECK: arith.addf
func.func @conv3d(%x: tensor<1x4x5x6x7xf32>, %w: tensor<6x2x2x3x3xf32>, %b: tensor<6xf32>) -> tensor<1x6x2x3x7xf32> {
  %y = qc.conv %x, %w, %b {pads = array<i64: 1, 0, 1, 0, 1, 1>, strides = array<i64: 2, 2, 1>, dilations = array<i64: 2, 1, 1>, group = 2} : (tensor<1x4x5x6x7xf32>, tensor<6x2x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x2x3x7xf32>
  return %y : tensor<1x6x2x3x7xf32>
}

// -----

// Rule: a 3-d transposed convolution spreads its input by the strides, then
// per tap sums the group's channels (loops n, o, taps, positions, c) and
// adds the taps in order (loops n, o, positions, taps).
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> ((d1 floordiv 3) * 2 + d8, d1 mod 3, d2, d3, d4)>
// CHECK-DAG: #[[S:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d0, (d1 floordiv 3) * 2 + d8, d5 - d2 + 1, d6 - d3 + 1, d7 - d4 * 2 + 4)>
// CHECK-DAG: #[[TAPS:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d5, d6, d7, d2, d3, d4)>
// CHECK-LABEL: func.func @conv_transpose_3d
// CHECK: tensor.insert_slice %arg0 into %{{.*}}[0, 0, 1, 1, 4] [1, 4, 2, 3, 3] [1, 1, 1, 1, 2] : tensor<1x4x2x3x3xf32> into tensor<1x4x4x5x13xf32>
// CHECK: linalg.generic {indexing_maps = [#[[W]], #[[S]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]}
// CHECK: linalg.generic {indexing_maps = [#[[TAPS]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
func.func @conv_transpose_3d(%x: tensor<1x4x2x3x3xf32>, %w: tensor<4x3x2x2x3xf32>) -> tensor<1x6x3x4x9xf32> {
  %y = qc.conv_transpose %x, %w {strides = array<i64: 1, 1, 2>, dilations = array<i64: 1, 1, 2>, pads = array<i64: 0, 0, 0, 0, 0, 0>, output_padding = array<i64: 0, 0, 0>, group = 2} : (tensor<1x4x2x3x3xf32>, tensor<4x3x2x2x3xf32>) -> tensor<1x6x3x4x9xf32>
  return %y : tensor<1x6x3x4x9xf32>
}
