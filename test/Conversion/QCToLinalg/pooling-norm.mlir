// RUN: quant-opt %s --split-input-file --convert-qc-to-linalg | FileCheck %s

// Rule: max pooling pads with -inf (ceil_mode windows run past the explicit
// padding) and folds each window with ordered comparisons.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 * 2 + d4, d3 * 2 + d5)>
// CHECK-DAG: #[[WIN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>
// CHECK-LABEL: func.func @max_pool_ceil
// CHECK: %[[NEG:.*]] = arith.constant 0xFF800000 : f32
// CHECK: tensor.pad %arg0 low[0, 0, 0, 0] high[0, 0, 1, 1]
// CHECK: tensor.yield %[[NEG]]
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[WIN]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
// CHECK: arith.cmpf olt
func.func @max_pool_ceil(%x: tensor<1x1x5x5xf32>) -> tensor<1x1x3x3xf32> {
  %y = qc.max_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = true} : (tensor<1x1x5x5xf32>) -> tensor<1x1x3x3xf32>
  return %y : tensor<1x1x3x3xf32>
}

// -----

!q = !quant.uniform<i8:f32, 0.1:-5>

// Rule: quantized max pooling works on the stored integers (signed max),
// padding with the storage minimum.
// CHECK-LABEL: func.func @max_pool_quantized
// CHECK: arith.constant -128 : i8
// CHECK: arith.maxsi %{{.*}}, %{{.*}} : i8
func.func @max_pool_quantized(%x: tensor<1x1x4x4x!q>) -> tensor<1x1x2x2x!q> {
  %y = qc.max_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x1x4x4x!q>) -> tensor<1x1x2x2x!q>
  return %y : tensor<1x1x2x2x!q>
}

// -----

// Rule: average pooling divides window sums by a compile-time table of
// in-bounds counts (here the corners see 4 of 9 positions).
// CHECK-LABEL: func.func @avg_pool
// CHECK: arith.constant dense<{{\[}}[4.000000e+00, 6.000000e+00, 4.000000e+00], [6.000000e+00, 9.000000e+00, 6.000000e+00], [4.000000e+00, 6.000000e+00, 4.000000e+00]]> : tensor<3x3xf32>
// CHECK: arith.divf
func.func @avg_pool(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %y = qc.avg_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}

// A dilated 3-d window: taps 2 apart along the first axis (1, then 2 of
// them in bounds), counts multiplied across the axes.
// CHECK-LABEL: func.func @avg_pool_3d_dilated
// CHECK: arith.constant dense<{{\[\[\[}}1.000000e+00, 2.000000e+00], [1.000000e+00, 2.000000e+00]], {{\[\[}}2.000000e+00, 4.000000e+00], [2.000000e+00, 4.000000e+00]]]> : tensor<2x2x2xf32>
// CHECK: arith.divf
func.func @avg_pool_3d_dilated(%x: tensor<1x1x3x2x3xf32>) -> tensor<1x1x2x2x2xf32> {
  %y = qc.avg_pool %x {kernel_shape = array<i64: 2, 1, 2>, strides = array<i64: 1, 1, 2>, pads = array<i64: 1, 0, 1, 0, 0, 0>, dilations = array<i64: 2, 1, 1>} : (tensor<1x1x3x2x3xf32>) -> tensor<1x1x2x2x2xf32>
  return %y : tensor<1x1x2x2x2xf32>
}

// -----

// Rule: global average pooling sums in f64 (as the evaluator), in order,
// and divides by the plane size before rounding to f32.
// CHECK-LABEL: func.func @global_avg_pool
// CHECK: arith.extf %{{.*}} : f32 to f64
// CHECK-NOT: fastmath
// CHECK: arith.constant 1.200000e+01 : f64
// CHECK: arith.truncf %{{.*}} : f64 to f32
// CHECK: tensor.expand_shape
func.func @global_avg_pool(%x: tensor<1x2x3x4xf32>) -> tensor<1x2x1x1xf32> {
  %y = qc.global_avg_pool %x : (tensor<1x2x3x4xf32>) -> tensor<1x2x1x1xf32>
  return %y : tensor<1x2x1x1xf32>
}

// -----

// Rule: the f64 sum of a plane of dequantized 8-bit values (per tensor, or
// per channel) is exact in any order, so its additions may be reassociated
// (LLVM then vectorizes them); the result is the same bits.
// CHECK-LABEL: func.func @global_avg_pool_dequantized
// CHECK: arith.addf %{{.*}}, %{{.*}} fastmath<reassoc> : f64
// CHECK: arith.addf %{{.*}}, %{{.*}} fastmath<reassoc> : f64
func.func @global_avg_pool_dequantized(%x: tensor<1x2x40x56x!quant.uniform<i8:f32, 0.03:-128>>, %w: tensor<1x2x4x4x!quant.uniform<u8:f32:1, {0.5:3, 0.25:7}>>) -> (tensor<1x2x1x1xf32>, tensor<1x2x1x1xf32>) {
  %d = qc.dequantize %x : tensor<1x2x40x56x!quant.uniform<i8:f32, 0.03:-128>> -> tensor<1x2x40x56xf32>
  %y = qc.global_avg_pool %d : (tensor<1x2x40x56xf32>) -> tensor<1x2x1x1xf32>
  %e = qc.dequantize %w : tensor<1x2x4x4x!quant.uniform<u8:f32:1, {0.5:3, 0.25:7}>> -> tensor<1x2x4x4xf32>
  %z = qc.global_avg_pool %e : (tensor<1x2x4x4xf32>) -> tensor<1x2x1x1xf32>
  return %y, %z : tensor<1x2x1x1xf32>, tensor<1x2x1x1xf32>
}

