// RUN: %qc_python -c "import numpy as n; r = n.random.default_rng(0); n.savez('%t.npz', x=r.standard_normal((64, 1, 8)).astype(n.float32))"
// RUN: quant-opt %s --qc-calibrate=data=%t.npz --qc-quantize --qc-fold-scales "--qc-report=reference=%s data=%t.npz json=%t.json markdown=%t.md svg=%t.svg" -o /dev/null 2>&1 | FileCheck %s
// RUN: FileCheck %s --input-file %t.md
// RUN: FileCheck %s --input-file %t.json --check-prefix=JSON
// RUN: FileCheck %s --input-file %t.svg --check-prefix=SVG

// One row per layer: the integer fc (8 x 4 i8 weights: 32 bytes) and the
// float head kept in f32 by hand (4 x 2 x 4 bytes), whose output carries the
// error of its quantized input.
// CHECK: | layer | op | precision | weight bytes | SQNR (dB) |
// CHECK: | fc | qmatmul | a:i8 w:i8 per_channel asymmetric | 32 | {{[3-9][0-9]\.[0-9]}} |
// CHECK: | head | matmul | a:f32 w:f32 per_tensor | 32 | {{[3-9][0-9]\.[0-9]}} |
// CHECK: | output | SQNR (dB) | cosine | top-1 agreement |
// CHECK: | y | {{[2-9][0-9]\.[0-9]+}} | 0.99{{[0-9]+}} | {{[0-9.]+}} % |
// CHECK: Weights: 64 bytes (160 in f32, 2.50x smaller); 64 samples.

// JSON: "float_weight_bytes": 160
// JSON: "name": "fc"
// JSON: "weight_bytes": 32
// JSON: "top1_agreement":
// SVG: <svg
// SVG: <text x="4" y="31">fc</text>

// RUN: not quant-opt %s --qc-report 2>&1 | FileCheck %s --check-prefix=NOREF
// NOREF: error: qc-report needs reference= (the float model) and data= (input .npz files)
// RUN: not quant-opt %s "--qc-report=reference=%t.missing.mlir data=%t.npz" 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: cannot read the reference model '{{.*}}missing.mlir'
// RUN: echo 'func.func @main(%%a: tensor<2xf32>) -> tensor<2xf32> { return %%a : tensor<2xf32> }' > %t.other.mlir
// RUN: not quant-opt %s "--qc-report=reference=%t.other.mlir data=%t.npz" 2>&1 | FileCheck %s --check-prefix=OTHER
// OTHER: error: the model and its reference need a @main with the same inputs and number of outputs

func.func @main(%x: tensor<1x8xf32> {qc.name = "x"}) -> (tensor<1x2xf32> {qc.name = "y"}) {
  %w = qc.constant dense<[[0.5, -0.25, 0.125, 1.0], [0.3, 0.2, -0.7, 0.1], [-0.4, 0.9, 0.05, -0.3], [0.6, -0.1, 0.2, 0.8], [-0.2, 0.4, -0.6, 0.3], [0.7, 0.1, 0.3, -0.5], [0.2, -0.8, 0.4, 0.1], [-0.3, 0.5, 0.6, 0.2]]> : tensor<8x4xf32>
  %h = qc.constant dense<[[1.0, -1.0], [0.5, 0.5], [-0.5, 1.0], [0.25, -0.75]]> : tensor<4x2xf32>
  %a = qc.matmul %x, %w : (tensor<1x8xf32>, tensor<8x4xf32>) -> tensor<1x4xf32> loc("fc")
  %r = qc.relu %a : tensor<1x4xf32> loc("fc_relu")
  %y = qc.matmul %r, %h {qc.precision = #qc.precision<activation = f32, weight = f32, granularity = per_tensor, scheme = symmetric, group_size = 0>} : (tensor<1x4xf32>, tensor<4x2xf32>) -> tensor<1x2xf32> loc("head")
  return %y : tensor<1x2xf32>
}
