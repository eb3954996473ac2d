// Data: 64 samples of x [1, 4, 8] whose channel 7 is 100x quieter than the
// others. grid=1 leaves the scaling out, so only the clipping search acts.
// RUN: %qc_python -c "import numpy as n; r = n.random.default_rng(0); x = r.standard_normal((64, 1, 4, 8)); x[..., 7] *= 0.01; n.savez('%t.npz', x=x.astype(n.float32))"
// RUN: quant-opt %s --qc-awq="data=%t.npz weight=i4 granularity=per_channel grid=1 clip=true" --verify-diagnostics | FileCheck %s --check-prefix=CHANNEL
// RUN: quant-opt %s --qc-awq="data=%t.npz weight=i4 granularity=per_group group-size=4 grid=1 clip=true weight-scheme=asymmetric" | FileCheck %s --check-prefix=GROUP
// RUN: quant-opt %s --qc-awq="data=%t.npz weight=i4 granularity=per_channel grid=1" | FileCheck %s --check-prefix=NOCLIP

// Rule: a column's outlier (3.0) on the quiet channel costs the outputs
// little when clipped, and clipping it gives the other weights of its
// column a finer grid: it is clipped to 0.55 x 3.0 (the narrowest ratio),
// and nothing else moves. The second column has no outlier and keeps its
// range. Without clip=true the weights stay as they are.
// CHANNEL: qc.constant dense<[{{\[}}5.000000e-01, 1.000000e-01], {{.*}}, [-4.000000e-01, 3.000000e-01], [1.650000e+00, 2.500000e-01]]>
// Per group of 4 rows: the outlier's group is clipped to 0.6 x 3.0; the
// first group of the same column loses its largest value too (0.95 x 0.5).
// GROUP: qc.constant dense<[{{\[}}4.750000e-01, 1.000000e-01], {{.*}}, [1.800000e+00, 2.500000e-01]]>
// NOCLIP: qc.constant dense<[{{\[}}5.000000e-01, 1.000000e-01], {{.*}}, [3.000000e+00, 2.500000e-01]]>
// expected-remark @below {{awq: scaled 0 of 1 input groups}}
// expected-remark @below {{awq: clipped 1 of 2 weight groups; quantized output error 1.14E-01 -> 3.80E-02}}
func.func @outlier_on_a_quiet_channel(%x: tensor<1x4x8xf32>) -> tensor<1x4x2xf32> {
  %w = qc.constant dense<1.0> : tensor<8xf32>
  %a = qc.constant dense<[[0.5, 0.1], [0.05, -0.3], [0.3, 0.4], [-0.2, 0.2],
                          [0.6, -0.1], [0.1, 0.5], [-0.4, 0.3], [3.0, 0.25]]> : tensor<8x2xf32>
  %n = qc.mul %x, %w : (tensor<1x4x8xf32>, tensor<8xf32>) -> tensor<1x4x8xf32>
  %y = qc.matmul %n, %a : (tensor<1x4x8xf32>, tensor<8x2xf32>) -> tensor<1x4x2xf32>
  return %y : tensor<1x4x2xf32>
}
