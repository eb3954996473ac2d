// Layers that must agree decide together: "a" and "b" read the same input
// (as q/k/v projections do) and meet in a residual addition, "d" shares
// "a"'s weights (stored once); "c" is on its own (had it read "d"'s input,
// it would have joined them). Each
// i8 weight takes 64 + 8 x 4 bytes; 12 bits per weight over the 4 layers
// (384 bytes) afford all in i8, and the group of three costs 2 x 96.
// RUN: %qc_python -c "import numpy as n; r = n.random.default_rng(0); n.savez('%t.npz', x=r.standard_normal((8, 1, 8)).astype(n.float32))"
// RUN: quant-opt %s --qc-calibrate=data=%t.npz "--qc-assign-precision=data=%t.npz bits-per-weight=12 candidates=f32,i8" 2>/dev/null | FileCheck %s

// CHECK: qc.matmul {{.*}}qc.choice = "i8/i8/per_channel: error {{.*}}, 192 bytes; f32/f32/per_tensor 0.00e+00, 512 B (decided together with a b d)"
// CHECK: qc.matmul {{.*}}qc.choice = "{{.*}} (decided together with a b d)"
// CHECK: qc.matmul {{.*}}qc.choice = "{{[^(]*}}"
// CHECK: qc.matmul {{.*}}qc.choice = "{{.*}} (decided together with a b d)"

func.func @main(%x: tensor<1x8xf32> {qc.name = "x"}) -> (tensor<1x8xf32>, tensor<1x8xf32>) {
  %w2 = qc.constant dense<0.3> : tensor<8x8xf32>
  %w3 = qc.constant dense<-0.2> : tensor<8x8xf32>
  %w = qc.constant dense<[[0.5, -0.25, 0.125, 1.0, 0.3, 0.2, -0.7, 0.1], [0.3, 0.2, -0.7, 0.1, -0.4, 0.9, 0.05, -0.3], [-0.4, 0.9, 0.05, -0.3, 0.6, -0.1, 0.2, 0.8], [0.6, -0.1, 0.2, 0.8, -0.2, 0.4, -0.6, 0.3], [-0.2, 0.4, -0.6, 0.3, 0.7, 0.1, 0.3, -0.5], [0.7, 0.1, 0.3, -0.5, 0.2, -0.8, 0.4, 0.1], [0.2, -0.8, 0.4, 0.1, -0.3, 0.5, 0.6, 0.2], [-0.3, 0.5, 0.6, 0.2, 0.5, -0.25, 0.125, 1.0]]> : tensor<8x8xf32>
  %a = qc.matmul %x, %w : (tensor<1x8xf32>, tensor<8x8xf32>) -> tensor<1x8xf32> loc("a")
  %b = qc.matmul %x, %w2 : (tensor<1x8xf32>, tensor<8x8xf32>) -> tensor<1x8xf32> loc("b")
  %r = qc.relu %b : tensor<1x8xf32> loc("relu")
  %s = qc.add %a, %r : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32> loc("residual")
  %c = qc.matmul %r, %w3 : (tensor<1x8xf32>, tensor<8x8xf32>) -> tensor<1x8xf32> loc("c")
  %d = qc.matmul %s, %w : (tensor<1x8xf32>, tensor<8x8xf32>) -> tensor<1x8xf32> loc("d")
  return %c, %d : tensor<1x8xf32>, tensor<1x8xf32>
}
