// Data: 64 samples of x = [u, v, v] (the last two inputs always equal),
// u and v uniform, v with mean 2.
// RUN: %qc_python -c "import numpy as n; r = n.random.default_rng(0); u = r.uniform(-1, 1, 64); v = r.uniform(1, 3, 64); n.savez('%t.npz', x=n.stack([u, v, v], 1).astype(n.float32).reshape(64, 1, 3))"
// RUN: quant-opt %s --split-input-file --qc-quantize="activation=f32" | FileCheck %s --check-prefix=NEAREST
// RUN: quant-opt %s --split-input-file --qc-quantize="activation=f32 rounding-search=true data=%t.npz" --verify-diagnostics | FileCheck %s --check-prefix=SEARCH
// RUN: quant-opt %s --split-input-file --qc-quantize="activation=f32 bias-correction=true data=%t.npz" | FileCheck %s --check-prefix=BIAS
// RUN: not quant-opt %s --split-input-file --qc-quantize="rounding-search=true" 2>&1 | FileCheck %s --check-prefix=NODATA

// Rule (rounding search): the weights 1, 0.49921 and 0.49921 are 127, 63.4
// and 63.4 steps of the per-channel scale 1/127. Rounding each to nearest
// (63, 63) errs by -0.4 steps twice on inputs that are always equal, so the
// errors add up; the search moves one of them to 64 (errors -0.4 and +0.6
// cancel), which lowers the layer's output error on the data.
// NEAREST-LABEL: func.func @correlated_inputs
// NEAREST: qc.constant dense<{{\[\[}}127], [63], [63]]> : tensor<3x1xi8>
// SEARCH-LABEL: func.func @correlated_inputs
// SEARCH: qc.constant dense<{{\[\[}}127], [64], [63]]> : tensor<3x1xi8>
// NODATA: error: qc-quantize: rounding-search, bias-correction and gptq need data=
// expected-remark @below {{rounding search: moved 1 of 3 weight levels in 1 layers}}
func.func @correlated_inputs(%x: tensor<1x3xf32>) -> tensor<1x1xf32> {
  %w = qc.constant dense<[[1.0], [0.49921259842519685], [0.49921259842519685]]> : tensor<3x1xf32>
  %y = qc.matmul %x, %w : (tensor<1x3xf32>, tensor<3x1xf32>) -> tensor<1x1xf32>
  return %y : tensor<1x1xf32>
}

// -----

// Rule (bias correction): rounded to nearest, the weights 0.49921 err by
// -0.4 / 127 each; the inputs they multiply have mean E[v] = 2.1854 over
// the 16 samples measured (max-samples), so the output is expected
// 2 * 0.0031496 * 2.1854 = 0.013767 low, and the bias 1.0 becomes 1.01377. The weights themselves stay rounded to nearest
// (the search, given the data, moves one of them here too).
// BIAS-LABEL: func.func @gemm_with_bias
// BIAS-DAG: qc.constant dense<{{\[\[}}127, 63, 63]]> : tensor<1x3xi8>
// BIAS-DAG: qc.constant dense<1.0137{{[0-9]*}}> : tensor<1xf32>
// expected-remark @below {{rounding search: moved 1 of 3 weight levels in 1 layers}}
func.func @gemm_with_bias(%x: tensor<1x3xf32>) -> tensor<1x1xf32> {
  %w = qc.constant dense<[[1.0, 0.49921259842519685, 0.49921259842519685]]> : tensor<1x3xf32>
  %b = qc.constant dense<1.0> : tensor<1xf32>
  %y = qc.gemm %x, %w, %b {trans_b = true} : (tensor<1x3xf32>, tensor<1x3xf32>, tensor<1xf32>) -> tensor<1x1xf32>
  return %y : tensor<1x1xf32>
}
