// Exact semantics of the integer element-wise ops; expected values worked
// out by hand in the comments.
// RUN: quant-run %s --random-inputs 0 --simplify=false --outputs %t.npz
// RUN: %qc_python -c "import numpy as n; d = n.load('%t.npz'); [print(k, d[k].ravel().tolist()) for k in d.files]" | FileCheck %s

!a = !quant.uniform<i8:f32, 0.5>
!b = !quant.uniform<i8:f32, 0.25>
!o = !quant.uniform<i8:f32, 1.0>

func.func @main() -> (tensor<4x!o>, tensor<2x!o>, tensor<1x1x1x1x!a>, tensor<1x1x1x4x!a>, tensor<2x!o>) {
  // table[i] = floor((i - 128) / 2), indexed by q + 128: q = [-128, -1, 0, 127].
  %xi = qc.constant dense<[-128, -1, 0, 127]> : tensor<4xi8>
  %x = quant.scast %xi : tensor<4xi8> to tensor<4x!a>
  // CHECK: output_0 [-64, -1, 0, 63]
  %t = qc.lookup_table %x {table = dense<[-64, -64, -63, -63, -62, -62, -61, -61, -60, -60, -59, -59, -58, -58, -57, -57, -56, -56, -55, -55, -54, -54, -53, -53, -52, -52, -51, -51, -50, -50, -49, -49, -48, -48, -47, -47, -46, -46, -45, -45, -44, -44, -43, -43, -42, -42, -41, -41, -40, -40, -39, -39, -38, -38, -37, -37, -36, -36, -35, -35, -34, -34, -33, -33, -32, -32, -31, -31, -30, -30, -29, -29, -28, -28, -27, -27, -26, -26, -25, -25, -24, -24, -23, -23, -22, -22, -21, -21, -20, -20, -19, -19, -18, -18, -17, -17, -16, -16, -15, -15, -14, -14, -13, -13, -12, -12, -11, -11, -10, -10, -9, -9, -8, -8, -7, -7, -6, -6, -5, -5, -4, -4, -3, -3, -2, -2, -1, -1, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15, 16, 16, 17, 17, 18, 18, 19, 19, 20, 20, 21, 21, 22, 22, 23, 23, 24, 24, 25, 25, 26, 26, 27, 27, 28, 28, 29, 29, 30, 30, 31, 31, 32, 32, 33, 33, 34, 34, 35, 35, 36, 36, 37, 37, 38, 38, 39, 39, 40, 40, 41, 41, 42, 42, 43, 43, 44, 44, 45, 45, 46, 46, 47, 47, 48, 48, 49, 49, 50, 50, 51, 51, 52, 52, 53, 53, 54, 54, 55, 55, 56, 56, 57, 57, 58, 58, 59, 59, 60, 60, 61, 61, 62, 62, 63, 63]> : tensor<256xi8>} : tensor<4x!a> -> tensor<4x!o>

  // a = [4, -3] * 0.5 = [2, -1.5]; b = [6, 5] * 0.25 = [1.5, 1.25]; the sum
  // [3.5, -0.25] at scale 1 rounds (half to even) to [4, 0]. In integers:
  // twice the larger scale is 1, so a is scaled by 0.5 (2^30, shift 0), b by
  // 0.25 (2^30, shift 1) after a 20-bit left shift, and the sum by 2^-20
  // (2^30, shift 19): 3670016 * 2^-20 = 3.5 -> 4, -262144 * 2^-20 -> 0.
  %ai = qc.constant dense<[4, -3]> : tensor<2xi8>
  %aq = quant.scast %ai : tensor<2xi8> to tensor<2x!a>
  %bi = qc.constant dense<[6, 5]> : tensor<2xi8>
  %bq = quant.scast %bi : tensor<2xi8> to tensor<2x!b>
  // CHECK: output_1 [4, 0]
  %s = qc.qadd %aq, %bq {multiplier = array<i32: 1073741824, 1073741824, 1073741824>, shift = array<i32: 0, 1, 19>, left_shift = 20} : (tensor<2x!a>, tensor<2x!b>) -> tensor<2x!o>

  // Max pooling and nearest resizing work on the stored integers.
  %pi = qc.constant dense<[[[[1, -5], [7, 3]]]]> : tensor<1x1x2x2xi8>
  %p = quant.scast %pi : tensor<1x1x2x2xi8> to tensor<1x1x2x2x!a>
  // CHECK: output_2 [7]
  %m = qc.max_pool %p {kernel_shape = array<i64: 2, 2>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x1x2x2x!a>) -> tensor<1x1x1x1x!a>
  %ri = qc.constant dense<[[[[3, -4]]]]> : tensor<1x1x1x2xi8>
  %r = quant.scast %ri : tensor<1x1x1x2xi8> to tensor<1x1x1x2x!a>
  // CHECK: output_3 [3, 3, -4, -4]
  %z = qc.resize %r {scales = array<f32: 1.0, 1.0, 1.0, 2.0>, mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor"} : tensor<1x1x1x2x!a> -> tensor<1x1x1x4x!a>
  // a * b = [2 * 1.5, -1.5 * 1.25] = [3, -1.875]; at scale 1: [3, -2]. In
  // integers: [4 * 6, -3 * 5] = [24, -15] times 0.5 * 0.25 = 1/8 (2^30,
  // shift 2): 3 and -1.875, rounded half to even.
  // CHECK: output_4 [3, -2]
  %p2 = qc.qmul %aq, %bq {multiplier = 1073741824 : i32, shift = 2 : i32} : (tensor<2x!a>, tensor<2x!b>) -> tensor<2x!o>
  return %t, %s, %m, %z, %p2 : tensor<4x!o>, tensor<2x!o>, tensor<1x1x1x1x!a>, tensor<1x1x1x4x!a>, tensor<2x!o>
}
