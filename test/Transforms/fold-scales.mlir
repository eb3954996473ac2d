// RUN: quant-opt %s --split-input-file --qc-fold-scales | FileCheck %s

!x = !quant.uniform<i8:f32, 0.5>
!w = !quant.uniform<i8<-127:127>:f32:0, {0.25, 0.125}>
!y = !quant.uniform<i8:f32, 2.0>

// Rule: a conv between dequantize and quantize becomes qc.qconv plus one
// requantization. Per channel, M = 0.5 * 0.25 / 2 = 2^-4 and
// 0.5 * 0.125 / 2 = 2^-5: multiplier 2^30 with shifts 3 and 4. The bias
// [1.0, -0.5] in units of 0.5 * s_w is [8, -8].
// CHECK-LABEL: func.func @conv
// CHECK: %[[B:.*]] = qc.constant dense<[8, -8]> : tensor<2xi32>
// CHECK: %[[ACC:.*]] = qc.qconv %arg0, %{{.*}}, %[[B]] {dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}
// CHECK-SAME: -> tensor<1x2x2x2xi32>
// CHECK: %[[R:.*]] = qc.requantize %[[ACC]] {axis = 1 : i64, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 3, 4>}
// CHECK-SAME: -> tensor<1x2x2x2x!quant.uniform<i8:f32, 2.000000e+00>>
// CHECK: return %[[R]]
func.func @conv(%x: tensor<1x1x2x2x!x>, %wi: tensor<2x1x3x3xi8>) -> tensor<1x2x2x2x!y> {
  %xd = qc.dequantize %x : tensor<1x1x2x2x!x> -> tensor<1x1x2x2xf32>
  %ws = quant.scast %wi : tensor<2x1x3x3xi8> to tensor<2x1x3x3x!w>
  %wd = qc.dequantize %ws : tensor<2x1x3x3x!w> -> tensor<2x1x3x3xf32>
  %b = qc.constant dense<[1.0, -0.5]> : tensor<2xf32>
  %c = qc.conv %xd, %wd, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x1x2x2xf32>, tensor<2x1x3x3xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  %q = qc.quantize %c : tensor<1x2x2x2xf32> -> tensor<1x2x2x2x!y>
  return %q : tensor<1x2x2x2x!y>
}

// -----

!x = !quant.uniform<i8:f32, 0.5>
!w = !quant.uniform<i8<-127:127>:f32:0, {0.25, 9.094947017729282e-13}>
!y = !quant.uniform<i8:f32, 2.0>

