// Data: 64 samples of x [1, 4, 8] whose channels 6 and 7 are 100x quieter
// than the others; grid=1 leaves the scaling out.
// RUN: %qc_python -c "import numpy as n; r = n.random.default_rng(0); x = r.standard_normal((64, 1, 4, 8)); x[..., 6:] *= 0.01; n.savez('%t.npz', x=x.astype(n.float32))"
// RUN: quant-opt %s --qc-awq="data=%t.npz weight=i4 granularity=per_group group-size=8 grid=1 clip=true weight-scheme=asymmetric" --verify-diagnostics | FileCheck %s --check-prefix=ASYM
// RUN: quant-opt %s --qc-awq="data=%t.npz weight=i4 granularity=per_group group-size=8 grid=1 clip=true" | FileCheck %s --check-prefix=SYM

// Rule: outliers at both ends of a group (-1.0 and 3.0), both on quiet
// channels. A symmetric grid can only take +-r max|w|: 3.0 becomes 1.65 and
// -1.0, inside that, stays. An asymmetric grid spans the group's own range,
// and shrinking both of its ends is also a candidate: [-0.55, 1.65] leaves
// the other weights a finer grid than AWQ's symmetric clip would.
// ASYM: qc.constant dense<{{\[\[}}3.000000e-01], {{.*}}, [-5.500000e-01], [1.650000e+00]]>
// SYM: qc.constant dense<{{\[\[}}3.000000e-01], {{.*}}, [-1.000000e+00], [1.650000e+00]]>
// expected-remark @below {{awq: scaled 0 of 1 input groups}}
// expected-remark @below {{awq: clipped 1 of 1 weight groups; quantized output error 2.65E-02 -> 7.26E-03}}
func.func @both_ends(%x: tensor<1x4x8xf32>) -> tensor<1x4x1xf32> {
  %w = qc.constant dense<1.0> : tensor<8xf32>
  %a = qc.constant dense<[[0.3], [-0.2], [0.1], [0.25], [-0.3], [0.15], [-1.0], [3.0]]> : tensor<8x1xf32>
  %n = qc.mul %x, %w : (tensor<1x4x8xf32>, tensor<8xf32>) -> tensor<1x4x8xf32>
  %y = qc.matmul %n, %a : (tensor<1x4x8xf32>, tensor<8x1xf32>) -> tensor<1x4x1xf32>
  return %y : tensor<1x4x1xf32>
}
