// Round-trip of every qc op: custom form, re-parsed, and generic form.
// RUN: quant-opt %s | FileCheck %s
// RUN: quant-opt %s | quant-opt | FileCheck %s
// RUN: quant-opt %s -mlir-print-op-generic | quant-opt | FileCheck %s

// CHECK-LABEL: func @constants
func.func @constants() -> (tensor<2xf32>, tensor<3xi64>) {
  // CHECK: qc.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
  %0 = qc.constant dense<[1.0, 2.0]> : tensor<2xf32>
  // CHECK: qc.constant dense<[1, 2, 3]> : tensor<3xi64>
  %1 = qc.constant dense<[1, 2, 3]> : tensor<3xi64>
  return %0, %1 : tensor<2xf32>, tensor<3xi64>
}

// CHECK-LABEL: func @unary
func.func @unary(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: qc.sqrt %{{.*}} : tensor<2x3xf32>
  %0 = qc.sqrt %x : tensor<2x3xf32>
  // CHECK: qc.exp
  %1 = qc.exp %0 : tensor<2x3xf32>
  // CHECK: qc.log
  %2 = qc.log %1 : tensor<2x3xf32>
  // CHECK: qc.neg
  %3 = qc.neg %2 : tensor<2x3xf32>
  // CHECK: qc.abs
  %4 = qc.abs %3 : tensor<2x3xf32>
  // CHECK: qc.reciprocal
  %5 = qc.reciprocal %4 : tensor<2x3xf32>
  // CHECK: qc.round
  %r = qc.round %5 : tensor<2x3xf32>
  // CHECK: qc.relu
  %6 = qc.relu %r : tensor<2x3xf32>
  // CHECK: qc.sigmoid
  %7 = qc.sigmoid %6 : tensor<2x3xf32>
  // CHECK: qc.tanh
  %8 = qc.tanh %7 : tensor<2x3xf32>
  // CHECK: qc.erf
  %9 = qc.erf %8 : tensor<2x3xf32>
  // CHECK: qc.hard_swish
  %10 = qc.hard_swish %9 : tensor<2x3xf32>
  // CHECK: qc.identity
  %11 = qc.identity %10 : tensor<2x3xf32>
  // CHECK: qc.leaky_relu %{{.*}} {alpha = 1.000000e-01 : f32}
  %12 = qc.leaky_relu %11 {alpha = 0.1 : f32} : tensor<2x3xf32>
  // CHECK: qc.hard_sigmoid %{{.*}} {alpha = 2.000000e-01 : f32, beta = 5.000000e-01 : f32}
  %13 = qc.hard_sigmoid %12 {alpha = 0.2 : f32, beta = 0.5 : f32} : tensor<2x3xf32>
  // CHECK: qc.gelu %{{.*}} {approximate_tanh = true}
  %14 = qc.gelu %13 {approximate_tanh = true} : tensor<2x3xf32>
  // CHECK: qc.clip %{{.*}} {max = 6.000000e+00 : f32, min = 0.000000e+00 : f32}
  %15 = qc.clip %14 {min = 0.0 : f32, max = 6.0 : f32} : tensor<2x3xf32>
  // CHECK: qc.softmax %{{.*}} {axis = 1 : i64}
  %16 = qc.softmax %15 {axis = 1 : i64} : tensor<2x3xf32>
  // CHECK: qc.log_softmax %{{.*}} {axis = 0 : i64}
  %17 = qc.log_softmax %16 {axis = 0 : i64} : tensor<2x3xf32>
  return %17 : tensor<2x3xf32>
}

// CHECK-LABEL: func @binary
func.func @binary(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %c: tensor<2x1xi1>) -> tensor<2x3xf32> {
  // CHECK: qc.add %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %0 = qc.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: qc.sub
  %1 = qc.sub %0, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: qc.mul
  %2 = qc.mul %1, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: qc.div
  %3 = qc.div %2, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: qc.pow
  %4 = qc.pow %3, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: qc.min
  %5 = qc.min %4, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: qc.max
  %6 = qc.max %5, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: qc.prelu
  %7 = qc.prelu %6, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: qc.equal {{.*}} -> tensor<2x3xi1>
  %8 = qc.equal %7, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  // CHECK: qc.less
  %9 = qc.less %7, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  // CHECK: qc.greater
  %10 = qc.greater %7, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  // CHECK: qc.where {{.*}} : (tensor<2x1xi1>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %11 = qc.where %c, %7, %b : (tensor<2x1xi1>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: qc.cast {{.*}} : tensor<2x3xf32> -> tensor<2x3xi64>
  %12 = qc.cast %11 : tensor<2x3xf32> -> tensor<2x3xi64>
  return %11 : tensor<2x3xf32>
}

