// Values of a loop body have one range, observed over every iteration; a
// branch the data never takes has none. Data: x = [0.5, -0.25], doubled
// three times in the loop.
// RUN: %qc_python -c "import numpy as n; n.savez('%t.npz', x=n.array([[0.5, -0.25]], n.float32))"
// RUN: quant-opt %s --qc-calibrate="data=%t.npz" | FileCheck %s

// The body's argument holds x, 2x and 4x; its product 2x, 4x and 8x. The
// before region also sees 8x, the value that leaves the loop.
// CHECK-LABEL: func.func @main
// CHECK: qc.mul %{{.*}} {qc.range = array<f64: -2.000000e+00, 4.000000e+00>}
// CHECK: qc.region_ranges = [
// CHECK-SAME: [unit, unit, array<f64: -2.000000e+00, 4.000000e+00>],
// CHECK-SAME: [unit, unit, array<f64: -1.000000e+00, 2.000000e+00>]]
// CHECK-SAME: qc.result_ranges = [unit, unit, array<f64: -2.000000e+00, 4.000000e+00>]
// The else branch never runs: its op has no range, the if's result has.
// CHECK: scf.if
// CHECK: qc.relu %{{.*}} {qc.range = array<f64: 0.000000e+00, 4.000000e+00>}
// CHECK: } else {
// CHECK-NEXT: qc.neg %{{[0-9a-z#]*}} : tensor<2xf32>
// CHECK: } {qc.range = array<f64: 0.000000e+00, 4.000000e+00>}
func.func @main(%x: tensor<2xf32> {qc.name = "x"}) -> tensor<2xf32> {
  %zero = qc.constant dense<0> : tensor<i64>
  %one = qc.constant dense<1> : tensor<i64>
  %three = qc.constant dense<3> : tensor<i64>
  %two = qc.constant dense<2.0> : tensor<f32>
  %true = qc.constant dense<true> : tensor<i1>
  %r:3 = scf.while (%i = %zero, %c = %true, %a = %x) : (tensor<i64>, tensor<i1>, tensor<2xf32>) -> (tensor<i64>, tensor<i1>, tensor<2xf32>) {
    %lt = qc.less %i, %three : (tensor<i64>, tensor<i64>) -> tensor<i1>
    %go = tensor.extract %lt[] : tensor<i1>
    scf.condition(%go) %i, %c, %a : tensor<i64>, tensor<i1>, tensor<2xf32>
  } do {
  ^bb0(%i: tensor<i64>, %c: tensor<i1>, %a: tensor<2xf32>):
    %next = qc.add %i, %one : (tensor<i64>, tensor<i64>) -> tensor<i64>
    %doubled = qc.mul %a, %two : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
    scf.yield %next, %c, %doubled : tensor<i64>, tensor<i1>, tensor<2xf32>
  }
  %cond = tensor.extract %true[] : tensor<i1>
  %y = scf.if %cond -> (tensor<2xf32>) {
    %p = qc.relu %r#2 : tensor<2xf32>
    scf.yield %p : tensor<2xf32>
  } else {
    %n = qc.neg %r#2 : tensor<2xf32>
    scf.yield %n : tensor<2xf32>
  }
  return %y : tensor<2xf32>
}
