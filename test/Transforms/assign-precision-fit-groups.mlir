// RUN: %qc_python -c "import numpy as np; np.savez('%t.npz', x=np.random.default_rng(0).standard_normal((4, 1, 48)).astype(np.float32))"
// RUN: quant-opt %s --qc-calibrate=data=%t.npz "--qc-assign-precision=data=%t.npz budget-bytes=500 candidates=f32,w4g32" | FileCheck %s
// RUN: not quant-opt %s --qc-calibrate=data=%t.npz "--qc-assign-precision=data=%t.npz budget-bytes=500 candidates=w4g32" 2>&1 | FileCheck %s --check-prefix=NOFIT

// w4g32 on K = 48, which 32 does not divide, takes the largest size down to
// 16 that does: groups of 24 (168 bytes of nibbles and 56 of scales). No
// size from 16 to 32 divides K = 7: the second layer stays f32 (224 bytes).
// CHECK: qc.matmul {{.*}}qc.precision = #qc.precision<activation = f32, weight = i4, granularity = per_group, scheme = asymmetric, group_size = 24>
// CHECK: qc.matmul {{.*}}qc.precision = #qc.precision<activation = f32, weight = f32
// NOFIT: error: loc("second"): none of the candidate precisions applies to this layer (w4g32)
func.func @main(%x: tensor<1x48xf32> {qc.name = "x"}) -> tensor<1x8xf32> {
  %w1 = qc.constant dense<0.5> : tensor<48x7xf32>
  %w2 = qc.constant dense<0.25> : tensor<7x8xf32>
  %a = qc.matmul %x, %w1 : (tensor<1x48xf32>, tensor<48x7xf32>) -> tensor<1x7xf32> loc("first")
  %b = qc.matmul %a, %w2 : (tensor<1x7xf32>, tensor<7x8xf32>) -> tensor<1x8xf32> loc("second")
  return %b : tensor<1x8xf32>
}