// CHECK-LABEL: func @linalg
func.func @linalg(%x: tensor<1x4x8x8xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>,
                  %m: tensor<2x5x4xf32>, %n: tensor<4x3xf32>, %wt: tensor<4x3x2x2xf32>)
    -> (tensor<1x6x4x4xf32>, tensor<2x5x3xf32>, tensor<5x3xf32>, tensor<1x3x16x16xf32>, tensor<2x3x5xf32>) {
  // CHECK: qc.conv %{{.*}}, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
  %0 = qc.conv %x, %w, %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 2 : i64}
      : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x4x4xf32>
  // CHECK: qc.matmul
  %1 = qc.matmul %m, %n : (tensor<2x5x4xf32>, tensor<4x3xf32>) -> tensor<2x5x3xf32>
  %a = qc.constant dense<1.0> : tensor<5x4xf32>
  // CHECK: qc.gemm %{{.*}}, %{{.*}} {alpha = 5.000000e-01 : f32}
  %2 = qc.gemm %a, %n {alpha = 0.5 : f32} : (tensor<5x4xf32>, tensor<4x3xf32>) -> tensor<5x3xf32>
  // CHECK: qc.matmul %{{.*}}, %{{.*}} {dynamic_int8_block = 2 : i64}
  %5 = qc.matmul %m, %n {dynamic_int8_block = 2} : (tensor<2x5x4xf32>, tensor<4x3xf32>) -> tensor<2x5x3xf32>
  // CHECK: qc.gemm %{{.*}}, %{{.*}} {dynamic_int8_block = 4 : i64}
  %6 = qc.gemm %a, %n {dynamic_int8_block = 4} : (tensor<5x4xf32>, tensor<4x3xf32>) -> tensor<5x3xf32>
  // CHECK: qc.conv_transpose
  %3 = qc.conv_transpose %x, %wt {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, output_padding = array<i64: 0, 0>}
      : (tensor<1x4x8x8xf32>, tensor<4x3x2x2xf32>) -> tensor<1x3x16x16xf32>
  // CHECK: qc.einsum {{.*}} {equation = "bij->bji"}
  %4 = qc.einsum %1 {equation = "bij->bji"} : (tensor<2x5x3xf32>) -> tensor<2x3x5xf32>
  return %0, %1, %2, %3, %4 : tensor<1x6x4x4xf32>, tensor<2x5x3xf32>, tensor<5x3xf32>, tensor<1x3x16x16xf32>, tensor<2x3x5xf32>
}

