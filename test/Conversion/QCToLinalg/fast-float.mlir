// RUN: quant-opt %s --split-input-file --convert-qc-to-linalg="microkernels=true kernel-suffix=avx512vnni float-mode=fast bf16-tiles=true" --canonicalize | FileCheck %s
// RUN: quant-opt %s --split-input-file --convert-qc-to-linalg="microkernels=true kernel-suffix=avx2 float-mode=fast" --canonicalize | FileCheck %s --check-prefix=FMA
// RUN: quant-opt %s --split-input-file --convert-qc-to-linalg="microkernels=true kernel-suffix=avx512vnni bf16-tiles=true" --canonicalize | FileCheck %s --check-prefix=EXACT
// RUN: not quant-opt %s --split-input-file --convert-qc-to-linalg="microkernels=true float-mode=quick" 2>&1 | FileCheck %s --check-prefix=BAD

// Rule: in the fast float mode on AMX-BF16 targets, a convolution of an
// input rounded to bf16 (qc-fast-float) and a constant bf16 weight calls
// quantc_bconv_tiles with the f32 input itself (the kernel rounds as it
// packs) and the weight packed into tile rows: 16 + 31 rows of 2 x 16
// pairs; its parameters end with the epilogue: no activation (0), scale 1
// (1065353216, the bits of 1.0f), shift 0, scale 1, shift 0. The narrowing
// casts are dead.
// CHECK-LABEL: func.func @conv
// CHECK-NOT: arith.truncf
// CHECK-DAG: %[[W:.*]] = arith.constant dense_resource<packed_weights> : tensor<1504xi16>
// CHECK-DAG: %[[P:.*]] = arith.constant dense<[1, 16, 3, 3, 16, 1, 1, 1, 1, 1, 1, 0, 0, 3, 3, 1, 1, 0, 1065353216, 0, 1065353216, 0]> : tensor<22xi64>
// CHECK: qc.microkernel "quantc_bconv_tiles" ins(%arg0, %[[W]], %arg1, %[[P]] : tensor<1x16x3x3xf32>, tensor<1504xi16>, tensor<16xf32>, tensor<22xi64>) outs(%{{.*}} : tensor<1x16x3x3xf32>)
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
// Without tiles it joins the fast float kernel's call alike; in the exact
// mode, or when the convolution has another user, it stays apart.
// CHECK-LABEL: func.func @conv_silu
// CHECK: %[[P:.*]] = arith.constant dense<[1, 16, 3, 3, 16, 1, 1, 1, 1, 1, 1, 0, 0, 3, 3, 1, 1, 1, 1065353216, 0, 1065353216, 0]> : tensor<22xi64>
// CHECK: %[[Y:.*]] = qc.microkernel "quantc_bconv_tiles" ins(%arg0, %{{.*}}, %arg1, %[[P]]
// CHECK-NOT: math.exp
// CHECK: return %[[Y]]
// FMA-LABEL: func.func @conv_silu
// FMA: %[[P:.*]] = arith.constant dense<[1, 16, 3, 3, 16, 1, 1, 1, 1, 1, 1, 0, 0, 3, 3, 1, 1, 1, 1065353216, 0, 1065353216, 0]> : tensor<22xi64>
// FMA: qc.microkernel "quantc_fconv_fast_avx2" ins({{.*}}, %[[P]] :
// FMA-NOT: math.exp
// FMA-LABEL: func.func @conv_silu_and_more
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
// CHECK: %[[P:.*]] = arith.constant dense<[1, 16, 3, 3, 16, 1, 1, 1, 1, 1, 1, 0, 0, 3, 3, 1, 1, 0, 1065353216, 0, 1065353216, 0]> : tensor<22xi64>
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

