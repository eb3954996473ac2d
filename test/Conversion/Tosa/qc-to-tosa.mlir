// RUN: quant-opt %s --convert-qc-to-tosa --split-input-file | FileCheck %s
// Upstream's validator accepts what the export writes (integer profile,
// strict alignment with the TOSA 1.0 specification).
// RUN: quant-opt %s --convert-qc-to-tosa --split-input-file | mlir-opt --split-input-file --tosa-attach-target="profiles=pro_int level=none" --tosa-validate=strict-op-spec-alignment -o /dev/null

!x = !quant.uniform<i8:f32, 0.05:-3>
!w = !quant.uniform<i8<-127:127>:f32:0, {0.01, 0.02}>
!y = !quant.uniform<i8:f32, 0.1:-128>

// Rule: the boundary quantize/dequantize become integer arguments and results
// with their types recorded; a folded conv with pads pads the stored zero
// point itself, convolves NHWC with a zero input zero point, and its
// per-channel requantization is a rescale along the last dimension with the
// fused Relu as a clamp; the layout transposes between them cancel.
// CHECK-LABEL: func.func @conv
// CHECK-SAME: (%[[X:.*]]: tensor<1x1x4x4xi8> {qc.quant_type = tensor<1x1x4x4x!quant.uniform<i8:f32, 5.000000e-02:-3>>})
// CHECK-SAME: -> (tensor<1x2x4x4xi8> {qc.quant_type = tensor<1x2x4x4x!quant.uniform<i8:f32, 1.000000e-01:-128>>})
// CHECK-DAG: %[[ZP:.*]] = "tosa.const"() <{values = dense<-3> : tensor<1xi8>}>
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{.*}}> : tensor<2x3x3x1xi8>}>
// CHECK: %[[NHWC:.*]] = tosa.reshape %[[X]]
// CHECK: %[[PAD:.*]] = tosa.pad %[[NHWC]], %{{.*}}, %[[ZP]] : {{.*}} -> tensor<1x6x6x1xi8>
// CHECK: %[[ACC:.*]] = tosa.conv2d %[[PAD]], %[[W]], %{{.*}}, %{{.*}}, %{{.*}} {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>}
// CHECK: %[[R:.*]] = tosa.rescale %[[ACC]], {{.*}} {input_unsigned = false, output_unsigned = false, per_channel = true, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<1x4x4x2xi32>
// CHECK: %[[C:.*]] = tosa.clamp %[[R]] {max_val = 127 : i8, min_val = -100 : i8}
// CHECK: %[[OUT:.*]] = tosa.transpose %[[C]] {perms = array<i32: 0, 3, 1, 2>}
// CHECK: return %[[OUT]]
func.func @conv(%arg0: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %q = qc.quantize %arg0 : tensor<1x1x4x4xf32> -> tensor<1x1x4x4x!x>
  %wi = qc.constant dense<[[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]], [[[-1, -2, -3], [-4, -5, -6], [-7, -8, -9]]]]> : tensor<2x1x3x3xi8>
  %w = quant.scast %wi : tensor<2x1x3x3xi8> to tensor<2x1x3x3x!w>
  %b = qc.constant dense<[135, -135]> : tensor<2xi32>
  %acc = qc.qconv %q, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, zero_point_folded = true} : (tensor<1x1x4x4x!x>, tensor<2x1x3x3x!w>, tensor<2xi32>) -> tensor<1x2x4x4xi32>
  %r = qc.requantize %acc {multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 2, 1>, axis = 1, clamp_min = -100, rounding = #qc<rounding half_up>} : tensor<1x2x4x4xi32> -> tensor<1x2x4x4x!y>
  %d = qc.dequantize %r : tensor<1x2x4x4x!y> -> tensor<1x2x4x4xf32>
  return %d : tensor<1x2x4x4xf32>
}

// -----

!a = !quant.uniform<i8:f32, 0.1:1>
!b = !quant.uniform<i8:f32, 0.2:-2>
!o = !quant.uniform<i8:f32, 0.3:3>

// Rule: qadd rescales each operand into i32 with its left shift folded into
// the shift (31 + shift - left_shift), adds, and rescales the sum.
// CHECK-LABEL: func.func @qadd
// CHECK-DAG: %[[S0:.*]] = "tosa.const"() <{values = dense<12> : tensor<1xi8>}>
// CHECK-DAG: %[[S1:.*]] = "tosa.const"() <{values = dense<13> : tensor<1xi8>}>
// CHECK-DAG: %[[S2:.*]] = "tosa.const"() <{values = dense<50> : tensor<1xi8>}>
// CHECK: %[[A:.*]] = tosa.rescale %arg0, %{{.*}}, %[[S0]]
// CHECK-SAME: -> tensor<2x4xi32>
// CHECK: %[[B:.*]] = tosa.rescale %arg1, %{{.*}}, %[[S1]]
// CHECK-SAME: -> tensor<4xi32>
// CHECK: %[[B2:.*]] = tosa.reshape %[[B]]
// CHECK-SAME: -> tensor<1x4xi32>
// CHECK: %[[SUM:.*]] = tosa.add %[[A]], %[[B2]]
// CHECK: tosa.rescale %[[SUM]], %{{.*}}, %[[S2]]
// CHECK-SAME: -> tensor<2x4xi8>
func.func @qadd(%a: tensor<2x4x!a>, %b: tensor<4x!b>) -> tensor<2x4x!o> {
  %0 = qc.qadd %a, %b {multiplier = array<i32: 1073741824, 1073741824, 1431655765>, shift = array<i32: 1, 2, 19>, left_shift = 20, rounding = #qc<rounding half_up>} : (tensor<2x4x!a>, tensor<4x!b>) -> tensor<2x4x!o>
  return %0 : tensor<2x4x!o>
}

// -----

!x = !quant.uniform<i8:f32, 0.05:-3>
!w = !quant.uniform<i8<-127:127>:f32:1, {0.01, 0.02, 0.03}>

// Rule: a matrix product against a shared matrix is one rank-3 tosa.matmul
// over all rows; with the zero point folded into the bias, a_zp is 0.
// CHECK-LABEL: func.func @qmatmul
// CHECK: %[[L:.*]] = tosa.reshape %arg0, %{{.*}} -> tensor<1x10x4xi8>
// CHECK: %[[M:.*]] = tosa.matmul %[[L]], %{{.*}} : (tensor<1x10x4xi8>, tensor<1x4x3xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x10x3xi32>
// CHECK: %[[B:.*]] = tosa.add %[[M]], %{{.*}} : (tensor<1x10x3xi32>, tensor<1x1x3xi32>)
// CHECK: tosa.reshape %[[B]], %{{.*}} -> tensor<2x5x3xi32>
func.func @qmatmul(%x: tensor<2x5x4x!x>) -> tensor<2x5x3xi32> {
  %wi = qc.constant dense<1> : tensor<4x3xi8>
  %w = quant.scast %wi : tensor<4x3xi8> to tensor<4x3x!w>
  %b = qc.constant dense<[1, 2, 3]> : tensor<3xi32>
  %0 = qc.qmatmul %x, %w, %b {zero_point_folded = true} : (tensor<2x5x4x!x>, tensor<4x3x!w>, tensor<3xi32>) -> tensor<2x5x3xi32>
  return %0 : tensor<2x5x3xi32>
}