// -----

// Rule: the order stays where it could change the bits: 16-bit values over
// more than 2^12 terms (their sums outgrow a double's 53 bits), and scales
// that vary within a plane (per axis along a pooled dim).
// CHECK-LABEL: func.func @global_avg_pool_in_order
// CHECK-NOT: fastmath
func.func @global_avg_pool_in_order(%x: tensor<1x1x64x65x!quant.uniform<i16:f32, 0.001>>, %w: tensor<1x2x2x3x!quant.uniform<i8:f32:2, {0.5, 0.25}>>) -> (tensor<1x1x1x1xf32>, tensor<1x2x1x1xf32>) {
  %d = qc.dequantize %x : tensor<1x1x64x65x!quant.uniform<i16:f32, 0.001>> -> tensor<1x1x64x65xf32>
  %y = qc.global_avg_pool %d : (tensor<1x1x64x65xf32>) -> tensor<1x1x1x1xf32>
  %e = qc.dequantize %w : tensor<1x2x2x3x!quant.uniform<i8:f32:2, {0.5, 0.25}>> -> tensor<1x2x2x3xf32>
  %z = qc.global_avg_pool %e : (tensor<1x2x2x3xf32>) -> tensor<1x2x1x1xf32>
  return %y, %z : tensor<1x1x1x1xf32>, tensor<1x2x1x1xf32>
}

// -----

// Rule: reduce_mean over listed axes accumulates in f64; keepdims expands.
// CHECK-LABEL: func.func @reduce_mean
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]
// CHECK: arith.constant 3.000000e+00 : f64
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2]]
func.func @reduce_mean(%x: tensor<2x3x4xf32>) -> tensor<2x1x4xf32> {
  %y = qc.reduce_mean %x {axes = array<i64: 1>} : (tensor<2x3x4xf32>) -> tensor<2x1x4xf32>
  return %y : tensor<2x1x4xf32>
}

// -----

// Rule: an integer reduction accumulates in the elements' own type; a
// bool's maximum compares unsigned (true is 1), starting from false.
// CHECK-LABEL: func.func @reduce_sum_i64
// CHECK: linalg.fill ins(%{{.*}} : i64)
// CHECK: linalg.generic
// CHECK: arith.addi %{{.*}}, %{{.*}} : i64
// CHECK-NOT: arith.sitofp
func.func @reduce_sum_i64(%x: tensor<2x3xi64>) -> tensor<2xi64> {
  %y = qc.reduce_sum %x {axes = array<i64: 1>, keepdims = false} : (tensor<2x3xi64>) -> tensor<2xi64>
  return %y : tensor<2xi64>
}

// -----

// CHECK-LABEL: func.func @reduce_any
// CHECK: %[[FALSE:.*]] = arith.constant false
// CHECK: linalg.fill ins(%[[FALSE]] : i1)
// CHECK: arith.maxui %{{.*}}, %{{.*}} : i1
func.func @reduce_any(%x: tensor<2x3xi1>) -> tensor<2xi1> {
  %y = qc.reduce_max %x {axes = array<i64: 1>, keepdims = false} : (tensor<2x3xi1>) -> tensor<2xi1>
  return %y : tensor<2xi1>
}

// -----

// Rule: softmax subtracts the row maximum, sums exponentials in f64 and
// divides the same exponentials (computed once) by the sums.
// CHECK-LABEL: func.func @softmax
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: %[[EXPS:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK: math.exp
// CHECK: %[[SUMS:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[EXPS]] :
// CHECK: linalg.generic {{.*}} ins(%[[EXPS]], %[[SUMS]] : tensor<2x5xf64>, tensor<2xf64>)
// CHECK-NOT: math.exp
// CHECK: arith.divf %{{.*}}, %{{.*}} : f64
// CHECK: return
func.func @softmax(%x: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %y = qc.softmax %x {axis = -1 : i64} : tensor<2x5xf32>
  return %y : tensor<2x5xf32>
}

// -----

// Rule: layer_norm is two-pass mean and variance in f64, then scale.
// CHECK-LABEL: func.func @layer_norm
// CHECK: math.sqrt %{{.*}} : f64
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f32
func.func @layer_norm(%x: tensor<2x8xf32>, %s: tensor<8xf32>) -> tensor<2x8xf32> {
  %y = qc.layer_norm %x, %s {axis = -1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// Rule: batch_norm folds its parameters per channel.
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func.func @batch_norm
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[C]], #[[C]], #[[C]], #[[C]], #{{.*}}]
// CHECK: math.sqrt
func.func @batch_norm(%x: tensor<1x2x3x3xf32>, %g: tensor<2xf32>, %b: tensor<2xf32>, %m: tensor<2xf32>, %v: tensor<2xf32>) -> tensor<1x2x3x3xf32> {
  %y = qc.batch_norm %x, %g, %b, %m, %v {epsilon = 1.0e-5 : f32} : (tensor<1x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}
