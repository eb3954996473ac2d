// RUN: quant-opt %s --split-input-file --convert-qc-to-linalg | FileCheck %s

// Rule: arg_max is one reduction carrying the best value and its position;
// the first position always counts, later ones when strictly greater.
// CHECK-LABEL: func.func @arg_max
// CHECK: %[[V:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<2xf32>)
// CHECK: %[[P:.*]] = linalg.fill ins(%{{.*}} : i64) outs(%{{.*}} : tensor<2xi64>)
// CHECK: %[[R:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]{{.*}} ins(%{{.*}} : tensor<2x5xf32>) outs(%[[V]], %[[P]] : tensor<2xf32>, tensor<2xi64>)
// CHECK: arith.cmpf ogt
// CHECK: linalg.index 1
// CHECK: tensor.expand_shape %[[R]]#1 {{.*}} into tensor<2x1xi64>
func.func @arg_max(%x: tensor<2x5xf32>) -> tensor<2x1xi64> {
  %0 = qc.arg_max %x {axis = 1 : i64} : (tensor<2x5xf32>) -> tensor<2x1xi64>
  return %0 : tensor<2x1xi64>
}

// -----

// Rule: select_last_index takes equal values too (oge); integers compare
// signed.
// CHECK-LABEL: func.func @arg_min_last
// CHECK: arith.cmpi sle
func.func @arg_min_last(%x: tensor<4x3xi32>) -> tensor<3xi64> {
  %0 = qc.arg_min %x {axis = 0 : i64, keepdims = false, select_last_index = true} : (tensor<4x3xi32>) -> tensor<3xi64>
  return %0 : tensor<3xi64>
}

// -----

// Rule: top_k calls quantc_top_k with [outer, size, inner, k, largest].
// CHECK-LABEL: func.func @top_k
// CHECK: %[[PARAMS:.*]] = arith.constant dense<[2, 5, 3, 2, 1]> : tensor<5xi64>
// CHECK: qc.microkernel "quantc_top_k" ins(%{{.*}}, %[[PARAMS]] : tensor<2x5x3xf32>, tensor<5xi64>) outs(%{{.*}} : tensor<2x2x3xi64>)
func.func @top_k(%x: tensor<2x5x3xf32>) -> tensor<2x2x3xi64> {
  %0 = qc.top_k %x {axis = 1 : i64, k = 2 : i64} : (tensor<2x5x3xf32>) -> tensor<2x2x3xi64>
  return %0 : tensor<2x2x3xi64>
}

// -----

