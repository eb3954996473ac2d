// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-fast-float))" --verify-diagnostics | FileCheck %s
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-fast-float{min-reduction=200}))" | FileCheck %s --check-prefix=LONG
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-fast-float,qc-fast-float))" | FileCheck %s --check-prefix=TWICE
// RUN: not quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-fast-float{min-outputs=0}))" 2>&1 | FileCheck %s --check-prefix=ZERO

// Rule: a float convolution with a constant weight reads its input rounded
// to bf16 (a narrowing cast widened back) and its weight stored in bf16
// (1.00390625 is a tie between two bf16 values: it rounds to even, 1.0);
// its bias, sums and result stay f32, and it is marked bf16 for reports.
// Narrowing twice changes nothing more.
// CHECK-LABEL: func.func @conv
// CHECK-DAG: %[[W:.*]] = qc.constant dense<1.000000e+00> : tensor<16x16x1x1xbf16>
// CHECK-DAG: %[[WF:.*]] = qc.cast %[[W]] : tensor<16x16x1x1xbf16> -> tensor<16x16x1x1xf32>
// CHECK-DAG: %[[XN:.*]] = qc.cast %arg0 : tensor<1x16x3x3xf32> -> tensor<1x16x3x3xbf16>
// CHECK-DAG: %[[XF:.*]] = qc.cast %[[XN]] : tensor<1x16x3x3xbf16> -> tensor<1x16x3x3xf32>
// CHECK: qc.conv %[[XF]], %[[WF]], %arg1 {{.*}}qc.precision = #qc.precision<activation = bf16, weight = bf16
// CHECK-SAME: -> tensor<1x16x3x3xf32>
// LONG-LABEL: func.func @conv
// LONG-NOT: bf16
// TWICE-LABEL: func.func @conv
// TWICE-COUNT-3: qc.cast
// TWICE-NOT: qc.cast
// ZERO: error: qc-fast-float: min-reduction and min-outputs must be positive
func.func @conv(%x: tensor<1x16x3x3xf32>, %b: tensor<16xf32>) -> tensor<1x16x3x3xf32> {
  %w = qc.constant dense<1.00390625> : tensor<16x16x1x1xf32>
  // expected-remark @below {{fast float: bf16 operands, f32 sums}}
  %y = qc.conv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x16x3x3xf32>, tensor<16x16x1x1xf32>, tensor<16xf32>) -> tensor<1x16x3x3xf32>
  return %y : tensor<1x16x3x3xf32>
}

// -----

// Rule: matmuls and gemms with a constant weight narrow alike (1.01171875
// rounds up to 1.015625); a transposed gemm weight counts its reduction
// along its second dimension.
// CHECK-LABEL: func.func @matmul_and_gemm
// TWICE-LABEL: func.func @matmul_and_gemm
// CHECK: qc.constant dense<1.015630e+00> : tensor<32x16xbf16>
// CHECK: qc.matmul {{.*}}qc.precision = #qc.precision<activation = bf16
// CHECK: qc.constant dense<5.000000e-01> : tensor<16x32xbf16>
// CHECK: qc.gemm {{.*}}qc.precision = #qc.precision<activation = bf16
func.func @matmul_and_gemm(%x: tensor<4x32xf32>) -> tensor<4x16xf32> {
  %w = qc.constant dense<1.01171875> : tensor<32x16xf32>
  // expected-remark @below {{fast float: bf16 operands, f32 sums}}
  %y = qc.matmul %x, %w : (tensor<4x32xf32>, tensor<32x16xf32>) -> tensor<4x16xf32>
  %b = qc.constant dense<0.5> : tensor<16x32xf32>
  // expected-remark @below {{fast float: bf16 operands, f32 sums}}
  %z = qc.gemm %x, %b {trans_b = true} : (tensor<4x32xf32>, tensor<16x32xf32>) -> tensor<4x16xf32>
  %s = qc.add %y, %z : (tensor<4x16xf32>, tensor<4x16xf32>) -> tensor<4x16xf32>
  return %s : tensor<4x16xf32>
}

// -----

