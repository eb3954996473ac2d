// RUN: quant-opt %s --split-input-file --convert-qc-to-linalg="microkernels=true kernel-suffix=avx512vnni" --canonicalize | FileCheck %s
// RUN: quant-opt %s --split-input-file --convert-qc-to-linalg="microkernels=true kernel-suffix=avx2" --canonicalize | FileCheck %s --check-prefix=AVX2

// Rule: a bf16 matmul (widened to f32 around an f32 product, see
// narrow-float.mlir) calls quantc_bmatmul with the bf16 operands themselves
// on AVX-512 targets: it forms the f32 kernel's sums from them. The result
// rounds to bf16 once; the widened copies are dead.
// CHECK-LABEL: func.func @matmul_bf16
// CHECK-NOT: arith.extf
// CHECK: %[[P:.*]] = arith.constant dense<[1, 3, 5, 20, 0, 0]> : tensor<6xi64>
// CHECK: %[[Y:.*]] = qc.microkernel "quantc_bmatmul" ins(%arg0, %arg1, %[[P]] : tensor<3x5xbf16>, tensor<5x20xbf16>, tensor<6xi64>) outs(%{{.*}} : tensor<3x20xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[Y]] : tensor<3x20xf32>) outs(%{{.*}} : tensor<3x20xbf16>)
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// AVX2 targets keep the f32 kernel on the widened operands.
// AVX2-LABEL: func.func @matmul_bf16
// AVX2: arith.extf
// AVX2: qc.microkernel "quantc_fmatmul_avx2" ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<3x5xf32>, tensor<5x20xf32>, tensor<6xi64>)
func.func @matmul_bf16(%x: tensor<3x5xbf16>, %w: tensor<5x20xbf16>) -> tensor<3x20xbf16> {
  %y = qc.matmul %x, %w : (tensor<3x5xbf16>, tensor<5x20xbf16>) -> tensor<3x20xbf16>
  return %y : tensor<3x20xbf16>
}

// -----

// Rule: a transposed bf16 gemm calls it too, then applies alpha in f32.
// CHECK-LABEL: func.func @gemm_bf16
// CHECK: %[[P:.*]] = arith.constant dense<[1, 2, 4, 3, 0, 1]> : tensor<6xi64>
// CHECK: %[[Y:.*]] = qc.microkernel "quantc_bmatmul" ins(%arg0, %arg1, %[[P]] : tensor<2x4xbf16>, tensor<3x4xbf16>, tensor<6xi64>)
// CHECK: arith.mulf
// CHECK: arith.truncf %{{.*}} : f32 to bf16
func.func @gemm_bf16(%a: tensor<2x4xbf16>, %b: tensor<3x4xbf16>) -> tensor<2x3xbf16> {
  %y = qc.gemm %a, %b {alpha = 0.5 : f32, trans_b = true} : (tensor<2x4xbf16>, tensor<3x4xbf16>) -> tensor<2x3xbf16>
  return %y : tensor<2x3xbf16>
}

// -----

// Rule: a bf16 convolution calls quantc_bconv with the bf16 image and
// weights and the widened bias, with the float kernel's geometry.
// CHECK-LABEL: func.func @conv_bf16
// CHECK: %[[Y:.*]] = qc.microkernel "quantc_bconv" ins(%arg0, %arg1, %{{.*}}, %{{.*}} : tensor<1x4x5x5xbf16>, tensor<6x2x3x3xbf16>, tensor<6xf32>, tensor<17xi64>)
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// AVX2-LABEL: func.func @conv_bf16
// AVX2: qc.microkernel "quantc_fconv_avx2" ins(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<1x4x5x5xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>, tensor<17xi64>)
func.func @conv_bf16(%x: tensor<1x4x5x5xbf16>, %w: tensor<6x2x3x3xbf16>, %b: tensor<6xbf16>) -> tensor<1x6x3x3xbf16> {
  %y = qc.conv %x, %w, %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 2} : (tensor<1x4x5x5xbf16>, tensor<6x2x3x3xbf16>, tensor<6xbf16>) -> tensor<1x6x3x3xbf16>
  return %y : tensor<1x6x3x3xbf16>
}

// -----

// Rule: f16 layers and mixed operands stay on the f32 kernel (widened).
// CHECK-LABEL: func.func @matmul_f16
// CHECK: arith.extf
// CHECK: qc.microkernel "quantc_fmatmul_avx512vnni"
// CHECK-NOT: quantc_bmatmul
func.func @matmul_f16(%x: tensor<3x5xf16>, %w: tensor<5x20xf16>) -> tensor<3x20xf16> {
  %y = qc.matmul %x, %w : (tensor<3x5xf16>, tensor<5x20xf16>) -> tensor<3x20xf16>
  return %y : tensor<3x20xf16>
}
