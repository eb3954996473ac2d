// RUN: quant-opt %s --split-input-file --convert-qc-to-linalg | FileCheck %s

// Rule: one generic keeps each window's largest in-bounds value and its flat
// input position; a tap wins when it is inside the input and either the
// first one or strictly larger. Row-major: ((n * C + c) * H + h) * W + w,
// with h = oh * 2 - 1 + kh (stride 2, pad 1).
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 * 2 + d4, d3 * 2 + d5)>
// CHECK-LABEL: func.func @indices
// CHECK: tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: %[[NONE:.*]] = linalg.fill ins(%c-1_i64 : i64)
// CHECK: linalg.generic {indexing_maps = [#[[IN]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
// CHECK-SAME: outs(%{{.*}}, %[[NONE]] : tensor<1x3x3x3xf32>, tensor<1x3x3x3xi64>)
// CHECK: ^bb0(%[[X:[[:alnum:]_]+]]: f32, %{{.*}}: f32, %[[BEST:[[:alnum:]_]+]]: f32, %[[AT:[[:alnum:]_]+]]: i64):
// CHECK: %[[H:.*]] = arith.subi %{{.*}}, %c1
// CHECK: %[[W:.*]] = arith.subi %{{.*}}, %c1
// CHECK: %[[N:.*]] = linalg.index 0 : index
// CHECK: %[[NC:.*]] = arith.muli %[[N]], %c3
// CHECK: %[[PLANE:.*]] = arith.addi %[[NC]]
// CHECK: %[[ROWS:.*]] = arith.muli %[[PLANE]], %c5
// CHECK: %[[ROW:.*]] = arith.addi %[[ROWS]], %[[H]]
// CHECK: %[[COLS:.*]] = arith.muli %[[ROW]], %c5
// CHECK: arith.addi %[[COLS]], %[[W]]
// CHECK: %[[LARGER:.*]] = arith.cmpf ogt, %[[X]], %[[BEST]] : f32
// CHECK: %[[NONE2:.*]] = arith.cmpi slt, %[[AT]], %c0_i64 : i64
// CHECK: %[[EITHER:.*]] = arith.ori %[[NONE2]], %[[LARGER]] : i1
// CHECK: %[[TAKE:.*]] = arith.andi %{{.*}}, %[[EITHER]] : i1
// CHECK: arith.select %[[TAKE]], %[[X]], %[[BEST]] : f32
// CHECK: linalg.yield
func.func @indices(%x: tensor<1x3x5x5xf32>) -> tensor<1x3x3x3xi64> {
  %i = qc.max_pool_indices %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x5x5xf32>) -> tensor<1x3x3x3xi64>
  return %i : tensor<1x3x3x3xi64>
}

// -----

// Rule: stored integers of unsigned quantized values compare unsigned;
// column-major storage flattens the spatial position w-first:
// (plane * W + w) * H + h.
!q = !quant.uniform<u8:f32, 0.1:128>
// CHECK-LABEL: func.func @quantized
// CHECK: %[[H:.*]] = arith.subi
// CHECK: %[[W:.*]] = arith.subi
// CHECK: %[[COLS:.*]] = arith.muli %{{.*}}, %c5
// CHECK: %[[COL:.*]] = arith.addi %[[COLS]], %[[W]]
// CHECK: %[[ROWS:.*]] = arith.muli %[[COL]], %c4
// CHECK: arith.addi %[[ROWS]], %[[H]]
// CHECK: arith.cmpi ugt
func.func @quantized(%x: tensor<1x1x4x5x!q>) -> tensor<1x1x4x5xi64> {
  %i = qc.max_pool_indices %x {kernel_shape = array<i64: 1, 1>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, storage_order = 1} : (tensor<1x1x4x5x!q>) -> tensor<1x1x4x5xi64>
  return %i : tensor<1x1x4x5xi64>
}