// Rule: the element-wise ops reading nothing but such a convolution join
// its call as its epilogue: a product and a sum (or difference) with scalar
// constants, either operand order, then a hard-swish (2) or ReLU (3), then
// another product and sum. Here 2.0 (1073741824), 0.5 (1056964608), hard-
// swish, -1.5 (3217031168), and minus 0.25 (3196059648).
// CHECK-LABEL: func.func @conv_affine_hard_swish_affine
// CHECK: %[[P:.*]] = arith.constant dense<[1, 16, 3, 3, 16, 1, 1, 1, 1, 1, 1, 0, 0, 3, 3, 1, 1, 2, 1073741824, 1056964608, 3217031168, 3196059648]> : tensor<22xi64>
// CHECK: %[[Y:.*]] = qc.microkernel "quantc_bconv_tiles" ins(%arg0, %{{.*}}, %arg1, %[[P]]
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
// FMA-LABEL: func.func @conv_affine_hard_swish_affine
// FMA: arith.constant dense<[1, 16, 3, 3, 16, 1, 1, 1, 1, 1, 1, 0, 0, 3, 3, 1, 1, 2, 1073741824, 1056964608, 3217031168, 3196059648]>
// FMA: qc.microkernel "quantc_fconv_fast_avx2"
// FMA-NOT: linalg.generic
// FMA: return
// EXACT-LABEL: func.func @conv_affine_hard_swish_affine
// EXACT: qc.microkernel "quantc_bconv"
// EXACT: linalg.generic
func.func @conv_affine_hard_swish_affine(%x: tensor<1x16x3x3xf32>, %b: tensor<16xf32>) -> tensor<1x16x3x3xf32> {
  %wn = qc.constant dense<1.0> : tensor<16x16x1x1xbf16>
  %w = qc.cast %wn : tensor<16x16x1x1xbf16> -> tensor<16x16x1x1xf32>
  %xn = qc.cast %x : tensor<1x16x3x3xf32> -> tensor<1x16x3x3xbf16>
  %xf = qc.cast %xn : tensor<1x16x3x3xbf16> -> tensor<1x16x3x3xf32>
  %y = qc.conv %xf, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x16x3x3xf32>, tensor<16x16x1x1xf32>, tensor<16xf32>) -> tensor<1x16x3x3xf32>
  %a1 = qc.constant dense<2.0> : tensor<1xf32>
  %b1 = qc.constant dense<0.5> : tensor<1xf32>
  %a2 = qc.constant dense<-1.5> : tensor<1xf32>
  %b2 = qc.constant dense<0.25> : tensor<1xf32>
  %0 = qc.mul %y, %a1 : (tensor<1x16x3x3xf32>, tensor<1xf32>) -> tensor<1x16x3x3xf32>
  %1 = qc.add %b1, %0 : (tensor<1xf32>, tensor<1x16x3x3xf32>) -> tensor<1x16x3x3xf32>
  %2 = qc.hard_swish %1 : tensor<1x16x3x3xf32>
  %3 = qc.mul %a2, %2 : (tensor<1xf32>, tensor<1x16x3x3xf32>) -> tensor<1x16x3x3xf32>
  %4 = qc.sub %3, %b2 : (tensor<1x16x3x3xf32>, tensor<1xf32>) -> tensor<1x16x3x3xf32>
  return %4 : tensor<1x16x3x3xf32>
}

// Rule: a ReLU alone joins (3, identity scales and shifts); the epilogue
// stops before an op whose input has another user (the sum after the ReLU
// here), before a constant minus the result, and before a product with a
// tensor of more than one element.
// CHECK-LABEL: func.func @conv_relu_stops
// CHECK-DAG: %[[NONE:.*]] = arith.constant dense<[1, 16, 3, 3, 16, 1, 1, 1, 1, 1, 1, 0, 0, 3, 3, 1, 1, 0, 1065353216, 0, 1065353216, 0]> : tensor<22xi64>
// CHECK-DAG: %[[RELU:.*]] = arith.constant dense<[1, 16, 3, 3, 16, 1, 1, 1, 1, 1, 1, 0, 0, 3, 3, 1, 1, 3, 1065353216, 0, 1065353216, 0]> : tensor<22xi64>
// CHECK: qc.microkernel "quantc_bconv_tiles" ins(%arg0, %{{.*}}, %arg1, %[[RELU]]
// CHECK: arith.addf
// CHECK: qc.microkernel "quantc_bconv_tiles" ins(%arg0, %{{.*}}, %arg1, %[[NONE]]
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @conv_relu_stops(%x: tensor<1x16x3x3xf32>, %b: tensor<16xf32>) -> (tensor<1x16x3x3xf32>, tensor<1x16x3x3xf32>) {
  %wn = qc.constant dense<1.0> : tensor<16x16x1x1xbf16>
  %w = qc.cast %wn : tensor<16x16x1x1xbf16> -> tensor<16x16x1x1xf32>
  %xn = qc.cast %x : tensor<1x16x3x3xf32> -> tensor<1x16x3x3xbf16>
  %xf = qc.cast %xn : tensor<1x16x3x3xbf16> -> tensor<1x16x3x3xf32>
  %y = qc.conv %xf, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x16x3x3xf32>, tensor<16x16x1x1xf32>, tensor<16xf32>) -> tensor<1x16x3x3xf32>
  %r = qc.relu %y : tensor<1x16x3x3xf32>
  %c = qc.constant dense<0.5> : tensor<1xf32>
  %0 = qc.add %r, %c : (tensor<1x16x3x3xf32>, tensor<1xf32>) -> tensor<1x16x3x3xf32>
  %z = qc.conv %xf, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x16x3x3xf32>, tensor<16x16x1x1xf32>, tensor<16xf32>) -> tensor<1x16x3x3xf32>
  %1 = qc.sub %c, %z : (tensor<1xf32>, tensor<1x16x3x3xf32>) -> tensor<1x16x3x3xf32>
  %s = qc.constant dense<0.5> : tensor<16x1x1xf32>
  %2 = qc.mul %1, %s : (tensor<1x16x3x3xf32>, tensor<16x1x1xf32>) -> tensor<1x16x3x3xf32>
  %3 = qc.add %0, %r : (tensor<1x16x3x3xf32>, tensor<1x16x3x3xf32>) -> tensor<1x16x3x3xf32>
  return %3, %2 : tensor<1x16x3x3xf32>, tensor<1x16x3x3xf32>
}