// CHECK-LABEL: func @nn
func.func @nn(%x: tensor<1x3x8x8xf32>, %c: tensor<3xf32>) -> tensor<1x3x1x1xf32> {
  // CHECK: qc.max_pool
  %0 = qc.max_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>}
      : (tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32>
  // CHECK: qc.avg_pool {{.*}}ceil_mode = true
  %1 = qc.avg_pool %0 {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = true}
      : (tensor<1x3x4x4xf32>) -> tensor<1x3x2x2xf32>
  // CHECK: qc.avg_pool {{.*}}dilations = array<i64: 2, 1>
  %d = qc.avg_pool %0 {kernel_shape = array<i64: 2, 2>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 2, 1>}
      : (tensor<1x3x4x4xf32>) -> tensor<1x3x2x3xf32>
  // CHECK: qc.batch_norm
  %2 = qc.batch_norm %1, %c, %c, %c, %c {epsilon = 1.0e-5 : f32}
      : (tensor<1x3x2x2xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x2x2xf32>
  // CHECK: qc.instance_norm
  %3 = qc.instance_norm %2, %c, %c {epsilon = 1.0e-5 : f32}
      : (tensor<1x3x2x2xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x2x2xf32>
  %s = qc.constant dense<1.0> : tensor<2xf32>
  // CHECK: qc.layer_norm
  %4 = qc.layer_norm %3, %s {axis = 3 : i64, epsilon = 1.0e-5 : f32}
      : (tensor<1x3x2x2xf32>, tensor<2xf32>) -> tensor<1x3x2x2xf32>
  // CHECK: qc.global_avg_pool
  %5 = qc.global_avg_pool %4 : (tensor<1x3x2x2xf32>) -> tensor<1x3x1x1xf32>
  // CHECK: qc.global_max_pool
  %6 = qc.global_max_pool %5 : (tensor<1x3x1x1xf32>) -> tensor<1x3x1x1xf32>
  // CHECK: qc.reduce_mean {{.*}} : (tensor<1x3x1x1xf32>) -> tensor<1x1x1x1xf32>
  %7 = qc.reduce_mean %6 {axes = array<i64: 1>} : (tensor<1x3x1x1xf32>) -> tensor<1x1x1x1xf32>
  // CHECK: qc.reduce_sum {{.*}} keepdims = false
  %8 = qc.reduce_sum %6 {axes = array<i64: 1>, keepdims = false} : (tensor<1x3x1x1xf32>) -> tensor<1x1x1xf32>
  // CHECK: qc.reduce_max
  %9 = qc.reduce_max %6 {axes = array<i64>} : (tensor<1x3x1x1xf32>) -> tensor<1x1x1x1xf32>
  // CHECK: qc.reduce_min
  %10 = qc.reduce_min %6 {axes = array<i64: 0>} : (tensor<1x3x1x1xf32>) -> tensor<1x3x1x1xf32>
  return %6 : tensor<1x3x1x1xf32>
}

// Integer and bool reductions: sums and products of integers, maxima and
// minima of bools.
// CHECK-LABEL: func.func @integer_reductions
// CHECK: qc.reduce_sum %arg0 {axes = array<i64: 1>} : (tensor<2x3xi64>) -> tensor<2x1xi64>
// CHECK: qc.reduce_prod %arg1 {axes = array<i64>, keepdims = false} : (tensor<4xi32>) -> tensor<i32>
// CHECK: qc.reduce_max %arg2 {axes = array<i64: 0>} : (tensor<3xi1>) -> tensor<1xi1>
func.func @integer_reductions(%a: tensor<2x3xi64>, %b: tensor<4xi32>, %c: tensor<3xi1>) {
  %0 = qc.reduce_sum %a {axes = array<i64: 1>} : (tensor<2x3xi64>) -> tensor<2x1xi64>
  %1 = qc.reduce_prod %b {axes = array<i64>, keepdims = false} : (tensor<4xi32>) -> tensor<i32>
  %2 = qc.reduce_max %c {axes = array<i64: 0>} : (tensor<3xi1>) -> tensor<1xi1>
  return
}

// CHECK-LABEL: func @movement
func.func @movement(%x: tensor<2x3x4xf32>, %i: tensor<2xi64>) -> tensor<4x3x2xf32> {
  // CHECK: qc.reshape {{.*}} : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %0 = qc.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  // CHECK: qc.transpose {{.*}} {perm = array<i64: 2, 1, 0>}
  %1 = qc.transpose %x {perm = array<i64: 2, 1, 0>} : (tensor<2x3x4xf32>) -> tensor<4x3x2xf32>
  // CHECK: qc.concat {{.*}} {axis = 0 : i64}
  %2 = qc.concat %x, %x {axis = 0 : i64} : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<4x3x4xf32>
  // CHECK: qc.slice
  %3 = qc.slice %x {starts = array<i64: 0, 2, 3>, limits = array<i64: 2, -1, 0>, steps = array<i64: 1, -1, -2>}
      : (tensor<2x3x4xf32>) -> tensor<2x3x2xf32>
  // CHECK: qc.gather {{.*}} {axis = 2 : i64}
  %4 = qc.gather %x, %i {axis = 2 : i64} : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<2x3x2xf32>
  // CHECK: qc.broadcast_to {{.*}} : tensor<2x3x4xf32> -> tensor<5x2x3x4xf32>
  %5 = qc.broadcast_to %x : tensor<2x3x4xf32> -> tensor<5x2x3x4xf32>
  // CHECK: qc.tile
  %6 = qc.tile %x {repeats = array<i64: 1, 2, 1>} : (tensor<2x3x4xf32>) -> tensor<2x6x4xf32>
  // CHECK: qc.pad {{.*}}mode = "reflect"
  %7 = qc.pad %x {pads = array<i64: 0, 1, 1, 0, 1, 1>, mode = "reflect"} : (tensor<2x3x4xf32>) -> tensor<2x5x6xf32>
  // CHECK: qc.resize
  %8 = qc.resize %x {scales = array<f32: 1.0, 2.0, 2.0>, mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor"}
      : tensor<2x3x4xf32> -> tensor<2x6x8xf32>
  // CHECK: qc.resize %{{.*}} {antialias = true, coordinate_transformation_mode = "half_pixel_symmetric", cubic_coeff_a = -5.000000e-01 : f32, exclude_outside = true, mode = "cubic"
  %9 = qc.resize %x {scales = array<f32: 1.0, 0.5, 0.5>, mode = "cubic", coordinate_transformation_mode = "half_pixel_symmetric", nearest_mode = "floor", cubic_coeff_a = -0.5 : f32, exclude_outside = true, antialias = true}
      : tensor<2x3x4xf32> -> tensor<2x1x2xf32>
  return %1 : tensor<4x3x2xf32>
}

// CHECK-LABEL: func @masks_and_positions
func.func @masks_and_positions(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %m: tensor<2x3xi1>,
                               %i: tensor<4x4xi64>) -> (tensor<2x3xi1>, tensor<2x3xf32>, tensor<4x4xi64>) {
  // CHECK: qc.cos %{{.*}} : tensor<2x3xf32>
  %0 = qc.cos %a : tensor<2x3xf32>
  // CHECK: qc.sin %{{.*}} : tensor<2x3xf32>
  %1 = qc.sin %0 : tensor<2x3xf32>
  // CHECK: qc.less_equal {{.*}} -> tensor<2x3xi1>
  %2 = qc.less_equal %1, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  // CHECK: qc.greater_equal {{.*}} -> tensor<2x3xi1>
  %3 = qc.greater_equal %1, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  // CHECK: qc.and
  %4 = qc.and %2, %3 : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  // CHECK: qc.or
  %5 = qc.or %4, %m : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  // CHECK: qc.xor
  %6 = qc.xor %5, %m : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  // CHECK: qc.not %{{.*}} : tensor<2x3xi1>
  %7 = qc.not %6 : tensor<2x3xi1>
  // CHECK: qc.trilu %{{.*}} {k = -1 : i64, upper = false} : tensor<4x4xi64>
  %8 = qc.trilu %i {k = -1 : i64, upper = false} : tensor<4x4xi64>
  // CHECK: qc.cumsum %{{.*}} {axis = 1 : i64, reverse = true} : tensor<4x4xi64>
  %9 = qc.cumsum %8 {axis = 1 : i64, reverse = true} : tensor<4x4xi64>
  return %7, %1, %9 : tensor<2x3xi1>, tensor<2x3xf32>, tensor<4x4xi64>
}

// CHECK-LABEL: func @attention
func.func @attention(%q: tensor<1x4x3x8xf32>, %k: tensor<1x2x5x8xf32>, %mask: tensor<3x5xi1>,
                     %kn: tensor<1x2x3x8xf32>) -> (tensor<1x4x3x8xf32>, tensor<1x4x3x8xf32>, tensor<1x4x3x8xf32>) {
  // CHECK: qc.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {scale = 2.500000e-01 : f32} : (tensor<1x4x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>, tensor<3x5xi1>) -> tensor<1x4x3x8xf32>
  %0 = qc.attention %q, %k, %k, %mask {scale = 0.25 : f32}
      : (tensor<1x4x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>, tensor<3x5xi1>) -> tensor<1x4x3x8xf32>
  // CHECK: qc.attention %{{.*}}, %{{.*}}, %{{.*}} {scale = 1.000000e+00 : f32} : (tensor<1x4x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>) -> tensor<1x4x3x8xf32>
  %1 = qc.attention %q, %k, %k {scale = 1.0 : f32}
      : (tensor<1x4x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>) -> tensor<1x4x3x8xf32>
  // CHECK: qc.cached_attention %{{.*}}, %{{.*}}, %{{.*}} {layer = 3 : i64, scale = 5.000000e-01 : f32}
  %2 = qc.cached_attention %q, %kn, %kn {layer = 3 : i64, scale = 0.5 : f32}
      : (tensor<1x4x3x8xf32>, tensor<1x2x3x8xf32>, tensor<1x2x3x8xf32>) -> tensor<1x4x3x8xf32>
  // CHECK: qc.cached_attention %{{.*}}, %{{.*}}, %{{.*}} {cache = "i4", layer = 3 : i64, scale = 5.000000e-01 : f32}
  %3 = qc.cached_attention %q, %kn, %kn {cache = "i4", layer = 3 : i64, scale = 0.5 : f32}
      : (tensor<1x4x3x8xf32>, tensor<1x2x3x8xf32>, tensor<1x2x3x8xf32>) -> tensor<1x4x3x8xf32>
  // CHECK: qc.cached_attention %{{.*}}, %{{.*}}, %{{.*}} {cache = "i8", key_scale = array<f32: 1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 5.000000e+00, 6.000000e+00, 7.000000e+00, 8.000000e+00, 1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 5.000000e+00, 6.000000e+00, 7.000000e+00, 8.000000e+00>, layer = 3 : i64, scale = 5.000000e-01 : f32}
  %4 = qc.cached_attention %q, %kn, %kn {cache = "i8", key_scale = array<f32: 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0>, layer = 3 : i64, scale = 0.5 : f32}
      : (tensor<1x4x3x8xf32>, tensor<1x2x3x8xf32>, tensor<1x2x3x8xf32>) -> tensor<1x4x3x8xf32>
  return %0, %1, %3 : tensor<1x4x3x8xf32>, tensor<1x4x3x8xf32>, tensor<1x4x3x8xf32>
}

// CHECK-LABEL: func @gather_scatter
func.func @gather_scatter(%x: tensor<3x4xf32>, %i: tensor<3x2xi64>, %r: tensor<2x1xi64>,
                          %u: tensor<2x4xf32>) -> (tensor<3x2xf32>, tensor<3x4xf32>) {
  // CHECK: qc.gather_elements %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<3x4xf32>, tensor<3x2xi64>) -> tensor<3x2xf32>
  %0 = qc.gather_elements %x, %i {axis = 1 : i64} : (tensor<3x4xf32>, tensor<3x2xi64>) -> tensor<3x2xf32>
  // CHECK: qc.scatter_nd %{{.*}}, %{{.*}}, %{{.*}} {reduction = "add"} : (tensor<3x4xf32>, tensor<2x1xi64>, tensor<2x4xf32>) -> tensor<3x4xf32>
  %1 = qc.scatter_nd %x, %r, %u {reduction = "add"} : (tensor<3x4xf32>, tensor<2x1xi64>, tensor<2x4xf32>) -> tensor<3x4xf32>
  return %0, %1 : tensor<3x2xf32>, tensor<3x4xf32>
}

// CHECK-LABEL: func @math_functions
func.func @math_functions(%x: tensor<4xf32>, %i: tensor<4xi32>, %u: tensor<4xui8>)
    -> (tensor<4xf32>, tensor<4xi32>, tensor<4xi1>, tensor<4xi1>, tensor<4xui8>) {
  // CHECK: qc.acosh %{{.*}} : tensor<4xf32>
  %0 = qc.acosh %x : tensor<4xf32>
  // CHECK: qc.elu %{{.*}} {alpha = 5.000000e-01 : f32} : tensor<4xf32>
  %1 = qc.elu %0 {alpha = 0.5 : f32} : tensor<4xf32>
  // CHECK: qc.selu %{{.*}} {alpha = 1.500000e+00 : f32, gamma = 2.000000e+00 : f32}
  %2 = qc.selu %1 {alpha = 1.5 : f32, gamma = 2.0 : f32} : tensor<4xf32>
  // CHECK: qc.shrink %{{.*}} {bias = 1.000000e+00 : f32, lambd = 2.000000e+00 : f32}
  %3 = qc.shrink %2 {bias = 1.0 : f32, lambd = 2.0 : f32} : tensor<4xf32>
  // CHECK: qc.mod %{{.*}}, %{{.*}} {fmod = true} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %4 = qc.mod %3, %x {fmod = true} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  // CHECK: qc.sign %{{.*}} : tensor<4xi32>
  %5 = qc.sign %i : tensor<4xi32>
  // CHECK: qc.mod %{{.*}}, %{{.*}} : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %6 = qc.mod %5, %i : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  // CHECK: qc.is_nan %{{.*}} : (tensor<4xf32>) -> tensor<4xi1>
  %7 = qc.is_nan %4 : (tensor<4xf32>) -> tensor<4xi1>
  // CHECK: qc.is_inf %{{.*}} {detect_negative = true, detect_positive = false}
  %8 = qc.is_inf %4 {detect_negative = true, detect_positive = false} : (tensor<4xf32>) -> tensor<4xi1>
  // CHECK: qc.shift_right %{{.*}}, %{{.*}} : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  %9 = qc.shift_right %u, %u : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  // CHECK: qc.bitwise_not %{{.*}} : tensor<4xui8>
  %10 = qc.bitwise_not %9 : tensor<4xui8>
  return %4, %6, %7, %8, %10 : tensor<4xf32>, tensor<4xi32>, tensor<4xi1>, tensor<4xi1>, tensor<4xui8>
}

// CHECK-LABEL: func @selection
func.func @selection(%x: tensor<2x5xf32>) -> (tensor<2xi64>, tensor<1x5xi64>, tensor<2x3xi64>, tensor<1x5xf32>) {
  // CHECK: qc.arg_max %{{.*}} {axis = 1 : i64, keepdims = false, select_last_index = true}
  %0 = qc.arg_max %x {axis = 1 : i64, keepdims = false, select_last_index = true} : (tensor<2x5xf32>) -> tensor<2xi64>
  // CHECK: qc.arg_min %{{.*}} {axis = 0 : i64} : (tensor<2x5xf32>) -> tensor<1x5xi64>
  %1 = qc.arg_min %x {axis = 0 : i64} : (tensor<2x5xf32>) -> tensor<1x5xi64>
  // CHECK: qc.top_k %{{.*}} {axis = -1 : i64, k = 3 : i64, largest = false}
  %2 = qc.top_k %x {axis = -1 : i64, k = 3 : i64, largest = false} : (tensor<2x5xf32>) -> tensor<2x3xi64>
  // CHECK: qc.reduce_prod %{{.*}} {axes = array<i64: 0>}
  %3 = qc.reduce_prod %x {axes = array<i64: 0>} : (tensor<2x5xf32>) -> tensor<1x5xf32>
  return %0, %1, %2, %3 : tensor<2xi64>, tensor<1x5xi64>, tensor<2x3xi64>, tensor<1x5xf32>
}

// CHECK-LABEL: func @grid_sample
func.func @grid_sample(%x: tensor<1x2x4x5xf32>, %g: tensor<1x3x6x2xf32>) -> tensor<1x2x3x6xf32> {
  // CHECK: qc.grid_sample %{{.*}}, %{{.*}} {align_corners = false, mode = "cubic", padding_mode = "border"}
  %0 = qc.grid_sample %x, %g {align_corners = false, mode = "cubic", padding_mode = "border"} : (tensor<1x2x4x5xf32>, tensor<1x3x6x2xf32>) -> tensor<1x2x3x6xf32>
  return %0 : tensor<1x2x3x6xf32>
}

// CHECK-LABEL: func @regions
func.func @regions(%x: tensor<1x2x8x8xf32>, %r: tensor<3x4xf32>, %b: tensor<3xi64>, %p: tensor<3x5xf32>, %m: tensor<4x4xf32>) -> (tensor<3x2x2x2xf32>, tensor<3x2x1x3xf32>, tensor<f32>) {
  // CHECK: qc.roi_align %{{.*}}, %{{.*}}, %{{.*}} {half_pixel = false, mode = "avg", sampling_ratio = 0 : i64, spatial_scale = 1.000000e+00 : f32}
  %0 = qc.roi_align %x, %r, %b {half_pixel = false, mode = "avg", sampling_ratio = 0 : i64, spatial_scale = 1.0 : f32} : (tensor<1x2x8x8xf32>, tensor<3x4xf32>, tensor<3xi64>) -> tensor<3x2x2x2xf32>
  // CHECK: qc.max_roi_pool %{{.*}}, %{{.*}} {spatial_scale = 5.000000e-01 : f32}
  %1 = qc.max_roi_pool %x, %p {spatial_scale = 0.5 : f32} : (tensor<1x2x8x8xf32>, tensor<3x5xf32>) -> tensor<3x2x1x3xf32>
  // CHECK: qc.det %{{.*}} : (tensor<4x4xf32>) -> tensor<f32>
  %2 = qc.det %m : (tensor<4x4xf32>) -> tensor<f32>
  return %0, %1, %2 : tensor<3x2x2x2xf32>, tensor<3x2x1x3xf32>, tensor<f32>
}

// CHECK-LABEL: func @deform_unfold
func.func @deform_unfold(%x: tensor<1x2x5x5xf32>, %o: tensor<1x8x4x4xf32>, %m: tensor<1x4x4x4xf32>) -> tensor<1x16x8xf32> {
  // CHECK: qc.deform_unfold %{{.*}}, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, offset_group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
  %0 = qc.deform_unfold %x, %o, %m {dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, offset_group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x5x5xf32>, tensor<1x8x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x16x8xf32>
  return %0 : tensor<1x16x8xf32>
}

// CHECK-LABEL: func @non_max_suppression
func.func @non_max_suppression(%b: tensor<1x5x4xf32>, %s: tensor<1x2x5xf32>) -> tensor<6x3xi64> {
  // CHECK: qc.non_max_suppression %{{.*}}, %{{.*}} {center_point_box = true, iou_threshold = 5.000000e-01 : f32, max_output_boxes_per_class = 3 : i64, score_threshold = 1.000000e-01 : f32}
  %0 = qc.non_max_suppression %b, %s {center_point_box = true, iou_threshold = 0.5 : f32, max_output_boxes_per_class = 3 : i64, score_threshold = 0.1 : f32} : (tensor<1x5x4xf32>, tensor<1x2x5xf32>) -> tensor<6x3xi64>
  return %0 : tensor<6x3xi64>
}

// A branch that cannot run with the model's shapes.
// CHECK-LABEL: func.func @fail
// CHECK: qc.fail "else_branch of 'If_0' cannot run with these input shapes"
func.func @fail() {
  qc.fail "else_branch of 'If_0' cannot run with these input shapes"
  return
}

// Max pooling also takes 8-bit integers, signed and unsigned.
// CHECK-LABEL: func @max_pool_integers
// CHECK: qc.max_pool {{.*}} : (tensor<1x1x4x4xui8>) -> tensor<1x1x2x2xui8>
// CHECK: qc.max_pool {{.*}} : (tensor<1x1x4x4xi8>) -> tensor<1x1x2x2xi8>
func.func @max_pool_integers(%u: tensor<1x1x4x4xui8>, %s: tensor<1x1x4x4xi8>) {
  %0 = qc.max_pool %u {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>}
      : (tensor<1x1x4x4xui8>) -> tensor<1x1x2x2xui8>
  %1 = qc.max_pool %s {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>}
      : (tensor<1x1x4x4xi8>) -> tensor<1x1x2x2xi8>
  return
}

// CHECK-LABEL: func @max_pool_indices
// CHECK: qc.max_pool_indices %{{.*}} {{{.*}}storage_order = 1 : i64{{.*}}} : (tensor<1x2x5x5xf32>) -> tensor<1x2x2x2xi64>
func.func @max_pool_indices(%x: tensor<1x2x5x5xf32>) -> tensor<1x2x2x2xi64> {
  %0 = qc.max_pool_indices %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, storage_order = 1}
      : (tensor<1x2x5x5xf32>) -> tensor<1x2x2x2xi64>
  return %0 : tensor<1x2x2x2xi64>
}

// CHECK-LABEL: func @grid_sample_3d
// CHECK: qc.grid_sample %{{.*}}, %{{.*}} {align_corners = true, mode = "linear", padding_mode = "reflection"} : (tensor<1x2x3x4x5xf32>, tensor<1x2x3x6x3xf32>) -> tensor<1x2x2x3x6xf32>
func.func @grid_sample_3d(%x: tensor<1x2x3x4x5xf32>, %g: tensor<1x2x3x6x3xf32>) -> tensor<1x2x2x3x6xf32> {
  %0 = qc.grid_sample %x, %g {align_corners = true, mode = "linear", padding_mode = "reflection"} : (tensor<1x2x3x4x5xf32>, tensor<1x2x3x6x3xf32>) -> tensor<1x2x2x3x6xf32>
  return %0 : tensor<1x2x2x3x6xf32>
}

// CHECK-LABEL: func @non_zero
// CHECK: qc.non_zero %{{.*}} : (tensor<2x3xf32>) -> tensor<2x6xi64>
func.func @non_zero(%x: tensor<2x3xf32>) -> tensor<2x6xi64> {
  %0 = qc.non_zero %x : (tensor<2x3xf32>) -> tensor<2x6xi64>
  return %0 : tensor<2x6xi64>
}
