// RUN: quant-opt %s --split-input-file --convert-qc-to-linalg="microkernels=true kernel-suffix=avx512vnni float-mode=fast bf16-tiles=true" --canonicalize | FileCheck %s
// RUN: quant-opt %s --split-input-file --convert-qc-to-linalg="microkernels=true kernel-suffix=avx2 float-mode=fast" --canonicalize | FileCheck %s --check-prefix=FMA
// RUN: quant-opt %s --split-input-file --convert-qc-to-linalg="microkernels=true kernel-suffix=avx512vnni bf16-tiles=true" --canonicalize | FileCheck %s --check-prefix=EXACT
// RUN: not quant-opt %s --split-input-file --convert-qc-to-linalg="microkernels=true float-mode=quick" 2>&1 | FileCheck %s --check-prefix=BAD

// Rule: in the fast float mode on AMX-BF16 targets, a convolution of an
// input rounded to bf16 (qc-fast-float) and a constant bf16 weight calls
// quantc_bconv_tiles with the f32 input itself (the kernel rounds as it
// packs) and the weight packed into tile rows: 16 + 31 rows of 2 x 16
// pairs; its parameters end with the activation (0: none). The narrowing
// casts are dead.
// CHECK-LABEL: func.func @conv
// CHECK-NOT: arith.truncf
// CHECK-DAG: %[[W:.*]] = arith.constant dense_resource<packed_weights> : tensor<1504xi16>
// CHECK-DAG: %[[P:.*]] = arith.constant dense<[1, 16, 3, 3, 16, 1, 1, 1, 1, 1, 1, 0, 0, 3, 3, 1, 1, 0]> : tensor<18xi64>
// CHECK: qc.microkernel "quantc_bconv_tiles" ins(%arg0, %[[W]], %arg1, %[[P]] : tensor<1x16x3x3xf32>, tensor<1504xi16>, tensor<16xf32>, tensor<18xi64>) outs(%{{.*}} : tensor<1x16x3x3xf32>)
// Without tiles, the exact bf16 kernel.
// FMA-LABEL: func.func @conv
// FMA: qc.microkernel "quantc_fconv_fast_avx2"
// EXACT-LABEL: func.func @conv
// EXACT: qc.microkernel "quantc_bconv" ins(%{{.*}}, %{{.*}}, %arg1, %{{.*}} : tensor<1x16x3x3xbf16>, tensor<16x16x1x1xbf16>
// BAD: error: convert-qc-to-linalg: unknown float-mode 'quick' (exact, fast)
func.func @conv(%x: tensor<1x16x3x3xf32>, %b: tensor<16xf32>) -> tensor<1x16x3x3xf32> {
  %wn = qc.constant dense<1.0> : tensor<16x16x1x1xbf16>
  %w = qc.cast %wn : tensor<16x16x1x1xbf16> -> tensor<16x16x1x1xf32>
  %xn = qc.cast %x : tensor<1x16x3x3xf32> -> tensor<1x16x3x3xbf16>
  %xf = qc.cast %xn : tensor<1x16x3x3xbf16> -> tensor<1x16x3x3xf32>
  %y = qc.conv %xf, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x16x3x3xf32>, tensor<16x16x1x1xf32>, tensor<16xf32>) -> tensor<1x16x3x3xf32>
  return %y : tensor<1x16x3x3xf32>
}

// -----

// Rule: a SiLU (x * sigmoid(x), either operand order) of such a convolution
// becomes part of its call (activation 1): no sigmoid, no multiplication.
// Without tiles, or when the convolution has another user, it stays apart.
// CHECK-LABEL: func.func @conv_silu
// CHECK: %[[P:.*]] = arith.constant dense<[1, 16, 3, 3, 16, 1, 1, 1, 1, 1, 1, 0, 0, 3, 3, 1, 1, 1]> : tensor<18xi64>
// CHECK: %[[Y:.*]] = qc.microkernel "quantc_bconv_tiles" ins(%arg0, %{{.*}}, %arg1, %[[P]]
// CHECK-NOT: math.exp
// CHECK: return %[[Y]]
// FMA-LABEL: func.func @conv_silu
// FMA: qc.microkernel "quantc_fconv_fast_avx2"
// FMA: math.exp
// EXACT-LABEL: func.func @conv_silu
// EXACT: math.exp
func.func @conv_silu(%x: tensor<1x16x3x3xf32>, %b: tensor<16xf32>) -> tensor<1x16x3x3xf32> {
  %wn = qc.constant dense<1.0> : tensor<16x16x1x1xbf16>
  %w = qc.cast %wn : tensor<16x16x1x1xbf16> -> tensor<16x16x1x1xf32>
  %xn = qc.cast %x : tensor<1x16x3x3xf32> -> tensor<1x16x3x3xbf16>
  %xf = qc.cast %xn : tensor<1x16x3x3xbf16> -> tensor<1x16x3x3xf32>
  %y = qc.conv %xf, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x16x3x3xf32>, tensor<16x16x1x1xf32>, tensor<16xf32>) -> tensor<1x16x3x3xf32>
  %s = qc.sigmoid %y : tensor<1x16x3x3xf32>
  %z = qc.mul %s, %y : (tensor<1x16x3x3xf32>, tensor<1x16x3x3xf32>) -> tensor<1x16x3x3xf32>
  return %z : tensor<1x16x3x3xf32>
}

