// Data: 2 samples of the new keys x [1, 2, 2, 4] (two KV heads, two
// positions) with |x| maxima per head and channel [4, 1, 0.1, 2] and
// [8, 8, 8, 8], and a placeholder past of 100s that must not count.
// RUN: %qc_python -c "import numpy as n; x = n.zeros((2, 1, 2, 2, 4), n.float32); x[0, 0, 0, 0] = [4, -1, 0.1, 0]; x[1, 0, 0, 1] = [-2, 0.5, 0, -2]; x[0, 0, 1] = -8; n.savez('%t.npz', x=x, past=n.full((2, 1, 2, 1, 4), 100, n.float32))"
// RUN: quant-opt %s --qc-calibrate-kv-keys="data=%t.npz alpha=1" | FileCheck %s
// RUN: quant-opt %s --qc-calibrate-kv-keys="data=%t.npz alpha=0.5" | FileCheck %s --check-prefix=HALF
// RUN: not quant-opt %s --qc-calibrate-kv-keys="data=%t.npz alpha=2" 2>&1 | FileCheck %s --check-prefix=BADALPHA
// RUN: not quant-opt %s --qc-calibrate-kv-keys 2>&1 | FileCheck %s --check-prefix=NODATA
// RUN: not quant-opt %s --qc-calibrate-kv-keys="data=%t.missing.npz" 2>&1 | FileCheck %s --check-prefix=MISSING

// Rule: per KV head and channel the largest |key| of the new keys, at least
// 1/32 of the head's largest (4 / 32 = 0.125 for the third channel), to the
// power alpha.
// CHECK: qc.attention
// CHECK-SAME: qc.key_scale = array<f32: 4.000000e+00, 1.000000e+00, 1.250000e-01, 2.000000e+00, 8.000000e+00, 8.000000e+00, 8.000000e+00, 8.000000e+00>
// With alpha 0.5, their square roots.
// HALF: qc.key_scale = array<f32: 2.000000e+00, 1.000000e+00, 0.353553{{[0-9]*}}, 1.41421{{[0-9]*}}, 2.82842{{[0-9]*}}, 2.82842{{[0-9]*}}, 2.82842{{[0-9]*}}, 2.82842{{[0-9]*}}>
// BADALPHA: error: qc-calibrate-kv-keys: alpha must be in [0, 1], got 2
// NODATA: error: qc-calibrate-kv-keys needs data=
// MISSING: error: {{.*}}calibrate-kv-keys.mlir.tmp.missing.npz
module {
  func.func @main(%past: tensor<1x2x1x4xf32> {qc.name = "past"},
                  %x: tensor<1x2x2x4xf32> {qc.name = "x"})
      -> (tensor<1x2x2x4xf32> {qc.name = "logits"}) {
    %q = qc.constant dense<1.0> : tensor<1x2x2x4xf32>
    %k = qc.concat %past, %x {axis = 2 : i64} : (tensor<1x2x1x4xf32>, tensor<1x2x2x4xf32>) -> tensor<1x2x3x4xf32>
    %o = qc.attention %q, %k, %k {scale = 0.5 : f32}
        : (tensor<1x2x2x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>) -> tensor<1x2x2x4xf32>
    return %o : tensor<1x2x2x4xf32>
  }
}
