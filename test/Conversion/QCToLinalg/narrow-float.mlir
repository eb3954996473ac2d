// RUN: quant-opt %s --split-input-file --convert-qc-to-linalg | FileCheck %s

// Rule: a bf16 matmul sums in f32: its operands widen (exactly), the
// contraction runs on f32, and the result rounds to bf16 once.
// CHECK-LABEL: func.func @matmul_bf16
// CHECK: %[[A:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<2x3xbf16>) outs(%{{.*}} : tensor<2x3xf32>)
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: %[[B:.*]] = linalg.generic {{.*}} ins(%arg1 : tensor<3x4xbf16>) outs(%{{.*}} : tensor<3x4xf32>)
// CHECK: %[[ZERO:.*]] = linalg.fill {{.*}} -> tensor<2x4xf32>
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[A]], %[[B]] : tensor<2x3xf32>, tensor<3x4xf32>) outs(%[[ZERO]] : tensor<2x4xf32>)
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: arith.addf %{{.*}}, %{{.*}} : f32
// CHECK: linalg.generic {{.*}} ins(%[[SUM]] : tensor<2x4xf32>) outs(%{{.*}} : tensor<2x4xbf16>)
// CHECK: arith.truncf %{{.*}} : f32 to bf16
func.func @matmul_bf16(%a: tensor<2x3xbf16>, %b: tensor<3x4xbf16>) -> tensor<2x4xbf16> {
  %y = qc.matmul %a, %b : (tensor<2x3xbf16>, tensor<3x4xbf16>) -> tensor<2x4xbf16>
  return %y : tensor<2x4xbf16>
}

// -----

// Rule: the same for normalizations and reductions: an f16 softmax computes
// as the f32 one does (its sum in f64) and rounds once.
// CHECK-LABEL: func.func @softmax_f16
// CHECK: linalg.generic {{.*}} ins(%arg0 : tensor<2x8xf16>) outs(%{{.*}} : tensor<2x8xf32>)
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK-NOT: f16
// CHECK: math.exp %{{.*}} : f32
// CHECK: arith.divf %{{.*}}, %{{.*}} : f64
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<2x8xf32>) outs(%{{.*}} : tensor<2x8xf16>)
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @softmax_f16(%x: tensor<2x8xf16>) -> tensor<2x8xf16> {
  %y = qc.softmax %x {axis = 1 : i64} : tensor<2x8xf16>
  return %y : tensor<2x8xf16>
}

// -----

// Rule: f32 layers are left to their own lowerings (no casts).
// CHECK-LABEL: func.func @matmul_f32
// CHECK-NOT: arith.extf
// CHECK-NOT: arith.truncf
// CHECK: return
func.func @matmul_f32(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> tensor<2x4xf32> {
  %y = qc.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
