// RUN: quant-opt %s | FileCheck %s
// RUN: quant-opt %s | quant-opt | FileCheck %s
// RUN: quant-opt %s --emit-bytecode | quant-opt | FileCheck %s

!act = !quant.uniform<i8:f32, 0.05:-3>
!out = !quant.uniform<i8:f32, 0.1:4>
!wpc = !quant.uniform<i8<-127:127>:f32:0, {0.01, 0.02}>
!wmm = !quant.uniform<i8<-127:127>:f32:1, {0.01, 0.02, 0.03}>
!w4 = !quant.uniform<i4<-7:7>:f32:{0:1, 1:2}, {{0.1, 0.2}, {0.3, 0.4}, {0.5, 0.6}}>

// CHECK-LABEL: func.func @quantize_dequantize
func.func @quantize_dequantize(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  // CHECK: qc.quantize %{{.*}} : tensor<1x8xf32> -> tensor<1x8x!quant.uniform<i8:f32, 5.000000e-02:-3>>
  %q = qc.quantize %x : tensor<1x8xf32> -> tensor<1x8x!act>
  // CHECK: qc.quantize %{{.*}} {rounding = #qc<rounding half_away_from_zero>}
  %r = qc.quantize %x {rounding = #qc<rounding half_away_from_zero>} : tensor<1x8xf32> -> tensor<1x8x!act>
  // CHECK: qc.dequantize %{{.*}} : tensor<1x8x!quant.uniform<i8:f32, 5.000000e-02:-3>> -> tensor<1x8xf32>
  %d = qc.dequantize %q : tensor<1x8x!act> -> tensor<1x8xf32>
  return %d : tensor<1x8xf32>
}

// CHECK-LABEL: func.func @sub_channel
func.func @sub_channel(%w: tensor<3x4xi4>) -> tensor<3x4xf32> {
  // CHECK: quant.scast
  // CHECK: qc.dequantize %{{.*}} : tensor<3x4x!quant.uniform<i4<-7:7>:f32:{0:1, 1:2}
  %q = quant.scast %w : tensor<3x4xi4> to tensor<3x4x!w4>
  %d = qc.dequantize %q : tensor<3x4x!w4> -> tensor<3x4xf32>
  return %d : tensor<3x4xf32>
}

// CHECK-LABEL: func.func @requantize
func.func @requantize(%acc: tensor<1x2x4xi32>, %q: tensor<1x2x4x!act>) -> (tensor<1x2x4x!out>, tensor<1x2x4x!out>) {
  // CHECK: qc.requantize %{{.*}} {axis = 1 : i64, clamp_max = 100 : i64, clamp_min = 4 : i64, multiplier = array<i32: 1073741824, 2147483647>, rounding = #qc<rounding double_round>, shift = array<i32: 0, -2>}
  %0 = qc.requantize %acc {multiplier = array<i32: 1073741824, 2147483647>, shift = array<i32: 0, -2>, axis = 1, rounding = #qc<rounding double_round>, clamp_min = 4, clamp_max = 100} : tensor<1x2x4xi32> -> tensor<1x2x4x!out>
  // CHECK: qc.requantize %{{.*}} {multiplier = array<i32: 1073741824>, shift = array<i32: 0>} : tensor<1x2x4x!quant.uniform<i8:f32, 5.000000e-02:-3>>
  %1 = qc.requantize %q {multiplier = array<i32: 1073741824>, shift = array<i32: 0>} : tensor<1x2x4x!act> -> tensor<1x2x4x!out>
  return %0, %1 : tensor<1x2x4x!out>, tensor<1x2x4x!out>
}

// CHECK-LABEL: func.func @qconv
func.func @qconv(%x: tensor<1x1x4x4x!act>, %w: tensor<2x1x3x3x!wpc>, %b: tensor<2xi32>) -> tensor<1x2x2x2xi32> {
  // CHECK: qc.qconv %{{.*}}, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, zero_point_folded = true}
  // CHECK-SAME: -> tensor<1x2x2x2xi32>
  %0 = qc.qconv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, zero_point_folded = true} : (tensor<1x1x4x4x!act>, tensor<2x1x3x3x!wpc>, tensor<2xi32>) -> tensor<1x2x2x2xi32>
  return %0 : tensor<1x2x2x2xi32>
}

// CHECK-LABEL: func.func @qmatmul
func.func @qmatmul(%x: tensor<2x5x4x!act>, %w: tensor<4x3x!wmm>) -> tensor<2x5x3xi32> {
  // CHECK: qc.qmatmul %{{.*}}, %{{.*}} : (tensor<2x5x4x!quant.uniform<i8:f32, 5.000000e-02:-3>>, tensor<4x3x!quant.uniform<i8<-127:127>:f32:1, {1.000000e-02,2.000000e-02,3.000000e-02}>>) -> tensor<2x5x3xi32>
  %0 = qc.qmatmul %x, %w : (tensor<2x5x4x!act>, tensor<4x3x!wmm>) -> tensor<2x5x3xi32>
  return %0 : tensor<2x5x3xi32>
}

// CHECK-LABEL: func.func @integer_elementwise
func.func @integer_elementwise(%a: tensor<2x4x!act>, %b: tensor<4x!out>, %x: tensor<1x1x4x4x!act>) -> (tensor<2x4x!out>, tensor<2x4x!out>, tensor<1x1x2x2x!act>, tensor<1x1x8x8x!act>) {
  // CHECK: qc.lookup_table %{{.*}} {table = dense<1> : tensor<256xi8>} : tensor<2x4x!quant.uniform<i8:f32, 5.000000e-02:-3>> -> tensor<2x4x!quant.uniform<i8:f32, 1.000000e-01:4>>
  %t = qc.lookup_table %a {table = dense<1> : tensor<256xi8>} : tensor<2x4x!act> -> tensor<2x4x!out>
  // CHECK: qc.qadd %{{.*}}, %{{.*}} {left_shift = 20 : i64, multiplier = array<i32: 1073741824, 1073741824, 1073741824>, shift = array<i32: 1, 0, -19>}
  %s = qc.qadd %a, %b {multiplier = array<i32: 1073741824, 1073741824, 1073741824>, shift = array<i32: 1, 0, -19>, left_shift = 20} : (tensor<2x4x!act>, tensor<4x!out>) -> tensor<2x4x!out>
  // CHECK: qc.qmul %{{.*}}, %{{.*}} {multiplier = 1073741824 : i32, shift = 3 : i32}
  %m = qc.qmul %a, %b {multiplier = 1073741824 : i32, shift = 3 : i32} : (tensor<2x4x!act>, tensor<4x!out>) -> tensor<2x4x!out>
  // CHECK: qc.max_pool %{{.*}} {{.*}} -> tensor<1x1x2x2x!quant.uniform<i8:f32, 5.000000e-02:-3>>
  %p = qc.max_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x1x4x4x!act>) -> tensor<1x1x2x2x!act>
  // CHECK: qc.resize %{{.*}} {{.*}} : tensor<1x1x4x4x!quant.uniform<i8:f32, 5.000000e-02:-3>> -> tensor<1x1x8x8x!quant.uniform<i8:f32, 5.000000e-02:-3>>
  %r = qc.resize %x {scales = array<f32: 1.0, 1.0, 2.0, 2.0>, mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor"} : tensor<1x1x4x4x!act> -> tensor<1x1x8x8x!act>
  return %t, %s, %p, %r : tensor<2x4x!out>, tensor<2x4x!out>, tensor<1x1x2x2x!act>, tensor<1x1x8x8x!act>
}

// CHECK-LABEL: func.func @precision
// CHECK-SAME: qc.precision = #qc.precision<activation = i16, weight = i4, granularity = per_group, scheme = symmetric, group_size = 32>
func.func @precision() attributes {qc.precision = #qc.precision<activation = i16, weight = i4, granularity = per_group, scheme = symmetric, group_size = 32>} {
  return
}

// CHECK-LABEL: func.func @microkernel
func.func @microkernel(%x: tensor<1x4xi8>, %w: tensor<256xi8>, %p: tensor<25xi64>, %o: tensor<1x2xi32>,
                       %xb: memref<1x4xi8>, %wb: memref<256xi8>, %pb: memref<25xi64>, %ob: memref<1x2xi32>) -> tensor<1x2xi32> {
  // CHECK: qc.microkernel "quantc_qlayer_generic" ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<1x4xi8>, tensor<256xi8>, tensor<25xi64>) outs(%{{.*}} : tensor<1x2xi32>) -> tensor<1x2xi32>
  %y = qc.microkernel "quantc_qlayer_generic" ins(%x, %w, %p : tensor<1x4xi8>, tensor<256xi8>, tensor<25xi64>) outs(%o : tensor<1x2xi32>) -> tensor<1x2xi32>
  // CHECK: qc.microkernel "quantc_qlayer_generic" ins(%{{.*}}, %{{.*}}, %{{.*}} : memref<1x4xi8>, memref<256xi8>, memref<25xi64>) outs(%{{.*}} : memref<1x2xi32>)
  qc.microkernel "quantc_qlayer_generic" ins(%xb, %wb, %pb : memref<1x4xi8>, memref<256xi8>, memref<25xi64>) outs(%ob : memref<1x2xi32>)
  return %y : tensor<1x2xi32>
}
