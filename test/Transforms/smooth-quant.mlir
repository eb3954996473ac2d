// Data: 2 samples of x [1, 4, 4] whose channel maxima are |x| = [4, 1, 1, 16].
// RUN: %qc_python -c "import numpy as n; x = n.zeros((2, 1, 4, 4), n.float32); x[0, 0, 0] = [4, -1, 1, 16]; x[1, 0, 2] = [-2, 0.5, -1, -8]; n.savez('%t.npz', x=x)"
// RUN: quant-opt %s --split-input-file --qc-smooth-quant="data=%t.npz" --verify-diagnostics | FileCheck %s
// RUN: quant-opt %s --split-input-file --qc-smooth-quant="data=%t.npz alpha=0" -o /dev/null
// RUN: not quant-opt %s --split-input-file --qc-smooth-quant 2>&1 | FileCheck %s --check-prefix=NODATA
// RUN: not quant-opt %s --split-input-file --qc-smooth-quant="data=%t.npz alpha=1.5" 2>&1 | FileCheck %s --check-prefix=BADALPHA

// Rule: s_j = sqrt(max|x_j|) / sqrt(max|w_j|) over the rows of both weights,
// max|w| = [1, 1, 0.25, 1]: s = [2, 1, 2, 4]. The norm's weight is divided
// by s, the weights' rows multiplied by it.
// CHECK-LABEL: func.func @shared_input
// CHECK-DAG: qc.constant dense<[5.000000e-01, 1.000000e+00, 5.000000e-01, 2.500000e-01]> : tensor<4xf32>
// CHECK-DAG: qc.constant dense<{{\[\[}}2.000000e+00, -1.000000e+00], [1.000000e+00, 5.000000e-01], [5.000000e-01, 0.000000e+00], [4.000000e+00, 2.000000e+00]]> : tensor<4x2xf32>
// CHECK-DAG: qc.constant dense<{{\[\[}}1.000000e+00], [-1.000000e+00], [-2.000000e-01], [-2.000000e+00]]> : tensor<4x1xf32>
// NODATA: error: qc-smooth-quant needs data=
// BADALPHA: error: qc-smooth-quant: alpha must be in [0, 1], got 1.5
// expected-remark @below {{smoothquant: scaled 1 input groups (alpha 0.50); largest channel range over the mean 2.9 -> 2.1}}
func.func @shared_input(%x: tensor<1x4x4xf32>) -> (tensor<1x4x2xf32>, tensor<1x4x1xf32>) {
  %w = qc.constant dense<1.0> : tensor<4xf32>
  %a = qc.constant dense<[[1.0, -0.5], [1.0, 0.5], [0.25, 0.0], [1.0, 0.5]]> : tensor<4x2xf32>
  %b = qc.constant dense<[[0.5], [-1.0], [-0.1], [-0.5]]> : tensor<4x1xf32>
  %n = qc.mul %x, %w : (tensor<1x4x4xf32>, tensor<4xf32>) -> tensor<1x4x4xf32>
  %y = qc.matmul %n, %a : (tensor<1x4x4xf32>, tensor<4x2xf32>) -> tensor<1x4x2xf32>
  %z = qc.matmul %n, %b : (tensor<1x4x4xf32>, tensor<4x1xf32>) -> tensor<1x4x1xf32>
  return %y, %z : tensor<1x4x2xf32>, tensor<1x4x1xf32>
}

// -----

// A gated MLP's down projection: 1 / s goes into the columns of the up
// projection (the input channels here are gate * up).
// CHECK-LABEL: func.func @up_down
// (|h| maxima [4, 1, 1, 16] * sigmoid: s = sqrt(max|h| / max|w|)).
// CHECK: %[[UPW:.*]] = qc.constant dense<{{\[\[}}{{.*}}]]> : tensor<4x4xf32>
// CHECK: %[[UP:.*]] = qc.matmul %arg0, %[[UPW]] : (tensor<1x4x4xf32>, tensor<4x4xf32>)
// CHECK: %[[H:.*]] = qc.mul %[[GATE:.*]], %[[UP]]
// CHECK: qc.matmul %[[H]]
// expected-remark @below {{smoothquant: scaled 1 input groups}}
func.func @up_down(%x: tensor<1x4x4xf32>) -> tensor<1x4x2xf32> {
  %gate = qc.sigmoid %x : tensor<1x4x4xf32>
  %u = qc.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>
  %d = qc.constant dense<[[1.0, -0.5], [1.0, 0.5], [0.25, 0.0], [1.0, 0.5]]> : tensor<4x2xf32>
  %up = qc.matmul %x, %u : (tensor<1x4x4xf32>, tensor<4x4xf32>) -> tensor<1x4x4xf32>
  %h = qc.mul %gate, %up : (tensor<1x4x4xf32>, tensor<1x4x4xf32>) -> tensor<1x4x4xf32>
  %y = qc.matmul %h, %d : (tensor<1x4x4xf32>, tensor<4x2xf32>) -> tensor<1x4x2xf32>
  return %y : tensor<1x4x2xf32>
}

// -----

// A norm weight something else reads too cannot take 1 / s: nothing moves.
// CHECK-LABEL: func.func @other_reader
// CHECK: qc.constant dense<1.000000e+00> : tensor<4xf32>
func.func @other_reader(%x: tensor<1x4x4xf32>) -> (tensor<1x4x2xf32>, tensor<1x4x4xf32>) {
  %w = qc.constant dense<1.0> : tensor<4xf32>
  %a = qc.constant dense<[[1.0, -0.5], [1.0, 0.5], [0.25, 0.0], [1.0, 0.5]]> : tensor<4x2xf32>
  %n = qc.mul %x, %w : (tensor<1x4x4xf32>, tensor<4xf32>) -> tensor<1x4x4xf32>
  %y = qc.matmul %n, %a : (tensor<1x4x4xf32>, tensor<4x2xf32>) -> tensor<1x4x2xf32>
  return %y, %n : tensor<1x4x2xf32>, tensor<1x4x4xf32>
}
