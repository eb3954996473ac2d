// RUN: quant-opt %s --convert-tosa-to-qc --split-input-file | FileCheck %s

// Rule: an NHWC conv2d becomes qc.qconv between transposes, the input and
// weight zero points become the operands' types, the rescale a half_up
// requantization along the last dimension, and the clamp its bounds. Arguments
// and results recorded as quantized take float values again.
// CHECK-LABEL: func.func @conv
// CHECK-SAME: (%[[ARG:.*]]: tensor<1x4x4x1xf32>) -> tensor<1x4x4x2xf32>
// CHECK: %[[Q:.*]] = qc.quantize %[[ARG]] : tensor<1x4x4x1xf32> -> tensor<1x4x4x1x!quant.uniform<i8:f32, 5.000000e-02:-3>>
// CHECK: %[[X:.*]] = qc.transpose %[[Q]] {perm = array<i64: 0, 3, 1, 2>}
// CHECK: %[[ACC:.*]] = qc.qconv %[[X]], %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4x!quant.uniform<i8:f32, 5.000000e-02:-3>>, tensor<2x1x3x3x!quant.uniform<i8:f32, 1.000000e+00>>, tensor<2xi32>) -> tensor<1x2x4x4xi32>
// CHECK: %[[T:.*]] = qc.transpose %[[ACC]] {perm = array<i64: 0, 2, 3, 1>}
// CHECK: %[[R:.*]] = qc.requantize %[[T]] {axis = 3 : i64, clamp_max = 127 : i64, clamp_min = -100 : i64, multiplier = array<i32: 1073741824, 1073741824>, rounding = #qc<rounding half_up>, shift = array<i32: 2, 1>} : tensor<1x4x4x2xi32> -> tensor<1x4x4x2x!quant.uniform<i8:f32, 1.000000e+00:-128>>
// CHECK: %[[S:.*]] = quant.scast %[[R]]
// CHECK: %[[O:.*]] = quant.scast %[[S]] : tensor<1x4x4x2xi8> to tensor<1x4x4x2x!quant.uniform<i8:f32, 1.000000e-01:-128>>
// CHECK: %[[D:.*]] = qc.dequantize %[[O]]
// CHECK: return %[[D]]
func.func @conv(%arg0: tensor<1x4x4x1xi8> {qc.quant_type = tensor<1x4x4x1x!quant.uniform<i8:f32, 0.05:-3>>})
    -> (tensor<1x4x4x2xi8> {qc.quant_type = tensor<1x4x4x2x!quant.uniform<i8:f32, 0.1:-128>>}) {
  %w = "tosa.const"() <{values = dense<1> : tensor<2x3x3x1xi8>}> : () -> tensor<2x3x3x1xi8>
  %b = "tosa.const"() <{values = dense<[5, -5]> : tensor<2xi32>}> : () -> tensor<2xi32>
  %xzp = "tosa.const"() <{values = dense<-3> : tensor<1xi8>}> : () -> tensor<1xi8>
  %wzp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %acc = tosa.conv2d %arg0, %w, %b, %xzp, %wzp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x1xi8>, tensor<2x3x3x1xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x4x2xi32>
  %m = "tosa.const"() <{values = dense<1073741824> : tensor<2xi32>}> : () -> tensor<2xi32>
  %s = "tosa.const"() <{values = dense<[33, 32]> : tensor<2xi8>}> : () -> tensor<2xi8>
  %izp = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %ozp = "tosa.const"() <{values = dense<-128> : tensor<1xi8>}> : () -> tensor<1xi8>
  %r = tosa.rescale %acc, %m, %s, %izp, %ozp {input_unsigned = false, output_unsigned = false, per_channel = true, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<1x4x4x2xi32>, tensor<2xi32>, tensor<2xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x4x4x2xi8>
  %c = tosa.clamp %r {max_val = 127 : i8, min_val = -100 : i8} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8>
  return %c : tensor<1x4x4x2xi8>
}

// -----

// Rule: rescale, rescale, add, rescale is one qc.qadd; values of unknown
// meaning get scale 1.0 and the producer's zero point.
// CHECK-LABEL: func.func @qadd
// CHECK: %[[A:.*]] = quant.scast %arg0 : tensor<4xi8> to tensor<4x!quant.uniform<i8:f32, 1.000000e+00>>
// CHECK: %[[B:.*]] = quant.scast %arg1
// CHECK: %[[A1:.*]] = quant.scast %[[A]]
// CHECK: %[[A2:.*]] = quant.scast %[[A1]] : tensor<4xi8> to tensor<4x!quant.uniform<i8:f32, 1.000000e+00:1>>
// CHECK: qc.qadd %[[A2]], %{{.*}} {left_shift = 0 : i64, multiplier = array<i32: 1073741824, 1073741824, 1431655765>, rounding = #qc<rounding half_up>, shift = array<i32: -19, -18, 19>} : (tensor<4x!quant.uniform<i8:f32, 1.000000e+00:1>>, tensor<4x!quant.uniform<i8:f32, 1.000000e+00:-2>>) -> tensor<4x!quant.uniform<i8:f32, 1.000000e+00:3>>
// CHECK-NOT: qc.requantize
func.func @qadd(%a: tensor<4xi8>, %b: tensor<4xi8>) -> tensor<4xi8> {
  %m = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %m2 = "tosa.const"() <{values = dense<1431655765> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s0 = "tosa.const"() <{values = dense<12> : tensor<1xi8>}> : () -> tensor<1xi8>
  %s1 = "tosa.const"() <{values = dense<13> : tensor<1xi8>}> : () -> tensor<1xi8>
  %s2 = "tosa.const"() <{values = dense<50> : tensor<1xi8>}> : () -> tensor<1xi8>
  %za = "tosa.const"() <{values = dense<1> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zb = "tosa.const"() <{values = dense<-2> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zo = "tosa.const"() <{values = dense<3> : tensor<1xi8>}> : () -> tensor<1xi8>
  %z32 = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %0 = tosa.rescale %a, %m, %s0, %za, %z32 {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<4xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<4xi32>
  %1 = tosa.rescale %b, %m, %s1, %zb, %z32 {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<4xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<4xi32>
  %2 = tosa.add %0, %1 : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %3 = tosa.rescale %2, %m2, %s2, %z32, %zo {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<4xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<4xi8>
  return %3 : tensor<4xi8>
}
