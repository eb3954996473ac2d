// RUN: quant-opt %s --split-input-file --convert-qc-to-linalg | FileCheck %s

// Float8 values live in f32: a cast to E4M3FN rounds |x| to the format's
// spacing there (2^(e - 3), no finer than the subnormals' 2^-9) to nearest
// even, is NaN past 448 (E4M3FN has no infinity) and takes x's sign; the
// cast back is a copy.
// CHECK-LABEL: func.func @round_trip
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>) -> tensor<4xf32>
// CHECK: %[[F:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<4xf32>) outs(%{{.*}} : tensor<4xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[ABS:.*]] = math.absf %[[IN]]
// CHECK: %[[MIN:.*]] = arith.constant -6 : i32
// CHECK: arith.maxsi %{{.*}}, %[[MIN]]
// CHECK: %[[MANTISSA:.*]] = arith.constant 3 : i32
// CHECK: %[[STEP:.*]] = arith.subi %{{.*}}, %[[MANTISSA]]
// CHECK: %[[SCALED:.*]] = arith.mulf %[[ABS]], %{{.*}}
// CHECK: %[[STEPS:.*]] = math.roundeven %[[SCALED]]
// CHECK: %[[ROUNDED:.*]] = arith.mulf %[[STEPS]], %{{.*}}
// CHECK: %[[NAN:.*]] = arith.constant 0x7FC00000 : f32
// CHECK: %[[LARGEST:.*]] = arith.constant 4.480000e+02 : f32
// CHECK: %[[OVER:.*]] = arith.cmpf ogt, %[[ROUNDED]], %[[LARGEST]]
// CHECK: %[[HELD:.*]] = arith.select %[[OVER]], %[[NAN]], %[[ROUNDED]]
// CHECK: %[[SIGNED:.*]] = math.copysign %[[HELD]], %[[IN]]
// CHECK-NEXT: linalg.yield %[[SIGNED]]
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%[[F]] : tensor<4xf32>)
// CHECK-NEXT: ^bb0(%[[V:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[V]]
// CHECK: return %[[Y]]
func.func @round_trip(%x: tensor<4xf32>) -> tensor<4xf32> {
  %f = qc.cast %x : tensor<4xf32> -> tensor<4xf8E4M3FN>
  %y = qc.cast %f : tensor<4xf8E4M3FN> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// E5M2 has infinities: past 57344 a value is infinite.
// CHECK-LABEL: func.func @with_infinity
// CHECK: arith.constant -14 : i32
// CHECK: arith.constant 2 : i32
// CHECK: %[[INF:.*]] = arith.constant 0x7F800000 : f32
// CHECK: %[[LARGEST:.*]] = arith.constant 5.734400e+04 : f32
// CHECK: arith.select %{{.*}}, %[[INF]], %{{.*}}
func.func @with_infinity(%x: tensor<4xf32>) -> tensor<4xf32> {
  %f = qc.cast %x : tensor<4xf32> -> tensor<4xf8E5M2>
  %y = qc.cast %f : tensor<4xf8E5M2> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// A float8 constant is its values in f32; the FNUZ formats have no -0, so
// the rounded value gets + 0 after its sign.
// CHECK-LABEL: func.func @fnuz
// CHECK: arith.constant dense<[5.000000e-01, -2.400000e+02]> : tensor<2xf32>
// CHECK: arith.constant -15 : i32
// CHECK: %[[SIGNED:.*]] = math.copysign
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[POSITIVE:.*]] = arith.addf %[[SIGNED]], %[[ZERO]]
// CHECK-NEXT: linalg.yield %[[POSITIVE]]
func.func @fnuz(%x: tensor<2xf32>) -> tensor<2xf32> {
  %c = qc.constant dense<[0.5, -240.0]> : tensor<2xf8E4M3FNUZ>
  %w = qc.cast %c : tensor<2xf8E4M3FNUZ> -> tensor<2xf32>
  %f = qc.cast %x : tensor<2xf32> -> tensor<2xf8E5M2FNUZ>
  %g = qc.cast %f : tensor<2xf8E5M2FNUZ> -> tensor<2xf32>
  %s = qc.add %w, %g : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %s : tensor<2xf32>
}
