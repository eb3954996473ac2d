// RUN: quant-opt %s --qc-expand-divisions | FileCheck %s

// Rule: ceil and floor divisions, which LLVM has no instruction for, are
// expanded; minimum and maximum are left for LLVM's intrinsics.
// CHECK-LABEL: func.func @divisions
// CHECK-NOT: arith.floordivsi
// CHECK-NOT: arith.ceildivsi
// CHECK-NOT: arith.ceildivui
// CHECK: arith.divsi
// CHECK: return
func.func @divisions(%a: i32, %b: i32) -> (i32, i32, i32) {
  %f = arith.floordivsi %a, %b : i32
  %c = arith.ceildivsi %a, %b : i32
  %u = arith.ceildivui %a, %b : i32
  return %f, %c, %u : i32, i32, i32
}

// CHECK-LABEL: func.func @extrema
// CHECK: arith.maximumf %arg0, %arg1 : f32
// CHECK: arith.minimumf %arg0, %arg1 : f32
// CHECK: arith.maxsi %arg2, %arg3 : i32
// CHECK: arith.minui %arg2, %arg3 : i32
func.func @extrema(%x: f32, %y: f32, %i: i32, %j: i32) -> (f32, f32, i32, i32) {
  %a = arith.maximumf %x, %y : f32
  %b = arith.minimumf %x, %y : f32
  %c = arith.maxsi %i, %j : i32
  %d = arith.minui %i, %j : i32
  return %a, %b, %c, %d : f32, f32, i32, i32
}
