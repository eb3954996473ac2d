// Data: 64 samples of x [1, 4]; the last input is 100 times quieter.
// RUN: %qc_python -c "import numpy as n; r = n.random.default_rng(0); x = r.uniform(-1, 1, (64, 1, 4)); x[..., 3] *= 0.01; n.savez('%t.npz', x=x.astype(n.float32))"
// RUN: quant-opt %s --qc-quantize="activation=f32 weight=i4 weight-range=mse" | FileCheck %s --check-prefix=PLAIN
// RUN: quant-opt %s --qc-quantize="activation=f32 weight=i4 weight-range=mse gptq=true data=%t.npz" | FileCheck %s --check-prefix=WEIGHED
// RUN: quant-opt %s --qc-quantize="activation=f32 weight=i4 weight-range=minmax gptq=true data=%t.npz" | FileCheck %s --check-prefix=MINMAX

// Rule: with measured inputs (gptq, rounding-search), an mse grid weighs
// each weight's squared error by the mean square of its input. Weights
// [1, 2, 3, 14]: unweighted, the least squared error is the scale 14/7
// shrunk by 3 % (1.94: 1, 2 and 3 land at 1.94, 1.94, 3.88); weighted,
// 14 multiplies an input 100 times quieter, so the grid may clip it to
// 11.2 (scale 1.6, the largest shrink) and put 1, 2, 3 at 1.6, 1.6, 3.2.
// minmax ignores the data.
// PLAIN: !quant.uniform<i4:f32:1, {1.940000057220459}>
// WEIGHED: !quant.uniform<i4:f32:1, {1.6000000238418579}>
// MINMAX: !quant.uniform<i4<-7:7>:f32:1, {2.000000e+00}>
func.func @importance(%x: tensor<1x4xf32>) -> tensor<1x1xf32> {
  %w = qc.constant dense<[[1.0], [2.0], [3.0], [14.0]]> : tensor<4x1xf32>
  %y = qc.matmul %x, %w : (tensor<1x4xf32>, tensor<4x1xf32>) -> tensor<1x1xf32>
  return %y : tensor<1x1xf32>
}
