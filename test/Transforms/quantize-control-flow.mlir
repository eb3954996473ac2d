// RUN: quant-opt %s --qc-quantize --verify-diagnostics | FileCheck %s

// A layer in a loop body reads the body's argument, whose range (over
// every iteration) its parent records: [-1, 2] gives scale 3/255 and zero
// point -43. A layer in a branch the calibration data never took has no
// range: it stays in float, with a warning.
// CHECK-LABEL: func.func @main
// CHECK: scf.while
// CHECK: } do {
// CHECK-NEXT: ^bb0(%{{.*}}: tensor<i64>, %[[A:.*]]: tensor<1x2xf32>):
// CHECK: qc.quantize %[[A]] : tensor<1x2xf32> -> tensor<1x2x!quant.uniform<i8:f32, 0.011764706112444401:-43>>
// CHECK: qc.matmul
// CHECK-SAME: #qc.precision<activation = i8, weight = i8
// CHECK: scf.if
// CHECK: } else {
// CHECK-NEXT: qc.matmul
// CHECK-SAME: #qc.precision<activation = f32, weight = f32
func.func @main(%x: tensor<1x2xf32> {qc.range = array<f64: -1.0, 2.0>}, %flag: tensor<i1>) -> tensor<1x2xf32> {
  %w = qc.constant dense<[[1.0, -1.0], [0.5, 0.25]]> : tensor<2x2xf32>
  %zero = qc.constant dense<0> : tensor<i64>
  %one = qc.constant dense<1> : tensor<i64>
  %r:2 = scf.while (%i = %zero, %a = %x) : (tensor<i64>, tensor<1x2xf32>) -> (tensor<i64>, tensor<1x2xf32>) {
    %lt = qc.less %i, %one : (tensor<i64>, tensor<i64>) -> tensor<i1>
    %go = tensor.extract %lt[] : tensor<i1>
    scf.condition(%go) %i, %a : tensor<i64>, tensor<1x2xf32>
  } do {
  ^bb0(%i: tensor<i64>, %a: tensor<1x2xf32>):
    %next = qc.add %i, %one : (tensor<i64>, tensor<i64>) -> tensor<i64>
    %m = qc.matmul %a, %w {qc.range = array<f64: -1.0, 2.0>} : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
    scf.yield %next, %m : tensor<i64>, tensor<1x2xf32>
  } attributes {qc.region_ranges = [[unit, array<f64: -1.0, 2.0>], [unit, array<f64: -1.0, 2.0>]],
                qc.result_ranges = [unit, array<f64: -1.0, 2.0>]}
  %cond = tensor.extract %flag[] : tensor<i1>
  %y = scf.if %cond -> (tensor<1x2xf32>) {
    scf.yield %r#1 : tensor<1x2xf32>
  } else {
    // expected-warning @+1 {{never ran on the calibration data (in a branch or loop it did not take), so it stays in float}}
    %m = qc.matmul %r#1, %w : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
    scf.yield %m : tensor<1x2xf32>
  } {qc.range = array<f64: -1.0, 2.0>}
  return %y : tensor<1x2xf32>
}
