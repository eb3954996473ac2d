// RUN: quant-opt %s --split-input-file --convert-qc-to-linalg | FileCheck %s

// Rule: qc.attention calls quantc_attention with the mask reshaped to rank 4
// and its shape in the parameters (batch, heads, kv heads, rows, keys,
// dim, scale bits, mask dims, layer, cache, key scaling): the kernel
// broadcasts it.
// CHECK-LABEL: func.func @attention
// CHECK: %[[MASK:.*]] = tensor.reshape %arg2
// CHECK-SAME: -> tensor<1x1x3x5xi1>
// CHECK: %[[P:.*]] = arith.constant dense<[1, 4, 2, 3, 5, 8, 1048576000, 1, 1, 3, 5, 0, 0, 0]> : tensor<14xi64>
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
// the last parameters are the cache's qc_kv_cache_format (f32 0, f16 1,
// bf16 2, i8 3, i4 4) and whether keys have channel factors (a single
// unused 1 is passed without them).
// CHECK-LABEL: func.func @cached
// CHECK-DAG: %[[NOSCALE:.*]] = arith.constant dense<1.000000e+00> : tensor<1xf32>
// CHECK-DAG: %[[P:.*]] = arith.constant dense<[1, 9, 3, 1, 1, 64, 1040187392, 1, 1, 1, 1, 7, 0, 0]> : tensor<14xi64>
// CHECK: qc.microkernel "quantc_cached_attention" ins(%arg0, %arg1, %arg2, %[[NOSCALE]], %[[P]]
func.func @cached(%q: tensor<1x9x1x64xf32>, %k: tensor<1x3x1x64xf32>, %v: tensor<1x3x1x64xf32>) -> tensor<1x9x1x64xf32> {
  %0 = qc.cached_attention %q, %k, %v {layer = 7 : i64, scale = 0.125 : f32}
      : (tensor<1x9x1x64xf32>, tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>) -> tensor<1x9x1x64xf32>
  return %0 : tensor<1x9x1x64xf32>
}

// -----

// CHECK-LABEL: func.func @cached_int8
// CHECK: arith.constant dense<[1, 9, 3, 1, 1, 64, 1040187392, 1, 1, 1, 1, 2, 3, 0]> : tensor<14xi64>
// CHECK-LABEL: func.func @cached_int4
// CHECK: arith.constant dense<[1, 9, 3, 1, 1, 64, 1040187392, 1, 1, 1, 1, 2, 4, 0]> : tensor<14xi64>
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

// -----

// Rule: channel factors go to the kernel as a constant [Hkv * D], and the
// last parameter says the kernel reads them.
// CHECK-LABEL: func.func @cached_key_scale
// CHECK-DAG: %[[SCALE:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00, 5.000000e-01, 4.000000e+00]> : tensor<4xf32>
// CHECK-DAG: %[[P:.*]] = arith.constant dense<[1, 2, 2, 1, 1, 2, 1065353216, 1, 1, 1, 1, 0, 4, 1]> : tensor<14xi64>
// CHECK: qc.microkernel "quantc_cached_attention" ins(%arg0, %arg1, %arg2, %[[SCALE]], %[[P]]
func.func @cached_key_scale(%q: tensor<1x2x1x2xf32>, %k: tensor<1x2x1x2xf32>, %v: tensor<1x2x1x2xf32>) -> tensor<1x2x1x2xf32> {
  %0 = qc.cached_attention %q, %k, %v {cache = "i4", key_scale = array<f32: 1.0, 2.0, 0.5, 4.0>, layer = 0 : i64, scale = 1.0 : f32}
      : (tensor<1x2x1x2xf32>, tensor<1x2x1x2xf32>, tensor<1x2x1x2xf32>) -> tensor<1x2x1x2xf32>
  return %0 : tensor<1x2x1x2xf32>
}
