// RUN: quant-opt %s --split-input-file --convert-qc-to-linalg | FileCheck %s

// Rule: qc.attention calls quantc_attention with the mask reshaped to rank 4
// and its shape in the parameters (batch, heads, kv heads, rows, keys,
// dim, scale bits, mask dims, layer): the kernel broadcasts it.
// CHECK-LABEL: func.func @attention
// CHECK: %[[MASK:.*]] = tensor.reshape %arg2
// CHECK-SAME: -> tensor<1x1x3x5xi1>
// CHECK: %[[P:.*]] = arith.constant dense<[1, 4, 2, 3, 5, 8, 1048576000, 1, 1, 3, 5, 0, 0]> : tensor<13xi64>
// CHECK: qc.microkernel "quantc_attention" ins(%arg0, %arg1, %arg1, %[[MASK]], %[[P]]
func.func @attention(%q: tensor<1x4x3x8xf32>, %k: tensor<1x2x5x8xf32>, %mask: tensor<3x5xi1>) -> tensor<1x4x3x8xf32> {
  %0 = qc.attention %q, %k, %k, %mask {scale = 0.25 : f32}
      : (tensor<1x4x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>, tensor<3x5xi1>) -> tensor<1x4x3x8xf32>
  return %0 : tensor<1x4x3x8xf32>
}

// -----

// Rule: without a mask, one true broadcast everywhere.
// CHECK-LABEL: func.func @unmasked
// CHECK: %[[TRUE:.*]] = linalg.fill ins(%true : i1) outs(%{{.*}} : tensor<1x1x1x1xi1>)
// CHECK: qc.microkernel "quantc_attention" ins(%arg0, %arg1, %arg1, %[[TRUE]]
func.func @unmasked(%q: tensor<1x2x1x8xf32>, %k: tensor<1x2x4x8xf32>) -> tensor<1x2x1x8xf32> {
  %0 = qc.attention %q, %k, %k {scale = 1.0 : f32}
      : (tensor<1x2x1x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x1x8xf32>
  return %0 : tensor<1x2x1x8xf32>
}

// -----

// Rule: qc.cached_attention calls quantc_cached_attention with the step's
// keys and values only; the layer index selects the runtime's cache, and
// the last parameter is the cache's qc_kv_cache_format (f32 0, f16 1,
// bf16 2, i8 3, i4 4).
// CHECK-LABEL: func.func @cached
// CHECK: %[[P:.*]] = arith.constant dense<[1, 9, 3, 1, 1, 64, 1040187392, 1, 1, 1, 1, 7, 0]> : tensor<13xi64>
// CHECK: qc.microkernel "quantc_cached_attention" ins(%arg0, %arg1, %arg2, %[[P]]
func.func @cached(%q: tensor<1x9x1x64xf32>, %k: tensor<1x3x1x64xf32>, %v: tensor<1x3x1x64xf32>) -> tensor<1x9x1x64xf32> {
  %0 = qc.cached_attention %q, %k, %v {layer = 7 : i64, scale = 0.125 : f32}
      : (tensor<1x9x1x64xf32>, tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>) -> tensor<1x9x1x64xf32>
  return %0 : tensor<1x9x1x64xf32>
}

// -----

// CHECK-LABEL: func.func @cached_int8
// CHECK: arith.constant dense<[1, 9, 3, 1, 1, 64, 1040187392, 1, 1, 1, 1, 2, 3]> : tensor<13xi64>
// CHECK-LABEL: func.func @cached_int4
// CHECK: arith.constant dense<[1, 9, 3, 1, 1, 64, 1040187392, 1, 1, 1, 1, 2, 4]> : tensor<13xi64>
func.func @cached_int8(%q: tensor<1x9x1x64xf32>, %k: tensor<1x3x1x64xf32>, %v: tensor<1x3x1x64xf32>) -> tensor<1x9x1x64xf32> {
  %0 = qc.cached_attention %q, %k, %v {cache = "i8", layer = 2 : i64, scale = 0.125 : f32}
      : (tensor<1x9x1x64xf32>, tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>) -> tensor<1x9x1x64xf32>
  return %0 : tensor<1x9x1x64xf32>
}
func.func @cached_int4(%q: tensor<1x9x1x64xf32>, %k: tensor<1x3x1x64xf32>, %v: tensor<1x3x1x64xf32>) -> tensor<1x9x1x64xf32> {
  %0 = qc.cached_attention %q, %k, %v {cache = "i4", layer = 2 : i64, scale = 0.125 : f32}
      : (tensor<1x9x1x64xf32>, tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>) -> tensor<1x9x1x64xf32>
  return %0 : tensor<1x9x1x64xf32>
}