// Rule: a rescale below 2^-32 (here 0.5 * 2^-40 / 2 = 2^-42), past the
// least a shift reaches, takes every accumulator below half a step: the
// multiplier is exactly 0 and the layer still folds.
// CHECK-LABEL: func.func @negligible_channel
// CHECK: qc.qconv
// CHECK: qc.requantize %{{.*}} {axis = 1 : i64, multiplier = array<i32: 1073741824, 0>, shift = array<i32: 3, 0>}
func.func @negligible_channel(%x: tensor<1x1x2x2x!x>, %wi: tensor<2x1x1x1xi8>) -> tensor<1x2x2x2x!y> {
  %xd = qc.dequantize %x : tensor<1x1x2x2x!x> -> tensor<1x1x2x2xf32>
  %ws = quant.scast %wi : tensor<2x1x1x1xi8> to tensor<2x1x1x1x!w>
  %wd = qc.dequantize %ws : tensor<2x1x1x1x!w> -> tensor<2x1x1x1xf32>
  %c = qc.conv %xd, %wd {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x1x2x2xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x2x2xf32>
  %q = qc.quantize %c : tensor<1x2x2x2xf32> -> tensor<1x2x2x2x!y>
  return %q : tensor<1x2x2x2x!y>
}

// -----

!x = !quant.uniform<i8:f32, 0.5>
!w = !quant.uniform<i8<-127:127>:f32, 0.25>
!y = !quant.uniform<i8:f32, 2.0:-10>

// Rule: a ReLU before the quantize becomes the lower clamp, the output's
// zero point (the quantized 0). One weight scale gives one multiplier.
// CHECK-LABEL: func.func @relu
// CHECK: qc.qmatmul
// CHECK: qc.requantize %{{.*}} {clamp_min = -10 : i64, multiplier = array<i32: 1073741824>, shift = array<i32: 3>}
// CHECK-NOT: qc.relu
func.func @relu(%x: tensor<2x4x!x>, %wi: tensor<4x3xi8>) -> tensor<2x3x!y> {
  %xd = qc.dequantize %x : tensor<2x4x!x> -> tensor<2x4xf32>
  %ws = quant.scast %wi : tensor<4x3xi8> to tensor<4x3x!w>
  %wd = qc.dequantize %ws : tensor<4x3x!w> -> tensor<4x3xf32>
  %m = qc.matmul %xd, %wd : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %r = qc.relu %m : tensor<2x3xf32>
  %q = qc.quantize %r : tensor<2x3xf32> -> tensor<2x3x!y>
  return %q : tensor<2x3x!y>
}

// -----

!x = !quant.uniform<i8:f32, 0.5>
!w = !quant.uniform<i8<-127:127>:f32, 0.25>
!y = !quant.uniform<i8:f32, 0.05:-128>

// Rule: Clip(0, 6) becomes the clamp [q(0), q(6)] = [-128, -8].
// CHECK-LABEL: func.func @clip
// CHECK: qc.requantize %{{.*}} {clamp_max = -8 : i64, clamp_min = -128 : i64
// CHECK-NOT: qc.clip
func.func @clip(%x: tensor<2x4x!x>, %wi: tensor<4x3xi8>) -> tensor<2x3x!y> {
  %xd = qc.dequantize %x : tensor<2x4x!x> -> tensor<2x4xf32>
  %ws = quant.scast %wi : tensor<4x3xi8> to tensor<4x3x!w>
  %wd = qc.dequantize %ws : tensor<4x3x!w> -> tensor<4x3xf32>
  %m = qc.matmul %xd, %wd : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %r = qc.clip %m {min = 0.0 : f32, max = 6.0 : f32} : tensor<2x3xf32>
  %q = qc.quantize %r : tensor<2x3xf32> -> tensor<2x3x!y>
  return %q : tensor<2x3x!y>
}

// -----

!x = !quant.uniform<i8:f32, 0.5>
!w = !quant.uniform<i8<-127:127>:f32:0, {0.25, 0.125, 0.5}>
!y = !quant.uniform<i8:f32, 2.0>

// Rule: Gemm with a transposed constant b becomes qc.qmatmul on b transposed
// at compile time (scales now along axis 1); alpha = 2 folds into the
// multipliers (2^-3, 2^-4, 2^-2) and beta * c = 0.5 * [2, 2, 2] into the
// bias: 1 / (0.5 * s_w * 2) = [4, 8, 2].
// CHECK-LABEL: func.func @gemm
// CHECK-DAG: %[[B:.*]] = qc.constant dense<[4, 8, 2]> : tensor<3xi32>
// CHECK-DAG: %[[WT:.*]] = qc.constant dense<{{\[\[}}1, 3, 5], [2, 4, 6]]> : tensor<2x3xi8>
// CHECK: %[[WS:.*]] = quant.scast %[[WT]] : tensor<2x3xi8> to tensor<2x3x!quant.uniform<i8<-127:127>:f32:1, {2.500000e-01,1.250000e-01,5.000000e-01}>>
// CHECK: %[[ACC:.*]] = qc.qmatmul %arg0, %[[WS]], %[[B]]
// CHECK: qc.requantize %[[ACC]] {axis = 1 : i64, multiplier = array<i32: 1073741824, 1073741824, 1073741824>, shift = array<i32: 2, 3, 1>}
func.func @gemm(%x: tensor<1x2x!x>) -> tensor<1x3x!y> {
  %xd = qc.dequantize %x : tensor<1x2x!x> -> tensor<1x2xf32>
  %wi = qc.constant dense<[[1, 2], [3, 4], [5, 6]]> : tensor<3x2xi8>
  %ws = quant.scast %wi : tensor<3x2xi8> to tensor<3x2x!w>
  %wd = qc.dequantize %ws : tensor<3x2x!w> -> tensor<3x2xf32>
  %c = qc.constant dense<2.0> : tensor<3xf32>
  %g = qc.gemm %xd, %wd, %c {alpha = 2.0 : f32, beta = 0.5 : f32, trans_b = true} : (tensor<1x2xf32>, tensor<3x2xf32>, tensor<3xf32>) -> tensor<1x3xf32>
  %q = qc.quantize %g : tensor<1x3xf32> -> tensor<1x3x!y>
  return %q : tensor<1x3x!y>
}

// -----

!x = !quant.uniform<i8:f32, 0.5>
!w = !quant.uniform<i8<-127:127>:f32:0, {0.25, 0.125, 0.5, 0.25, 0.25}>
!y = !quant.uniform<i8:f32, 2.0>

// Gemms that share a transposed weight (a recurrent layer's time steps)
// share its [K, N] copy too (a resource: CSE would keep both).
// CHECK-LABEL: func.func @shared_transposed_weight
// CHECK: %[[WT:.*]] = qc.constant dense_resource<{{.*}}> : tensor<4x5xi8>
// CHECK-NOT: qc.constant
// CHECK: quant.scast %[[WT]]
// CHECK-NOT: qc.constant
// CHECK: quant.scast %[[WT]]
// CHECK: return
func.func @shared_transposed_weight(%x: tensor<1x4x!x>) -> (tensor<1x5x!y>, tensor<1x5x!y>) {
  %xd = qc.dequantize %x : tensor<1x4x!x> -> tensor<1x4xf32>
  %wi = qc.constant dense<3> : tensor<5x4xi8>
  %ws = quant.scast %wi : tensor<5x4xi8> to tensor<5x4x!w>
  %wd = qc.dequantize %ws : tensor<5x4x!w> -> tensor<5x4xf32>
  %g = qc.gemm %xd, %wd {trans_b = true} : (tensor<1x4xf32>, tensor<5x4xf32>) -> tensor<1x5xf32>
  %q = qc.quantize %g : tensor<1x5xf32> -> tensor<1x5x!y>
  %g2 = qc.gemm %xd, %wd {trans_b = true} : (tensor<1x4xf32>, tensor<5x4xf32>) -> tensor<1x5xf32>
  %q2 = qc.quantize %g2 : tensor<1x5xf32> -> tensor<1x5x!y>
  return %q, %q2 : tensor<1x5x!y>, tensor<1x5x!y>
}

// -----

!x = !quant.uniform<i8:f32, 0.5:3>
!w = !quant.uniform<i8<-127:127>:f32:1, {0.25, 0.125}>
!y = !quant.uniform<i8:f32, 2.0>

// Rule: with constant weights the input zero point is precomputed into the
// bias: -3 * column sums [1 + 3, 2 - 4] = [-12, 6].
// CHECK-LABEL: func.func @zero_point
// CHECK: %[[B:.*]] = qc.constant dense<[-12, 6]> : tensor<2xi32>
// CHECK: qc.qmatmul %arg0, %{{.*}}, %[[B]] {zero_point_folded = true}
func.func @zero_point(%x: tensor<1x2x!x>) -> tensor<1x2x!y> {
  %xd = qc.dequantize %x : tensor<1x2x!x> -> tensor<1x2xf32>
  %wi = qc.constant dense<[[1, 2], [3, -4]]> : tensor<2x2xi8>
  %ws = quant.scast %wi : tensor<2x2xi8> to tensor<2x2x!w>
  %wd = qc.dequantize %ws : tensor<2x2x!w> -> tensor<2x2xf32>
  %m = qc.matmul %xd, %wd : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  %q = qc.quantize %m : tensor<1x2xf32> -> tensor<1x2x!y>
  return %q : tensor<1x2x!y>
}

// -----

!a = !quant.uniform<i8:f32, 0.5:1>
!b = !quant.uniform<i8:f32, 0.25:-2>

// Rule: quantize(dequantize(q)) to another type is one requantization
// (M = 0.5 / 0.25 = 2: multiplier 2^30, shift -2); to the same type it is q.
// CHECK-LABEL: func.func @requantize_chain
// CHECK: %[[R:.*]] = qc.requantize %arg0 {multiplier = array<i32: 1073741824>, shift = array<i32: -2>} : tensor<4x!quant.uniform<i8:f32, 5.000000e-01:1>> -> tensor<4x!quant.uniform<i8:f32, 2.500000e-01:-2>>
// CHECK: return %[[R]], %arg0
func.func @requantize_chain(%q: tensor<4x!a>) -> (tensor<4x!b>, tensor<4x!a>) {
  %d = qc.dequantize %q : tensor<4x!a> -> tensor<4xf32>
  %r = qc.quantize %d : tensor<4xf32> -> tensor<4x!b>
  %s = qc.quantize %d : tensor<4xf32> -> tensor<4x!a>
  return %r, %s : tensor<4x!b>, tensor<4x!a>
}

// -----

!x = !quant.uniform<i8:f32, 0.5>
!w = !quant.uniform<i8<-127:127>:f32, 0.25>
!b = !quant.uniform<i32:f32, 0.125>
!y = !quant.uniform<i8:f32, 1.0>

// Rule: a QDQ model's i32 bias behind a dequantize (scale s_x * s_w) folds
// back to the same integers.
// CHECK-LABEL: func.func @dequantized_bias
// CHECK: %[[B:.*]] = qc.constant dense<[7, -9]> : tensor<2xi32>
// CHECK: qc.qmatmul %arg0, %{{.*}}, %[[B]]
func.func @dequantized_bias(%x: tensor<1x2x!x>, %wi: tensor<2x2xi8>) -> tensor<1x2x!y> {
  %xd = qc.dequantize %x : tensor<1x2x!x> -> tensor<1x2xf32>
  %ws = quant.scast %wi : tensor<2x2xi8> to tensor<2x2x!w>
  %wd = qc.dequantize %ws : tensor<2x2x!w> -> tensor<2x2xf32>
  %bi = qc.constant dense<[7, -9]> : tensor<2xi32>
  %bs = quant.scast %bi : tensor<2xi32> to tensor<2x!b>
  %bd = qc.dequantize %bs : tensor<2x!b> -> tensor<2xf32>
  %g = qc.gemm %xd, %wd, %bd : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %q = qc.quantize %g : tensor<1x2xf32> -> tensor<1x2x!y>
  return %q : tensor<1x2x!y>
}

// -----

!a = !quant.uniform<i8:f32, 0.5:1>

// Rule: ops that move or select values run on the quantized tensor when
// input and output share the type (reshape, concat, max pooling, ...).
// CHECK-LABEL: func.func @scale_preserving
// CHECK: %[[R:.*]] = qc.reshape %arg0 : tensor<2x2x!quant.uniform<i8:f32, 5.000000e-01:1>> -> tensor<4x!quant.uniform<i8:f32, 5.000000e-01:1>>
// CHECK: %[[C:.*]] = qc.concat %[[R]], %[[R]] {axis = 0 : i64} : {{.*}} -> tensor<8x!quant.uniform<i8:f32, 5.000000e-01:1>>
// CHECK: return %[[C]]
func.func @scale_preserving(%q: tensor<2x2x!a>) -> tensor<8x!a> {
  %d = qc.dequantize %q : tensor<2x2x!a> -> tensor<2x2xf32>
  %r = qc.reshape %d : tensor<2x2xf32> -> tensor<4xf32>
  %rq = qc.quantize %r : tensor<4xf32> -> tensor<4x!a>
  %rd = qc.dequantize %rq : tensor<4x!a> -> tensor<4xf32>
  %c = qc.concat %rd, %rd {axis = 0 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<8xf32>
  %cq = qc.quantize %c : tensor<8xf32> -> tensor<8x!a>
  return %cq : tensor<8x!a>
}

// -----

!a = !quant.uniform<i8:f32, 0.0625>
!o = !quant.uniform<i8:f32, 0.25>

// Rule: an element-wise function of one 8-bit tensor becomes a table. Here
// relu(x) * 2 at input scale 1/16 and output scale 1/4: the entry for
// q = i - 128 is round(max(q, 0) / 2), half to even: q <= 1 -> 0, then
// 1, 2, 2, 2, 3, 4, 4, 4, ... up to q = 127 -> 64 (0x40). The blob starts
// with its 4-byte alignment.
// CHECK-LABEL: func.func @lookup_table
// CHECK: qc.lookup_table %arg0 {table = dense_resource<[[TABLE:.*]]> : tensor<256xi8>}
// CHECK-NOT: qc.relu
// CHECK: [[TABLE]]: "0x01000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000102020203040404{{.*}}3E3E3E3F40"
func.func @lookup_table(%q: tensor<4x!a>) -> tensor<4x!o> {
  %d = qc.dequantize %q : tensor<4x!a> -> tensor<4xf32>
  %r = qc.relu %d : tensor<4xf32>
  %two = qc.constant dense<2.0> : tensor<4xf32>
  %m = qc.mul %r, %two : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %o = qc.quantize %m : tensor<4xf32> -> tensor<4x!o>
  return %o : tensor<4x!o>
}

// -----

!a = !quant.uniform<i8:f32, 0.5>
!b = !quant.uniform<i8:f32, 0.25:3>
!o = !quant.uniform<i8:f32, 1.0:-2>

// Rule: an addition of two quantized tensors becomes qc.qadd: with twice
// the larger scale 1.0, a is scaled by 0.5, b by 0.25 and the sum by 2^-20.
// CHECK-LABEL: func.func @add
// CHECK: qc.qadd %arg0, %arg1 {left_shift = 20 : i64, multiplier = array<i32: 1073741824, 1073741824, 1073741824>, shift = array<i32: 0, 1, 19>}
func.func @add(%a: tensor<2x4x!a>, %b: tensor<4x!b>) -> tensor<2x4x!o> {
  %ad = qc.dequantize %a : tensor<2x4x!a> -> tensor<2x4xf32>
  %bd = qc.dequantize %b : tensor<4x!b> -> tensor<4xf32>
  %s = qc.add %ad, %bd : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %q = qc.quantize %s : tensor<2x4xf32> -> tensor<2x4x!o>
  return %q : tensor<2x4x!o>
}

// -----

!a = !quant.uniform<i8:f32, 0.5>
!g = !quant.uniform<i8:f32, 0.0078125:-128>
!o = !quant.uniform<i8:f32, 0.25:3>

// Rule: a product of two quantized tensors (a gate, broadcast per channel)
// becomes qc.qmul with M = 0.5 * 2^-7 / 0.25 = 2^-6: multiplier 2^30, shift 5.
// CHECK-LABEL: func.func @mul
// CHECK: qc.qmul %arg0, %arg1 {multiplier = 1073741824 : i32, shift = 5 : i32}
func.func @mul(%x: tensor<1x4x2x2x!a>, %gate: tensor<1x4x1x1x!g>) -> tensor<1x4x2x2x!o> {
  %xd = qc.dequantize %x : tensor<1x4x2x2x!a> -> tensor<1x4x2x2xf32>
  %gd = qc.dequantize %gate : tensor<1x4x1x1x!g> -> tensor<1x4x1x1xf32>
  %m = qc.mul %xd, %gd : (tensor<1x4x2x2xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x2x2xf32>
  %q = qc.quantize %m : tensor<1x4x2x2xf32> -> tensor<1x4x2x2x!o>
  return %q : tensor<1x4x2x2x!o>
}