// Rule: left in f32: depthwise convolutions (one output per group), layers
// with few outputs or a short reduction, products of two activations, and
// layers that already have a precision.
// CHECK-LABEL: func.func @kept
// CHECK-NOT: bf16
func.func @kept(%x: tensor<1x16x3x3xf32>, %a: tensor<4x32xf32>, %c: tensor<32x16xf32>, %s: tensor<2x8xf32>) -> (tensor<1x16x3x3xf32>, tensor<4x4xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<2x16xf32>) {
  %dw = qc.constant dense<1.0> : tensor<16x1x3x3xf32>
  %y = qc.conv %x, %dw {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 16} : (tensor<1x16x3x3xf32>, tensor<16x1x3x3xf32>) -> tensor<1x16x3x3xf32>
  %narrow = qc.constant dense<1.0> : tensor<32x4xf32>
  %z = qc.matmul %a, %narrow : (tensor<4x32xf32>, tensor<32x4xf32>) -> tensor<4x4xf32>
  %p = qc.matmul %a, %c : (tensor<4x32xf32>, tensor<32x16xf32>) -> tensor<4x16xf32>
  %w = qc.constant dense<1.0> : tensor<32x16xf32>
  %q = qc.matmul %a, %w {qc.precision = #qc.precision<activation = f32, weight = f32, granularity = per_tensor, scheme = asymmetric, group_size = 0>} : (tensor<4x32xf32>, tensor<32x16xf32>) -> tensor<4x16xf32>
  %short = qc.constant dense<1.0> : tensor<8x16xf32>
  %t = qc.matmul %s, %short : (tensor<2x8xf32>, tensor<8x16xf32>) -> tensor<2x16xf32>
  return %y, %z, %p, %q, %t : tensor<1x16x3x3xf32>, tensor<4x4xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<2x16xf32>
}

// -----

// Rule: a hard-swish spelled out in element-wise ops becomes one
// qc.hard_swish of its input: x * clip(x + 3, 0, 6) / 6, with the sixth
// taken of the product (a division or a product by 1/6) or of the clip,
// and x * hard_sigmoid(x) with alpha 1/6, beta 1/2. The parts it leaves
// unused are gone.
// CHECK-LABEL: func.func @hard_swish_spelled_out
// CHECK-NOT: qc.clip
// CHECK-NOT: qc.div
// CHECK-NOT: qc.hard_sigmoid
// CHECK: %[[A:.*]] = qc.hard_swish %arg0
// CHECK: %[[B:.*]] = qc.hard_swish %arg0
// CHECK: %[[C:.*]] = qc.hard_swish %arg0
// CHECK: %[[D:.*]] = qc.hard_swish %arg0
// CHECK: return %[[A]], %[[B]], %[[C]], %[[D]]
func.func @hard_swish_spelled_out(%x: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>) {
  %three = qc.constant dense<3.0> : tensor<1xf32>
  %six = qc.constant dense<6.0> : tensor<1xf32>
  %sixth = qc.constant dense<0.166666672> : tensor<1xf32>
  %0 = qc.add %x, %three : (tensor<2x8xf32>, tensor<1xf32>) -> tensor<2x8xf32>
  %1 = qc.clip %0 {min = 0.0 : f32, max = 6.0 : f32} : tensor<2x8xf32>
  %2 = qc.mul %x, %1 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %a = qc.div %2, %six : (tensor<2x8xf32>, tensor<1xf32>) -> tensor<2x8xf32>
  %3 = qc.add %three, %x : (tensor<1xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %4 = qc.clip %3 {min = 0.0 : f32, max = 6.0 : f32} : tensor<2x8xf32>
  %5 = qc.mul %4, %x : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %b = qc.mul %sixth, %5 : (tensor<1xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %6 = qc.div %4, %six : (tensor<2x8xf32>, tensor<1xf32>) -> tensor<2x8xf32>
  %c = qc.mul %x, %6 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %7 = qc.hard_sigmoid %x {alpha = 0.166666672 : f32, beta = 0.5 : f32} : tensor<2x8xf32>
  %d = qc.mul %7, %x : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return %a, %b, %c, %d : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// Rule: near misses stay as they are: a clip to 5, a shift by 2, a product
// of the clip of another tensor, and the hard sigmoid of slope 0.2 that
// squeeze-excitation blocks use.
// CHECK-LABEL: func.func @not_hard_swish
// CHECK-NOT: qc.hard_swish
// CHECK: return
func.func @not_hard_swish(%x: tensor<2x8xf32>, %y: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>) {
  %two = qc.constant dense<2.0> : tensor<1xf32>
  %three = qc.constant dense<3.0> : tensor<1xf32>
  %six = qc.constant dense<6.0> : tensor<1xf32>
  %0 = qc.add %x, %three : (tensor<2x8xf32>, tensor<1xf32>) -> tensor<2x8xf32>
  %1 = qc.clip %0 {min = 0.0 : f32, max = 5.0 : f32} : tensor<2x8xf32>
  %2 = qc.mul %x, %1 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %a = qc.div %2, %six : (tensor<2x8xf32>, tensor<1xf32>) -> tensor<2x8xf32>
  %3 = qc.add %x, %two : (tensor<2x8xf32>, tensor<1xf32>) -> tensor<2x8xf32>
  %4 = qc.clip %3 {min = 0.0 : f32, max = 6.0 : f32} : tensor<2x8xf32>
  %5 = qc.mul %x, %4 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %b = qc.div %5, %six : (tensor<2x8xf32>, tensor<1xf32>) -> tensor<2x8xf32>
  %6 = qc.add %y, %three : (tensor<2x8xf32>, tensor<1xf32>) -> tensor<2x8xf32>
  %7 = qc.clip %6 {min = 0.0 : f32, max = 6.0 : f32} : tensor<2x8xf32>
  %8 = qc.mul %x, %7 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %c = qc.div %8, %six : (tensor<2x8xf32>, tensor<1xf32>) -> tensor<2x8xf32>
  %9 = qc.hard_sigmoid %x {alpha = 0.2 : f32, beta = 0.5 : f32} : tensor<2x8xf32>
  %d = qc.mul %9, %x : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return %a, %b, %c, %d : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>
}
