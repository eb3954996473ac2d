// RUN: quant-opt %s --split-input-file --convert-qc-to-linalg | FileCheck %s

// Rule: a math function is one math op on the f32 element (libm later).
// CHECK-LABEL: func.func @acosh
// CHECK: linalg.generic
// CHECK: math.acosh %{{.*}} : f32
// CHECK-NOT: qc.
func.func @acosh(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %y = qc.acosh %x : tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// Rule: f16 widens to f32 and rounds back, as the evaluator computes.
// CHECK-LABEL: func.func @floor_f16
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: math.floor %{{.*}} : f32
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @floor_f16(%x: tensor<4xf16>) -> tensor<4xf16> {
  %y = qc.floor %x : tensor<4xf16>
  return %y : tensor<4xf16>
}

// -----

// Rule: elu is a select between x and alpha * expm1(x).
// CHECK-LABEL: func.func @elu
// CHECK: %[[ALPHA:.*]] = arith.constant 5.000000e-01 : f32
// CHECK: %[[NEG:.*]] = arith.cmpf olt, %{{.*}}, %{{.*}} : f32
// CHECK: %[[E:.*]] = math.expm1 %{{.*}} : f32
// CHECK: %[[T:.*]] = arith.mulf %[[ALPHA]], %[[E]] : f32
// CHECK: arith.select %[[NEG]], %[[T]], %{{.*}} : f32
func.func @elu(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = qc.elu %x {alpha = 0.5 : f32} : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Rule: integer sign selects among -1, 0 and 1 on the storage type.
// CHECK-LABEL: func.func @sign_i32
// CHECK: arith.cmpi sgt, %{{.*}}, %{{.*}} : i32
// CHECK: arith.cmpi slt, %{{.*}}, %{{.*}} : i32
// CHECK-COUNT-2: arith.select
func.func @sign_i32(%x: tensor<4xi32>) -> tensor<4xi32> {
  %y = qc.sign %x : tensor<4xi32>
  return %y : tensor<4xi32>
}

// -----

// Rule: is_nan is an unordered self-comparison; is_inf compares with the
// infinities it detects.
// CHECK-LABEL: func.func @predicates
// CHECK: arith.cmpf uno, %[[X:.*]], %[[X]] : f32
// CHECK: arith.cmpf oeq, %{{.*}}, %{{.*}} : f32
// CHECK: arith.ori
func.func @predicates(%x: tensor<4xf32>) -> (tensor<4xi1>, tensor<4xi1>) {
  %a = qc.is_nan %x : (tensor<4xf32>) -> tensor<4xi1>
  %b = qc.is_inf %x {detect_negative = true, detect_positive = true} : (tensor<4xf32>) -> tensor<4xi1>
  return %a, %b : tensor<4xi1>, tensor<4xi1>
}

// -----

// Rule: floored integer mod is remsi plus the divisor where the signs
// differ; divisors 0 and -1 give 0.
// CHECK-LABEL: func.func @mod_floored
// CHECK: arith.remsi
// CHECK: arith.addi
// CHECK: arith.select
func.func @mod_floored(%a: tensor<4xi64>, %b: tensor<4xi64>) -> tensor<4xi64> {
  %y = qc.mod %a, %b : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  return %y : tensor<4xi64>
}

// -----

// Rule: float fmod is arith.remf with no sign fix-up.
// CHECK-LABEL: func.func @mod_fmod
// CHECK: arith.remf
// CHECK-NOT: arith.addf
func.func @mod_fmod(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %y = qc.mod %a, %b {fmod = true} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Rule: shifts by the width or more give 0.
// CHECK-LABEL: func.func @shift_left
// CHECK: %[[W:.*]] = arith.constant 32 : i32
// CHECK: %[[FAR:.*]] = arith.cmpi uge, %{{.*}}, %[[W]] : i32
// CHECK: %[[S:.*]] = arith.shli
// CHECK: arith.select %[[FAR]], %{{.*}}, %[[S]] : i32
func.func @shift_left(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %y = qc.shift_left %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return %y : tensor<4xi32>
}
