// RUN: quant-opt %s --split-input-file --convert-qc-to-linalg | FileCheck %s

// Rule: a unary float op is a linalg.generic computing its formula in f32.
// CHECK-LABEL: func.func @sigmoid
// CHECK: linalg.generic
// CHECK: %[[N:.*]] = arith.negf %{{.*}} : f32
// CHECK: %[[E:.*]] = math.exp %[[N]] : f32
// CHECK: %[[D:.*]] = arith.addf %{{.*}}, %[[E]] : f32
// CHECK: arith.divf %{{.*}}, %[[D]] : f32
// CHECK-NOT: qc.
func.func @sigmoid(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %y = qc.sigmoid %x : tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// Rule: clip is max then min with the evaluator's std::max/std::min
// semantics (select on ordered comparisons).
// CHECK-LABEL: func.func @clip
// CHECK-DAG: %[[LO:.*]] = arith.constant -1.000000e+00 : f32
// CHECK-DAG: %[[HI:.*]] = arith.constant 6.000000e+00 : f32
// CHECK: arith.cmpf olt, %[[LO]], %{{.*}} : f32
// CHECK: arith.cmpf olt, %{{.*}}, %[[HI]] : f32
func.func @clip(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = qc.clip %x {min = -1.0 : f32, max = 6.0 : f32} : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Rule: binary ops broadcast numpy-style through their indexing maps; the
// size-1 dim of the rhs reads index 0.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: func.func @add_broadcast
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]]
// CHECK: arith.addf
func.func @add_broadcast(%a: tensor<3x4xf32>, %b: tensor<1x4xf32>) -> tensor<3x4xf32> {
  %y = qc.add %a, %b : (tensor<3x4xf32>, tensor<1x4xf32>) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

// Rule: integer division truncates and gives 0 for a zero divisor.
// CHECK-LABEL: func.func @div_int
// CHECK: arith.cmpi eq
// CHECK: arith.divsi
// CHECK: arith.select
func.func @div_int(%a: tensor<4xi64>, %b: tensor<4xi64>) -> tensor<4xi64> {
  %y = qc.div %a, %b : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  return %y : tensor<4xi64>
}

// -----

// Rule: comparisons give i1; where selects.
// CHECK-LABEL: func.func @compare_where
// CHECK: arith.cmpf olt
// CHECK: arith.select
func.func @compare_where(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %c = qc.less %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %y = qc.where %c, %a, %b : (tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Rule: a float to integer cast truncates toward zero, then wraps.
// CHECK-LABEL: func.func @cast
// CHECK: arith.fptosi %{{.*}} : f32 to i64
// CHECK: arith.trunci %{{.*}} : i64 to i8
func.func @cast(%a: tensor<4xf32>) -> tensor<4xi8> {
  %y = qc.cast %a : tensor<4xf32> -> tensor<4xi8>
  return %y : tensor<4xi8>
}

// -----

// Rule: bf16 values compute in f32 and round back.
// CHECK-LABEL: func.func @relu_bf16
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: arith.truncf %{{.*}} : f32 to bf16
func.func @relu_bf16(%a: tensor<4xbf16>) -> tensor<4xbf16> {
  %y = qc.relu %a : tensor<4xbf16>
  return %y : tensor<4xbf16>
}

// -----

// Rule: softplus uses the evaluator's formula, x + log1p(exp(-x)) for
// x > 0 and log1p(exp(x)) otherwise, as max(x, 0) + log1p(exp(-|x|)).
// CHECK-LABEL: func.func @softplus
// CHECK: %[[POS:.*]] = arith.cmpf ogt, %[[X:.*]], %{{.*}} : f32
// CHECK: %[[ABS:.*]] = math.absf %[[X]] : f32
// CHECK: %[[NEG:.*]] = arith.negf %[[ABS]] : f32
// CHECK: %[[EXP:.*]] = math.exp %[[NEG]] : f32
// CHECK: %[[TAIL:.*]] = math.log1p %[[EXP]] : f32
// CHECK: %[[HEAD:.*]] = arith.select %[[POS]], %[[X]], %{{.*}} : f32
// CHECK: arith.addf %[[HEAD]], %[[TAIL]] : f32
func.func @softplus(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = qc.softplus %x : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Rule: cos and sin are math.cos / math.sin on f32.
// CHECK-LABEL: func.func @trigonometry
// CHECK: linalg.generic
// CHECK: math.cos
// CHECK: linalg.generic
// CHECK: math.sin
func.func @trigonometry(%a: tensor<4xf32>) -> tensor<4xf32> {
  %c = qc.cos %a : tensor<4xf32>
  %s = qc.sin %c : tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

// Rule: <= and >= compare (ordered on floats, signed on integers); logical
// ops are i1 bitwise ops; not is an xor with true.
// CHECK-LABEL: func.func @logical
// CHECK: arith.cmpf ole
// CHECK: arith.cmpi sge
// CHECK: arith.andi
// CHECK: arith.ori
// CHECK: arith.xori
// CHECK: %[[TRUE:.*]] = arith.constant true
// CHECK: arith.xori %{{.*}}, %[[TRUE]]
func.func @logical(%a: tensor<4xf32>, %b: tensor<4xf32>, %i: tensor<4xi64>, %j: tensor<4xi64>) -> tensor<4xi1> {
  %le = qc.less_equal %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %ge = qc.greater_equal %i, %j : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi1>
  %and = qc.and %le, %ge : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %or = qc.or %and, %le : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %xor = qc.xor %or, %ge : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %not = qc.not %xor : tensor<4xi1>
  return %not : tensor<4xi1>
}