// -----

// Rule: a matmul of an input rounded to bf16 and a constant bf16 weight
// [32 x 16] calls quantc_bmatmul_tiles with the weight as tile pairs: 16
// rows of 32 columns (padded); a transposed gemm weight is transposed first.
// Without tiles, the FMA variant of the float matmul kernel.
// CHECK-LABEL: func.func @matmul_and_gemm
// CHECK-DAG: %[[P:.*]] = arith.constant dense<[1, 4, 32, 16, 0, 0]> : tensor<6xi64>
// CHECK-DAG: %[[PT:.*]] = arith.constant dense<[1, 4, 32, 16, 0, 1]> : tensor<6xi64>
// CHECK: qc.microkernel "quantc_bmatmul_tiles" ins(%arg0, %{{.*}}, %[[P]] : tensor<4x32xf32>, tensor<512xi32>, tensor<6xi64>)
// CHECK: qc.microkernel "quantc_bmatmul_tiles" ins(%arg0, %{{.*}}, %[[PT]] : tensor<4x32xf32>, tensor<512xi32>, tensor<6xi64>)
// FMA-LABEL: func.func @matmul_and_gemm
// FMA-COUNT-2: qc.microkernel "quantc_fmatmul_fast_avx2"
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
// float kernel, whose params end with the epilogue (here the identity);
// the exact mode keeps the evaluator's kernel and its 17 params.
// CHECK-LABEL: func.func @depthwise
// CHECK: %[[P:.*]] = arith.constant dense<[1, 16, 3, 3, 16, 3, 3, 1, 1, 1, 1, 1, 1, 3, 3, 16, 0, 0, 1065353216, 0, 1065353216, 0]> : tensor<22xi64>
// CHECK: qc.microkernel "quantc_fconv_fast_avx512vnni" ins({{.*}}, %[[P]] :
// EXACT-LABEL: func.func @depthwise
// EXACT: arith.constant dense<[1, 16, 3, 3, 16, 3, 3, 1, 1, 1, 1, 1, 1, 3, 3, 16, 0]> : tensor<17xi64>
// EXACT: qc.microkernel "quantc_fconv_avx512vnni"
func.func @depthwise(%x: tensor<1x16x3x3xf32>) -> tensor<1x16x3x3xf32> {
  %w = qc.constant dense<1.0> : tensor<16x1x3x3xf32>
  %y = qc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 16} : (tensor<1x16x3x3xf32>, tensor<16x1x3x3xf32>) -> tensor<1x16x3x3xf32>
  return %y : tensor<1x16x3x3xf32>
}

// -----

// Rule: float products the fast mode leaves in f32 (a matmul of two
// activations, a transposed convolution whose stride is its window) call
// the FMA variant of the float matmul kernel; the exact mode keeps the
// evaluator's kernel.
// CHECK-LABEL: func.func @f32_products
// CHECK: qc.microkernel "quantc_fmatmul_fast_avx512vnni" ins(%arg0, %arg1,
// CHECK: qc.microkernel "quantc_fmatmul_fast_avx512vnni" ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<1x8x4xf32>, tensor<1x4x9xf32>, tensor<6xi64>)
// EXACT-LABEL: func.func @f32_products
// EXACT-NOT: quantc_fmatmul_fast
// EXACT-COUNT-2: qc.microkernel "quantc_fmatmul_avx512vnni"
// FMA-LABEL: func.func @f32_products
// FMA-COUNT-2: qc.microkernel "quantc_fmatmul_fast_avx2"
func.func @f32_products(%a: tensor<4x8xf32>, %b: tensor<8x5xf32>, %x: tensor<1x4x3x3xf32>) -> (tensor<4x5xf32>, tensor<1x2x6x6xf32>) {
  %y = qc.matmul %a, %b : (tensor<4x8xf32>, tensor<8x5xf32>) -> tensor<4x5xf32>
  %w = qc.constant dense<0.5> : tensor<4x2x2x2xf32>
  %z = qc.conv_transpose %x, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, output_padding = array<i64: 0, 0>, group = 1} : (tensor<1x4x3x3xf32>, tensor<4x2x2x2xf32>) -> tensor<1x2x6x6xf32>
  return %y, %z : tensor<4x5xf32>, tensor<1x2x6x6xf32>
}
