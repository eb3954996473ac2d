// Data: 64 samples of x [1, 4, 8] whose channel 0 is 40x louder than the
// others.
// RUN: %qc_python -c "import numpy as n; r = n.random.default_rng(0); x = r.standard_normal((64, 1, 4, 8)); x[..., 0] *= 40; n.savez('%t.npz', x=x.astype(n.float32))"
// RUN: quant-opt %s --split-input-file --qc-awq="data=%t.npz weight=i4 granularity=per_group group-size=4" --verify-diagnostics | FileCheck %s
// RUN: quant-opt %s --split-input-file --qc-awq="data=%t.npz weight=i4 granularity=per_group group-size=4" --qc-quantize="activation=f32 weight=i4 granularity=per_group group-size=4" -o /dev/null
// RUN: quant-opt %s --split-input-file --qc-awq="data=%t.npz weight=i4 granularity=per_group group-size=4 weight-scheme=asymmetric" --verify-diagnostics | FileCheck %s
// RUN: not quant-opt %s --split-input-file --qc-awq 2>&1 | FileCheck %s --check-prefix=NODATA
// RUN: not quant-opt %s --split-input-file --qc-awq="data=%t.npz weight-scheme=zero" 2>&1 | FileCheck %s --check-prefix=BADWEIGHT
// RUN: not quant-opt %s --split-input-file --qc-awq="data=%t.npz weight=i3" 2>&1 | FileCheck %s --check-prefix=BADWEIGHT

// Rule: the two matmuls reading norm(x) * w share one scaling s of their
// 8 input channels; their weight rows are multiplied by s and the norm's
// weight vector divided by it (the float function is unchanged, checked
// end to end in test_awq.py). The loud channel gets the largest scale.
// CHECK-LABEL: func.func @shared_input
// CHECK: %[[W:.*]] = qc.constant {{.*}} : tensor<8xf32>
// CHECK: %[[N:.*]] = qc.mul %{{.*}}, %[[W]]
// CHECK-DAG: qc.matmul %[[N]], %{{.*}} : (tensor<1x4x8xf32>, tensor<8x6xf32>)
// CHECK-DAG: qc.matmul %[[N]], %{{.*}} : (tensor<1x4x8xf32>, tensor<8x2xf32>)
// NODATA: error: qc-awq needs data=
// BADWEIGHT: error: qc-awq: weight must be i8 or i4
// expected-remark @below {{awq: scaled 1 of 1 input groups; quantized output error}}
func.func @shared_input(%x: tensor<1x4x8xf32>) -> (tensor<1x4x6xf32>, tensor<1x4x2xf32>) {
  %w = qc.constant dense<[1.0, 0.9, 1.1, 1.0, 0.8, 1.2, 1.0, 0.95]> : tensor<8xf32>
  %a = qc.constant dense<[[0.5, -0.2, 0.1, 0.3, -0.4, 0.6], [0.05, 0.7, -0.3, 0.2, 0.1, -0.6],
                          [0.3, 0.1, -0.5, 0.4, 0.2, 0.1], [-0.2, 0.4, 0.3, -0.7, 0.5, 0.3],
                          [0.6, -0.3, 0.2, 0.1, -0.2, 0.4], [0.1, 0.2, 0.6, -0.3, 0.3, -0.5],
                          [-0.4, 0.5, 0.1, 0.2, 0.6, 0.2], [0.2, -0.6, 0.4, 0.5, -0.1, 0.3]]> : tensor<8x6xf32>
  %b = qc.constant dense<[[0.1, 0.3], [0.4, -0.2], [-0.5, 0.6], [0.2, 0.1],
                          [0.3, -0.4], [0.6, 0.2], [-0.1, 0.5], [0.4, 0.3]]> : tensor<8x2xf32>
  %n = qc.mul %x, %w : (tensor<1x4x8xf32>, tensor<8xf32>) -> tensor<1x4x8xf32>
  %y = qc.matmul %n, %a : (tensor<1x4x8xf32>, tensor<8x6xf32>) -> tensor<1x4x6xf32>
  %z = qc.matmul %n, %b : (tensor<1x4x8xf32>, tensor<8x2xf32>) -> tensor<1x4x2xf32>
  return %y, %z : tensor<1x4x6xf32>, tensor<1x4x2xf32>
}

// -----

// A constant read by something other than the layers is left alone.
// CHECK-LABEL: func.func @other_reader
// CHECK: qc.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 5.000000e+00, 6.000000e+00, 7.000000e+00, 8.000000e+00]>
func.func @other_reader(%x: tensor<1x4x8xf32>) -> (tensor<1x4x2xf32>, tensor<1x4x8xf32>) {
  %w = qc.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]> : tensor<8xf32>
  %b = qc.constant dense<0.5> : tensor<8x2xf32>
  %n = qc.mul %x, %w : (tensor<1x4x8xf32>, tensor<8xf32>) -> tensor<1x4x8xf32>
  %z = qc.matmul %n, %b : (tensor<1x4x8xf32>, tensor<8x2xf32>) -> tensor<1x4x2xf32>
  return %z, %n : tensor<1x4x2xf32>, tensor<1x4x8xf32>
}

// -----

// Rule: down(gate * up(x)): the down projection's input channels are
// scaled in its weight rows, and the inverse goes into the columns of the
// up projection's weight (the gate is left as it is).
// CHECK-LABEL: func.func @gated_mlp
// CHECK: %[[UP:.*]] = qc.matmul %{{.*}}, %[[WU:.*]] : (tensor<1x4x8xf32>, tensor<8x8xf32>)
// CHECK: %[[M:.*]] = qc.mul %{{.*}}, %[[UP]]
// CHECK: qc.matmul %[[M]], %[[WD:.*]] : (tensor<1x4x8xf32>, tensor<8x2xf32>)
// expected-remark @below {{awq: scaled 1 of 1 input groups}}
func.func @gated_mlp(%x: tensor<1x4x8xf32>) -> tensor<1x4x2xf32> {
  %wu = qc.constant dense<[[1.0, 0.2, 0.1, 0.3, 0.4, 0.6, 0.2, 0.1], [0.1, 0.7, 0.3, 0.2, 0.1, 0.6, 0.4, 0.2],
                           [0.3, 0.1, 0.5, 0.4, 0.2, 0.1, 0.3, 0.2], [0.2, 0.4, 0.3, 0.7, 0.5, 0.3, 0.1, 0.4],
                           [0.6, 0.3, 0.2, 0.1, 0.2, 0.4, 0.5, 0.3], [0.1, 0.2, 0.6, 0.3, 0.3, 0.5, 0.2, 0.6],
                           [0.4, 0.5, 0.1, 0.2, 0.6, 0.2, 0.7, 0.1], [0.2, 0.6, 0.4, 0.5, 0.1, 0.3, 0.2, 0.8]]> : tensor<8x8xf32>
  %wd = qc.constant dense<[[0.1, 0.3], [0.4, -0.2], [-0.5, 0.6], [0.2, 0.1],
                           [0.3, -0.4], [0.6, 0.2], [-0.1, 0.5], [0.4, 0.3]]> : tensor<8x2xf32>
  %up = qc.matmul %x, %wu : (tensor<1x4x8xf32>, tensor<8x8xf32>) -> tensor<1x4x8xf32>
  %gate = qc.sigmoid %x : tensor<1x4x8xf32>
  %m = qc.mul %gate, %up : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %d = qc.matmul %m, %wd : (tensor<1x4x8xf32>, tensor<8x2xf32>) -> tensor<1x4x2xf32>
  return %d : tensor<1x4x2xf32>
}