// CHECK-LABEL: func.func @conv_silu_and_more
// CHECK: %[[P:.*]] = arith.constant dense<[1, 16, 3, 3, 16, 1, 1, 1, 1, 1, 1, 0, 0, 3, 3, 1, 1, 0]> : tensor<18xi64>
// CHECK: qc.microkernel "quantc_bconv_tiles" ins(%arg0, %{{.*}}, %arg1, %[[P]]
// CHECK: math.exp
func.func @conv_silu_and_more(%x: tensor<1x16x3x3xf32>, %b: tensor<16xf32>) -> (tensor<1x16x3x3xf32>, tensor<1x16x3x3xf32>) {
  %wn = qc.constant dense<1.0> : tensor<16x16x1x1xbf16>
  %w = qc.cast %wn : tensor<16x16x1x1xbf16> -> tensor<16x16x1x1xf32>
  %xn = qc.cast %x : tensor<1x16x3x3xf32> -> tensor<1x16x3x3xbf16>
  %xf = qc.cast %xn : tensor<1x16x3x3xbf16> -> tensor<1x16x3x3xf32>
  %y = qc.conv %xf, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x16x3x3xf32>, tensor<16x16x1x1xf32>, tensor<16xf32>) -> tensor<1x16x3x3xf32>
  %s = qc.sigmoid %y : tensor<1x16x3x3xf32>
  %z = qc.mul %y, %s : (tensor<1x16x3x3xf32>, tensor<1x16x3x3xf32>) -> tensor<1x16x3x3xf32>
  return %z, %y : tensor<1x16x3x3xf32>, tensor<1x16x3x3xf32>
}

// -----

// Rule: a matmul of an input rounded to bf16 and a constant bf16 weight
// [32 x 16] calls quantc_bmatmul_tiles with the weight as tile pairs: 16
// rows of 32 columns (padded); a transposed gemm weight is transposed first.
// CHECK-LABEL: func.func @matmul_and_gemm
// CHECK-DAG: %[[P:.*]] = arith.constant dense<[1, 4, 32, 16, 0, 0]> : tensor<6xi64>
// CHECK-DAG: %[[PT:.*]] = arith.constant dense<[1, 4, 32, 16, 0, 1]> : tensor<6xi64>
// CHECK: qc.microkernel "quantc_bmatmul_tiles" ins(%arg0, %{{.*}}, %[[P]] : tensor<4x32xf32>, tensor<512xi32>, tensor<6xi64>)
// CHECK: qc.microkernel "quantc_bmatmul_tiles" ins(%arg0, %{{.*}}, %[[PT]] : tensor<4x32xf32>, tensor<512xi32>, tensor<6xi64>)
// FMA-LABEL: func.func @matmul_and_gemm
// FMA: qc.microkernel "quantc_fmatmul_avx2"
func.func @matmul_and_gemm(%x: tensor<4x32xf32>) -> tensor<4x16xf32> {
  %wn = qc.constant dense<1.0> : tensor<32x16xbf16>
  %w = qc.cast %wn : tensor<32x16xbf16> -> tensor<32x16xf32>
  %xn = qc.cast %x : tensor<4x32xf32> -> tensor<4x32xbf16>
  %xf = qc.cast %xn : tensor<4x32xbf16> -> tensor<4x32xf32>
  %y = qc.matmul %xf, %w : (tensor<4x32xf32>, tensor<32x16xf32>) -> tensor<4x16xf32>
  %bn = qc.constant dense<0.5> : tensor<16x32xbf16>
  %bw = qc.cast %bn : tensor<16x32xbf16> -> tensor<16x32xf32>
  %z = qc.gemm %xf, %bw {trans_b = true} : (tensor<4x32xf32>, tensor<16x32xf32>) -> tensor<4x16xf32>
  %s = qc.add %y, %z : (tensor<4x16xf32>, tensor<4x16xf32>) -> tensor<4x16xf32>
  return %s : tensor<4x16xf32>
}

// -----

// Rule: float layers the fast mode left in f32 call the FMA variant of the
// float kernel; the exact mode keeps the evaluator's.
// CHECK-LABEL: func.func @depthwise
// CHECK: qc.microkernel "quantc_fconv_fast_avx512vnni"
// EXACT-LABEL: func.func @depthwise
// EXACT: qc.microkernel "quantc_fconv_avx512vnni"
func.func @depthwise(%x: tensor<1x16x3x3xf32>) -> tensor<1x16x3x3xf32> {
  %w = qc.constant dense<1.0> : tensor<16x1x3x3xf32>
  %y = qc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 16} : (tensor<1x16x3x3xf32>, tensor<16x1x3x3xf32>) -> tensor<1x16x3x3xf32>
  return %y : tensor<1x16x3x3xf32>
}
