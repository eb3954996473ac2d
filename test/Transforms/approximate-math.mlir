// RUN: quant-opt %s --qc-approximate-math | FileCheck %s

// Rule: f32 exp, tanh and erf (scalar or vector) become arithmetic; other
// functions and f64 ones stay as they are (libm calls later).
// CHECK-LABEL: func.func @approximated
// CHECK-NOT: math.exp
// CHECK-NOT: math.tanh
// CHECK-NOT: math.erf
// CHECK: arith.mulf
// CHECK: return
func.func @approximated(%x: f32, %v: vector<8xf32>) -> (f32, vector<8xf32>, f32) {
  %e = math.exp %x : f32
  %t = math.tanh %v : vector<8xf32>
  %r = math.erf %x : f32
  return %e, %t, %r : f32, vector<8xf32>, f32
}

// CHECK-LABEL: func.func @kept
// CHECK: math.exp %{{.*}} : f64
// CHECK: math.sqrt %{{.*}} : f32
// CHECK: math.atan %{{.*}} : f32
func.func @kept(%x: f64, %y: f32) -> (f64, f32, f32) {
  %e = math.exp %x : f64
  %s = math.sqrt %y : f32
  %a = math.atan %y : f32
  return %e, %s, %a : f64, f32, f32
}
