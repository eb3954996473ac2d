// Data: 64 samples of x = [u, v, v] (the last two inputs always equal),
// u and v uniform, v with mean 2.
// RUN: %qc_python -c "import numpy as n; r = n.random.default_rng(0); u = r.uniform(-1, 1, 64); v = r.uniform(1, 3, 64); n.savez('%t.npz', x=n.stack([u, v, v], 1).astype(n.float32).reshape(64, 1, 3))"
// RUN: quant-opt %s --qc-quantize="activation=f32" | FileCheck %s --check-prefix=NEAREST
// RUN: quant-opt %s --qc-quantize="activation=f32 gptq=true data=%t.npz" --verify-diagnostics | FileCheck %s --check-prefix=GPTQ
// RUN: quant-opt %s --qc-quantize="activation=f32 gptq=true gptq-act-order=true data=%t.npz" | FileCheck %s --check-prefix=ACTORDER
// RUN: quant-opt %s --qc-quantize="activation=f32 weight=i4 granularity=per_group group-size=3 gptq=true data=%t.npz" | FileCheck %s --check-prefix=INT4
// RUN: quant-opt %s --qc-quantize="activation=f32 weight=i4 granularity=per_group group-size=3 weight-scheme=asymmetric gptq=true data=%t.npz" | FileCheck %s --check-prefix=ASYM
// RUN: not quant-opt %s --qc-quantize="gptq=true" 2>&1 | FileCheck %s --check-prefix=NODATA
// RUN: not quant-opt %s --qc-quantize="gptq=true gptq-damping=-0.5 data=%t.npz" 2>&1 | FileCheck %s --check-prefix=DAMPING

// Rule: the weights 1, 0.49921 and 0.49921 are 127, 63.4 and 63.4 steps of
// the per-channel scale 1/127. Round to nearest gives 63 twice, erring by
// -0.4 steps twice on inputs that are always equal. GPTQ rounds the inputs
// in order: the first v weight to 63 (-0.4 steps), whose error it feeds into
// the second through H^-1 (the two inputs are one, so nearly all of it):
// 63.4 + 0.4 = 63.8 rounds to 64, and the errors cancel.
// With act-order the inputs go by decreasing E[x^2]: v, v, then u (whose
// weight is exactly 127 steps either way).
// NEAREST-LABEL: func.func @correlated_inputs
// NEAREST: qc.constant dense<{{\[\[}}127], [63], [63]]> : tensor<3x1xi8>
// GPTQ-LABEL: func.func @correlated_inputs
// GPTQ: qc.constant dense<{{\[\[}}127], [63], [64]]> : tensor<3x1xi8>
// ACTORDER: qc.constant dense<{{\[\[}}127], [63], [64]]> : tensor<3x1xi8>
// Int4, one group of the three inputs: scale 1/7, the v weights are 3.49
// steps; rounded 3 then 3.49 + 0.49 -> 4.
// INT4: qc.constant dense<{{\[\[}}7], [3], [4]]> : tensor<3x1xi4>
// Asymmetric: [0, 1] onto [-8, 7], scale 1/15, zero point -8; the v weights
// are 7.49 steps above it: rounded 7 then 7.49 + 0.49 -> 8.
// ASYM: qc.constant dense<{{\[\[}}7], [-1], [0]]> : tensor<3x1xi4>
// ASYM: !quant.uniform<i4:f32:{0:3, 1:1}, {{\{\{}}0.0666666701:-8}}>
// NODATA: error: qc-quantize: rounding-search, bias-correction and gptq need data=
// DAMPING: error: qc-quantize: gptq-damping must be at least 0, got -5.0{{0*}}e-01
// expected-remark @below {{gptq: 1 layers, 1 of 3 weight levels differ from round to nearest}}
func.func @correlated_inputs(%x: tensor<1x3xf32>) -> tensor<1x1xf32> {
  %w = qc.constant dense<[[1.0], [0.49921259842519685], [0.49921259842519685]]> : tensor<3x1xf32>
  %y = qc.matmul %x, %w : (tensor<1x3xf32>, tensor<3x1xf32>) -> tensor<1x1xf32>
  return %y : tensor<1x1xf32>
}