// Rule: reduce_prod multiplies in f64 from 1, as the evaluator does.
// CHECK-LABEL: func.func @reduce_prod
// CHECK: arith.constant 1.000000e+00 : f64
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f64
// CHECK: arith.truncf %{{.*}} : f64 to f32
func.func @reduce_prod(%x: tensor<2x5xf32>) -> tensor<2xf32> {
  %0 = qc.reduce_prod %x {axes = array<i64: 1>, keepdims = false} : (tensor<2x5xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// Rule: grid_sample calls quantc_grid_sample with [N, C, H, W, Ho, Wo,
// mode (cubic = 2), padding (reflection = 2), align_corners, spatial dims,
// D, Do] (the depths 1 in 2-d).
// CHECK-LABEL: func.func @grid_sample
// CHECK: %[[PARAMS:.*]] = arith.constant dense<[1, 2, 4, 5, 3, 6, 2, 2, 1, 2, 1, 1]> : tensor<12xi64>
// CHECK: qc.microkernel "quantc_grid_sample" ins(%{{.*}}, %{{.*}}, %[[PARAMS]] : tensor<1x2x4x5xf32>, tensor<1x3x6x2xf32>, tensor<12xi64>) outs(%{{.*}} : tensor<1x2x3x6xf32>)
func.func @grid_sample(%x: tensor<1x2x4x5xf32>, %g: tensor<1x3x6x2xf32>) -> tensor<1x2x3x6xf32> {
  %0 = qc.grid_sample %x, %g {align_corners = true, mode = "cubic", padding_mode = "reflection"} : (tensor<1x2x4x5xf32>, tensor<1x3x6x2xf32>) -> tensor<1x2x3x6xf32>
  return %0 : tensor<1x2x3x6xf32>
}

// -----

// Rule: in 3-d the depths follow (nearest = 1, zeros = 0).
// CHECK-LABEL: func.func @grid_sample_3d
// CHECK: arith.constant dense<[1, 2, 4, 5, 3, 6, 1, 0, 0, 3, 7, 8]> : tensor<12xi64>
func.func @grid_sample_3d(%x: tensor<1x2x7x4x5xf32>, %g: tensor<1x8x3x6x3xf32>) -> tensor<1x2x8x3x6xf32> {
  %0 = qc.grid_sample %x, %g {align_corners = false, mode = "nearest", padding_mode = "zeros"} : (tensor<1x2x7x4x5xf32>, tensor<1x8x3x6x3xf32>) -> tensor<1x2x8x3x6xf32>
  return %0 : tensor<1x2x8x3x6xf32>
}

// -----

// Rule: the region ops and det call their kernels; the spatial scale
// travels as its f32 bits (0.5 = 0x3F000000).
// CHECK-LABEL: func.func @regions
// CHECK: arith.constant dense<[1, 2, 8, 8, 3, 2, 2, 1056964608, 2, 1, 0]> : tensor<11xi64>
// CHECK: qc.microkernel "quantc_roi_align"
// CHECK: qc.microkernel "quantc_max_roi_pool"
// CHECK: arith.constant dense<[3, 4]> : tensor<2xi64>
// CHECK: qc.microkernel "quantc_det"
func.func @regions(%x: tensor<1x2x8x8xf32>, %r: tensor<3x4xf32>, %b: tensor<3xi64>, %p: tensor<3x5xf32>, %m: tensor<3x4x4xf32>) -> (tensor<3x2x2x2xf32>, tensor<3x2x1x3xf32>, tensor<3xf32>) {
  %0 = qc.roi_align %x, %r, %b {half_pixel = false, mode = "max", sampling_ratio = 2 : i64, spatial_scale = 0.5 : f32} : (tensor<1x2x8x8xf32>, tensor<3x4xf32>, tensor<3xi64>) -> tensor<3x2x2x2xf32>
  %1 = qc.max_roi_pool %x, %p {spatial_scale = 0.5 : f32} : (tensor<1x2x8x8xf32>, tensor<3x5xf32>) -> tensor<3x2x1x3xf32>
  %2 = qc.det %m : (tensor<3x4x4xf32>) -> tensor<3xf32>
  return %0, %1, %2 : tensor<3x2x2x2xf32>, tensor<3x2x1x3xf32>, tensor<3xf32>
}

// -----

// Rule: deform_unfold calls quantc_deform_unfold with [N, C, H, W, kH, kW,
// strides, pads (top, left), dilations, offset groups, oH, oW].
// CHECK-LABEL: func.func @deform_unfold
// CHECK: arith.constant dense<[1, 2, 5, 5, 2, 2, 1, 1, 0, 0, 1, 1, 1, 4, 4]> : tensor<15xi64>
// CHECK: qc.microkernel "quantc_deform_unfold"
func.func @deform_unfold(%x: tensor<1x2x5x5xf32>, %o: tensor<1x8x4x4xf32>, %m: tensor<1x4x4x4xf32>) -> tensor<1x16x8xf32> {
  %0 = qc.deform_unfold %x, %o, %m {dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, offset_group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x5x5xf32>, tensor<1x8x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x16x8xf32>
  return %0 : tensor<1x16x8xf32>
}

// -----

// Rule: non_max_suppression calls its kernel with [B, C, N, max per class,
// IoU bits (0.5), has a score threshold, its bits (0.25), center boxes, rows].
// CHECK-LABEL: func.func @non_max_suppression
// CHECK: arith.constant dense<[1, 2, 5, 3, 1056964608, 1, 1048576000, 0, 6]> : tensor<9xi64>
// CHECK: qc.microkernel "quantc_non_max_suppression"
func.func @non_max_suppression(%b: tensor<1x5x4xf32>, %s: tensor<1x2x5xf32>) -> tensor<6x3xi64> {
  %0 = qc.non_max_suppression %b, %s {center_point_box = false, iou_threshold = 0.5 : f32, max_output_boxes_per_class = 3 : i64, score_threshold = 0.25 : f32} : (tensor<1x5x4xf32>, tensor<1x2x5xf32>) -> tensor<6x3xi64>
  return %0 : tensor<6x3xi64>
}

// -----

// Rule: non_zero calls its kernel with the input's rank, then its dims.
// CHECK-LABEL: func.func @non_zero
// CHECK: %[[P:.*]] = arith.constant dense<[2, 2, 3]> : tensor<3xi64>
// CHECK: qc.microkernel "quantc_non_zero" ins(%arg0, %[[P]]
func.func @non_zero(%x: tensor<2x3xf32>) -> tensor<2x6xi64> {
  %0 = qc.non_zero %x : (tensor<2x3xf32>) -> tensor<2x6xi64>
  return %0 : tensor<2x6xi64>
}
