// Exact integer semantics of the quantized ops in the reference evaluator;
// every expected value is worked out by hand in the comments.
// RUN: quant-run %s --random-inputs 0 --simplify=false --outputs %t.npz
// RUN: %qc_python -c "import numpy as n; d = n.load('%t.npz'); [print(k, d[k].ravel().tolist()) for k in d.files]" | FileCheck %s

!s05 = !quant.uniform<i8:f32, 0.5>
!out = !quant.uniform<i8:f32, 1.0:4>
!act = !quant.uniform<i8:f32, 1.0:3>
!w = !quant.uniform<i8:f32, 1.0>

func.func @main() -> (tensor<7x!s05>, tensor<7x!s05>, tensor<3xf32>,
                      tensor<6x!out>, tensor<6x!out>, tensor<6x!out>,
                      tensor<6x!out>, tensor<6x!out>, tensor<6x!out>,
                      tensor<1x1x2x2xi32>, tensor<1x1x2x2xi32>, tensor<1x2xi32>) {
  // x / 0.5 = [0.5, 1.5, -0.5, -1.5, 2.5, 200, -200]
  %x = qc.constant dense<[0.25, 0.75, -0.25, -0.75, 1.25, 100.0, -100.0]> : tensor<7xf32>
  // CHECK: output_0 [0, 2, 0, -2, 2, 127, -128]
  %q0 = qc.quantize %x : tensor<7xf32> -> tensor<7x!s05>
  // CHECK: output_1 [1, 2, -1, -2, 3, 127, -128]
  %q1 = qc.quantize %x {rounding = #qc<rounding half_away_from_zero>} : tensor<7xf32> -> tensor<7x!s05>

  // (q - 3) * 1.0
  %qd = qc.constant dense<[3, -128, 127]> : tensor<3xi8>
  %qds = quant.scast %qd : tensor<3xi8> to tensor<3x!act>
  // CHECK: output_2 [0.0, -131.0, 124.0]
  %d = qc.dequantize %qds : tensor<3x!act> -> tensor<3xf32>

  // multiplier 2^30, shift 0: M = 0.5; acc * M = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5], plus 4.
  %acc = qc.constant dense<[1, 3, 5, -1, -3, -5]> : tensor<6xi32>
  // CHECK: output_3 [4, 6, 6, 4, 2, 2]
  %r0 = qc.requantize %acc {multiplier = array<i32: 1073741824>, shift = array<i32: 0>} : tensor<6xi32> -> tensor<6x!out>
  // CHECK: output_4 [5, 6, 7, 3, 2, 1]
  %r1 = qc.requantize %acc {multiplier = array<i32: 1073741824>, shift = array<i32: 0>, rounding = #qc<rounding half_away_from_zero>} : tensor<6xi32> -> tensor<6x!out>
  // gemmlowp's doubling high multiply nudges negative ties toward zero:
  // [1, 2, 3, 0, -1, -2].
  // CHECK: output_5 [5, 6, 7, 4, 3, 2]
  %r2 = qc.requantize %acc {multiplier = array<i32: 1073741824>, shift = array<i32: 0>, rounding = #qc<rounding double_round>} : tensor<6xi32> -> tensor<6x!out>
  // M = 0.25 on twice the values: the high multiply gives [1, 3, 5, -1, -3, -5]
  // and the rounding shift by one rounds ties away from zero: [1, 2, 3, -1, -2, -3].
  %acc2 = qc.constant dense<[2, 6, 10, -2, -6, -10]> : tensor<6xi32>
  // CHECK: output_6 [5, 6, 7, 3, 2, 1]
  %r3 = qc.requantize %acc2 {multiplier = array<i32: 1073741824>, shift = array<i32: 1>, rounding = #qc<rounding double_round>} : tensor<6xi32> -> tensor<6x!out>
  // Clamped to [3, 6] in storage units (a fused Relu6-like bound).
  // CHECK: output_7 [4, 6, 6, 4, 3, 3]
  %r4 = qc.requantize %acc {multiplier = array<i32: 1073741824>, shift = array<i32: 0>, clamp_min = 3, clamp_max = 6} : tensor<6xi32> -> tensor<6x!out>
  // half_up (TOSA SINGLE_ROUND) sends every tie towards +infinity:
  // [1, 2, 3, 0, -1, -2].
  // CHECK: output_8 [5, 6, 7, 4, 3, 2]
  %r5 = qc.requantize %acc {multiplier = array<i32: 1073741824>, shift = array<i32: 0>, rounding = #qc<rounding half_up>} : tensor<6xi32> -> tensor<6x!out>

  // Input [[5, 7], [3, 1]] with zero point 3 (centred [[2, 4], [0, -2]]),
  // weights 1..9, pads 1 (padding holds the zero point, so adds nothing):
  // out[0,0] = 2*5 + 4*6 + 0*8 - 2*9 = 16, out[0,1] = 2*4 + 4*5 - 2*8 = 12,
  // out[1,0] = 2*2 + 4*3 - 2*6 = 4, out[1,1] = 2*1 + 4*2 - 2*5 = 0.
  %xi = qc.constant dense<[[[[5, 7], [3, 1]]]]> : tensor<1x1x2x2xi8>
  %xq = quant.scast %xi : tensor<1x1x2x2xi8> to tensor<1x1x2x2x!act>
  %wi = qc.constant dense<[[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]> : tensor<1x1x3x3xi8>
  %wq = quant.scast %wi : tensor<1x1x3x3xi8> to tensor<1x1x3x3x!w>
  // CHECK: output_9 [16, 12, 4, 0]
  %c0 = qc.qconv %xq, %wq {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x1x2x2x!act>, tensor<1x1x3x3x!w>) -> tensor<1x1x2x2xi32>
  // The folded form: bias -3 * 45 and the input as stored gives the same.
  %bias = qc.constant dense<[-135]> : tensor<1xi32>
  // CHECK: output_10 [16, 12, 4, 0]
  %c1 = qc.qconv %xq, %wq, %bias {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, zero_point_folded = true} : (tensor<1x1x2x2x!act>, tensor<1x1x3x3x!w>, tensor<1xi32>) -> tensor<1x1x2x2xi32>

  // lhs [10, 20] - 10 = [0, 10]; rhs columns with zero points [1, 0]:
  // [[1, 2], [3, 4]] -> [[0, 2], [2, 4]]; product [20, 40], plus bias [1, -1].
  %li = qc.constant dense<[[10, 20]]> : tensor<1x2xi8>
  %lq = quant.scast %li : tensor<1x2xi8> to tensor<1x2x!quant.uniform<i8:f32, 1.0:10>>
  %ri = qc.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>
  %rq = quant.scast %ri : tensor<2x2xi8> to tensor<2x2x!quant.uniform<i8:f32:1, {1.0:1, 1.0:0}>>
  %mb = qc.constant dense<[1, -1]> : tensor<2xi32>
  // CHECK: output_11 [21, 39]
  %m = qc.qmatmul %lq, %rq, %mb : (tensor<1x2x!quant.uniform<i8:f32, 1.0:10>>, tensor<2x2x!quant.uniform<i8:f32:1, {1.0:1, 1.0:0}>>, tensor<2xi32>) -> tensor<1x2xi32>

  return %q0, %q1, %d, %r0, %r1, %r2, %r3, %r4, %r5, %c0, %c1, %m
      : tensor<7x!s05>, tensor<7x!s05>, tensor<3xf32>, tensor<6x!out>, tensor<6x!out>,
        tensor<6x!out>, tensor<6x!out>, tensor<6x!out>, tensor<6x!out>,
        tensor<1x1x2x2xi32>,
        tensor<1x1x2x2xi32>, tensor<1x2xi32>
}
