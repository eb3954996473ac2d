// RUN: quant-opt %s --split-input-file --convert-qc-to-linalg | FileCheck %s

// Rule: constants become arith.constant of the same attribute.
// CHECK-LABEL: func.func @constant
// CHECK: arith.constant dense<[1, 2]> : tensor<2xi64>
func.func @constant() -> tensor<2xi64> {
  %c = qc.constant dense<[1, 2]> : tensor<2xi64>
  return %c : tensor<2xi64>
}

// -----

// Rule: reshape collapses to 1-d and expands to the result shape.
// CHECK-LABEL: func.func @reshape
// CHECK: tensor.collapse_shape %arg0 {{\[}}[0, 1, 2]] : tensor<2x3x4xf32> into tensor<24xf32>
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1]] output_shape [6, 4]
func.func @reshape(%x: tensor<2x3x4xf32>) -> tensor<6x4xf32> {
  %y = qc.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  return %y : tensor<6x4xf32>
}

// -----

// Rule: transpose is linalg.transpose.
// CHECK-LABEL: func.func @transpose
// CHECK: linalg.transpose ins(%arg0 : tensor<2x3x4xf32>) outs(%{{.*}} : tensor<4x2x3xf32>) permutation = [2, 0, 1]
func.func @transpose(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %y = qc.transpose %x {perm = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  return %y : tensor<4x2x3xf32>
}

// -----

!q = !quant.uniform<i8:f32, 0.1>

// Rule: concat inserts each input at its offset along the axis (quantized
// tensors as their storage integers).
// CHECK-LABEL: func.func @concat
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x5xi8>
// CHECK: %[[A:.*]] = tensor.insert_slice %arg0 into %[[E]][0, 0] [2, 2] [1, 1]
// CHECK: tensor.insert_slice %arg1 into %[[A]][0, 2] [2, 3] [1, 1]
func.func @concat(%a: tensor<2x2x!q>, %b: tensor<2x3x!q>) -> tensor<2x5x!q> {
  %y = qc.concat %a, %b {axis = 1 : i64} : (tensor<2x2x!q>, tensor<2x3x!q>) -> tensor<2x5x!q>
  return %y : tensor<2x5x!q>
}

// -----

// Rule: a slice with positive steps is tensor.extract_slice; a negative
// step gathers element by element.
// CHECK-LABEL: func.func @slices
// CHECK: tensor.extract_slice %arg0[0, 1] [2, 2] [1, 2]
// CHECK: linalg.generic
// CHECK: linalg.index
// CHECK: tensor.extract %arg0
func.func @slices(%x: tensor<2x5xf32>) -> (tensor<2x2xf32>, tensor<2x5xf32>) {
  %a = qc.slice %x {starts = array<i64: 0, 1>, limits = array<i64: 2, 5>, steps = array<i64: 1, 2>} : (tensor<2x5xf32>) -> tensor<2x2xf32>
  %b = qc.slice %x {starts = array<i64: 0, 4>, limits = array<i64: 2, -1>, steps = array<i64: 1, -1>} : (tensor<2x5xf32>) -> tensor<2x5xf32>
  return %a, %b : tensor<2x2xf32>, tensor<2x5xf32>
}

// -----

// Rule: gather reads each index (negative ones count from the end).
// CHECK-LABEL: func.func @gather
// CHECK: tensor.extract %arg1
// CHECK: arith.cmpi slt
// CHECK: tensor.extract %arg0
func.func @gather(%x: tensor<5x3xf32>, %i: tensor<2xi64>) -> tensor<2x3xf32> {
  %y = qc.gather %x, %i {axis = 0 : i64} : (tensor<5x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// Rule: tile reads its input modulo the input shape.
// CHECK-DAG: #[[MOD:.*]] = affine_map<(d0, d1) -> (d0 mod 2, d1 mod 3)>
// CHECK-LABEL: func.func @tile
// CHECK: linalg.generic {indexing_maps = [#[[MOD]], #{{.*}}]
func.func @tile(%x: tensor<2x3xf32>) -> tensor<4x6xf32> {
  %y = qc.tile %x {repeats = array<i64: 2, 2>} : (tensor<2x3xf32>) -> tensor<4x6xf32>
  return %y : tensor<4x6xf32>
}

// -----

// Rule: constant padding is tensor.pad; reflect padding gathers mirrored
// coordinates.
// CHECK-LABEL: func.func @pads
// CHECK: %[[V:.*]] = arith.constant 5.000000e-01 : f32
// CHECK: tensor.pad %arg0 low[0, 1] high[0, 2]
// CHECK: tensor.yield %[[V]]
// CHECK: linalg.generic
// CHECK: arith.remsi
func.func @pads(%x: tensor<2x3xf32>) -> (tensor<2x6xf32>, tensor<2x6xf32>) {
  %a = qc.pad %x {pads = array<i64: 0, 1, 0, 2>, mode = "constant", value = 0.5 : f32} : (tensor<2x3xf32>) -> tensor<2x6xf32>
  %b = qc.pad %x {pads = array<i64: 0, 1, 0, 2>, mode = "reflect"} : (tensor<2x3xf32>) -> tensor<2x6xf32>
  return %a, %b : tensor<2x6xf32>, tensor<2x6xf32>
}

// -----

// Rule: resize runs one axis at a time from compile-time tables of source
// taps (linear: two taps and a weight).
// CHECK-LABEL: func.func @resize_linear
// CHECK: arith.constant dense<[0, 0, 0, 1, 1, 2]> : tensor<6xi64>
// CHECK: arith.constant dense<[1, 1, 1, 2, 2, 2]> : tensor<6xi64>
// CHECK: arith.constant dense<[0.000000e+00, 2.500000e-01, 7.500000e-01, 2.500000e-01, 7.500000e-01, 0.000000e+00]> : tensor<6xf32>
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @resize_linear(%x: tensor<1x1x1x3xf32>) -> tensor<1x1x1x6xf32> {
  %y = qc.resize %x {scales = array<f32: 1.0, 1.0, 1.0, 2.0>, mode = "linear", coordinate_transformation_mode = "half_pixel", nearest_mode = "round_prefer_floor"} : tensor<1x1x1x3xf32> -> tensor<1x1x1x6xf32>
  return %y : tensor<1x1x1x6xf32>
}

// -----

// Rule: cubic resize (and antialiased downsampling) sums a filter's
// weighted neighbours in order from zero, from an [out, width] table of
// edge-clamped source indices and one of weights (Keys' kernel, a = -0.75:
// the neighbours -2..1 of -0.25 weigh -0.035, 0.262, 0.879, -0.105).
// CHECK-LABEL: func.func @resize_cubic
// CHECK-DAG: arith.constant dense<{{\[\[}}0, 0, 0, 1], [0, 0, 1, 2], [0, 0, 1, 2], [0, 1, 2, 2], [0, 1, 2, 2], [1, 2, 2, 2]]> : tensor<6x4xi64>
// CHECK-DAG: arith.constant dense<{{\[\[}}-0.03515625, 0.26171875, 0.87890625, -0.10546875], [-0.10546875, 0.87890625, 0.26171875, -0.03515625],
// CHECK: %[[STARTS:.*]] = arith.constant dense<0.000000e+00> : tensor<6xf32>
// CHECK: %[[ZERO:.*]] = tensor.extract %[[STARTS]]
// CHECK: %[[P0:.*]] = arith.mulf
// CHECK: %[[S0:.*]] = arith.addf %[[ZERO]], %[[P0]] : f32
// CHECK: %[[P1:.*]] = arith.mulf
// CHECK: %[[S1:.*]] = arith.addf %[[S0]], %[[P1]] : f32
// CHECK: arith.addf %[[S1]]
// CHECK: arith.addf
// CHECK-NOT: arith.addf
// CHECK: linalg.yield
func.func @resize_cubic(%x: tensor<1x1x1x3xf32>) -> tensor<1x1x1x6xf32> {
  %y = qc.resize %x {scales = array<f32: 1.0, 1.0, 1.0, 2.0>, mode = "cubic", coordinate_transformation_mode = "half_pixel", nearest_mode = "round_prefer_floor"} : tensor<1x1x1x3xf32> -> tensor<1x1x1x6xf32>
  return %y : tensor<1x1x1x6xf32>
}

// Halving with antialias: a triangle twice as wide, normalized.
// CHECK-LABEL: func.func @resize_antialias
// CHECK-DAG: arith.constant dense<{{\[\[}}0, 0, 1, 2], [1, 2, 3, 3]]> : tensor<2x4xi64>
// CHECK-DAG: arith.constant dense<{{\[\[}}1.250000e-01, 3.750000e-01, 3.750000e-01, 1.250000e-01], [1.250000e-01, 3.750000e-01, 3.750000e-01, 1.250000e-01]]> : tensor<2x4xf32>
func.func @resize_antialias(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %y = qc.resize %x {scales = array<f32: 1.0, 0.5>, mode = "linear", coordinate_transformation_mode = "half_pixel", nearest_mode = "round_prefer_floor", antialias = true} : tensor<1x4xf32> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// tf_crop_and_resize: the region [0.5, 1.5] of an axis of 3 samples
// positions 1, 2 and 3 of it; past the last index (2) the sum starts from
// the extrapolation value and every weight is zero. The other axis, its
// whole region at its size, is left alone.
// CHECK-LABEL: func.func @resize_crop
// CHECK-DAG: arith.constant dense<[0.000000e+00, 0.000000e+00, 7.000000e+00]> : tensor<3xf32>
// CHECK-DAG: arith.constant dense<{{\[\[}}0, 1], [1, 2], [2, 2]]> : tensor<3x2xi64>
// CHECK-DAG: arith.constant dense<{{\[\[}}0.000000e+00, 1.000000e+00], [0.000000e+00, 1.000000e+00], [0.000000e+00, 0.000000e+00]]> : tensor<3x2xf32>
// CHECK: linalg.generic
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @resize_crop(%x: tensor<1x3xf32>) -> tensor<1x3xf32> {
  %y = qc.resize %x {scales = array<f32: 1.0, 1.0>, mode = "linear", coordinate_transformation_mode = "tf_crop_and_resize", nearest_mode = "round_prefer_floor", roi = array<f32: 0.0, 0.5, 1.0, 1.5>, extrapolation_value = 7.0 : f32} : tensor<1x3xf32> -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// -----

// Rule: trilu keeps (i, j) where j - i <= k (lower) by comparing the
// iteration indices of the last two dimensions.
// CHECK-LABEL: func.func @trilu
// CHECK: linalg.generic
// CHECK: %[[ROW:.*]] = linalg.index 1
// CHECK: %[[COL:.*]] = linalg.index 2
// CHECK: arith.subi %[[COL]], %[[ROW]]
// CHECK: arith.cmpi sle
// CHECK: arith.select
func.func @trilu(%a: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = qc.trilu %a {k = 1 : i64, upper = false} : tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// Rule: cumsum reduces over a second copy of the axis, adding the elements
// of the prefix (j <= i; j < i when exclusive; j >= i when reverse).
// CHECK: #[[IN:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @cumsum
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK: arith.cmpi ult
// CHECK: arith.addi
func.func @cumsum(%a: tensor<2x5xi64>) -> tensor<2x5xi64> {
  %0 = qc.cumsum %a {axis = 1 : i64, exclusive = true} : tensor<2x5xi64>
  return %0 : tensor<2x5xi64>
}

// -----

// Rule: gather_elements reads the data at the output point with the axis
// coordinate taken from the (wrapped, clamped) index.
// CHECK-LABEL: func.func @gather_elements
// CHECK: linalg.generic
// CHECK: %[[I0:.*]] = linalg.index 0
// CHECK: arith.cmpi slt
// CHECK: arith.minsi
// CHECK: %[[IDX:.*]] = arith.index_cast
// CHECK: tensor.extract %arg0[%[[I0]], %[[IDX]]]
func.func @gather_elements(%x: tensor<3x4xf32>, %i: tensor<3x2xi64>) -> tensor<3x2xf32> {
  %0 = qc.gather_elements %x, %i {axis = 1 : i64} : (tensor<3x4xf32>, tensor<3x2xi64>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// Rule: scatter_nd reduces over the index tuples on top of the data; a
// tuple that names the output point replaces (or combines with) it.
// CHECK: #[[UPD:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @scatter_nd
// CHECK: linalg.generic {indexing_maps = [#[[UPD]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: outs(%arg0 : tensor<4x5xf32>)
// CHECK: arith.cmpi eq
// CHECK: arith.addf
// CHECK: arith.select
func.func @scatter_nd(%x: tensor<4x5xf32>, %i: tensor<2x1xi64>, %u: tensor<2x5xf32>) -> tensor<4x5xf32> {
  %0 = qc.scatter_nd %x, %i, %u {reduction = "add"} : (tensor<4x5xf32>, tensor<2x1xi64>, tensor<2x5xf32>) -> tensor<4x5xf32>
  return %0 : tensor<4x5xf32>
}
