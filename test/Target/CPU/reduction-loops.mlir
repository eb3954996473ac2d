// RUN: quant-opt %s --split-input-file --qc-reduction-loops | FileCheck %s

// Rule: a reduction over the last loop becomes the parallel loops around
// an scf.for whose accumulator is an iter_arg: the output element is
// loaded once before it and stored once after it.
// CHECK-LABEL: func.func @row_max
// CHECK: scf.for %[[ROW:.*]] = %c0 to %c40 step %c1 {
// CHECK:   %[[START:.*]] = memref.load %arg1[%[[ROW]]] : memref<40xf32>
// CHECK:   %[[MAX:.*]] = scf.for %[[COL:.*]] = %c0 to %c6625 step %c1 iter_args(%[[ACC:.*]] = %[[START]]) -> (f32) {
// CHECK:     %[[X:.*]] = memref.load %arg0[%[[ROW]], %[[COL]]] : memref<40x6625xf32>
// CHECK:     %[[NEXT:.*]] = arith.maximumf %[[X]], %[[ACC]] : f32
// CHECK:     scf.yield %[[NEXT]] : f32
// CHECK:   memref.store %[[MAX]], %arg1[%[[ROW]]] : memref<40xf32>
// CHECK-NOT: linalg.generic
#in = affine_map<(d0, d1) -> (d0, d1)>
#out = affine_map<(d0, d1) -> (d0)>
func.func @row_max(%x: memref<40x6625xf32>, %m: memref<40xf32>) {
  linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<40x6625xf32>) outs(%m : memref<40xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %out : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Rule: inputs are read through their maps (a broadcast row, a transposed
// output), linalg.index reads the loop's induction variable, and captured
// values are used as they are.
// CHECK-LABEL: func.func @weighted_sums
// CHECK: scf.for %[[I:.*]] = %c0 to %c3 step %c1 {
// CHECK:   scf.for %[[J:.*]] = %c0 to %c2 step %c1 {
// CHECK:     %[[START:.*]] = memref.load %arg2[%[[J]], %[[I]]] : memref<2x3xf64>
// CHECK:     %[[SUM:.*]] = scf.for %[[K:.*]] = %c0 to %c8 step %c1 iter_args(%[[ACC:.*]] = %[[START]]) -> (f64) {
// CHECK:       memref.load %arg0[%[[I]], %[[J]], %[[K]]] : memref<3x2x8xf32>
// CHECK:       memref.load %arg1[%[[K]]] : memref<8xf32>
// CHECK:       arith.index_cast %[[K]] : index to i64
// CHECK:       arith.mulf %{{.*}}, %arg3 : f64
// CHECK:     memref.store %[[SUM]], %arg2[%[[J]], %[[I]]] : memref<2x3xf64>
#x = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#w = affine_map<(d0, d1, d2) -> (d2)>
#t = affine_map<(d0, d1, d2) -> (d1, d0)>
func.func @weighted_sums(%x: memref<3x2x8xf32>, %w: memref<8xf32>, %y: memref<2x3xf64>, %s: f64) {
  linalg.generic {indexing_maps = [#x, #w, #t], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<3x2x8xf32>, memref<8xf32>) outs(%y : memref<2x3xf64>) {
  ^bb0(%a: f32, %b: f32, %acc: f64):
    %k = linalg.index 2 : index
    %ki = arith.index_cast %k : index to i64
    %kf = arith.sitofp %ki : i64 to f64
    %p = arith.mulf %a, %b : f32
    %pw = arith.extf %p : f32 to f64
    %scaled = arith.mulf %pw, %s : f64
    %t = arith.addf %scaled, %kf : f64
    %sum = arith.addf %acc, %t : f64
    linalg.yield %sum : f64
  }
  return
}

// -----

// Rule: scalar operands (a quantized matmul's zero points) are used as
// they are.
// CHECK-LABEL: func.func @quantized_matmul
// CHECK: scf.for %{{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (i32) {
// CHECK:   arith.subi %{{.*}}, %arg3 : i32
// CHECK:   arith.subi %{{.*}}, %arg4 : i32
func.func @quantized_matmul(%a: memref<1x5x7xi8>, %b: memref<1x7x3xi8>, %c: memref<1x5x3xi32>, %za: i32, %zb: i32) {
  linalg.quantized_batch_matmul ins(%a, %b, %za, %zb : memref<1x5x7xi8>, memref<1x7x3xi8>, i32, i32) outs(%c : memref<1x5x3xi32>)
  return
}

// -----

// Rule: several innermost reductions (a global pool over each channel's
// plane, the sum of a whole tensor) nest in their order, each carrying the
// element into the next and yielding it back out.
// CHECK-LABEL: func.func @plane_sums
// CHECK: scf.for %[[C:.*]] = %c0 to %c3 step %c1 {
// CHECK:   %[[START:.*]] = memref.load %arg1[%[[C]]] : memref<3xf64>
// CHECK:   %[[SUM:.*]] = scf.for %[[Y:.*]] = %c0 to %c4 step %c1 iter_args(%[[ROW:.*]] = %[[START]]) -> (f64) {
// CHECK:     %[[INNER:.*]] = scf.for %[[X:.*]] = %c0 to %c5 step %c1 iter_args(%[[ACC:.*]] = %[[ROW]]) -> (f64) {
// CHECK:       %[[V:.*]] = memref.load %arg0[%[[C]], %[[Y]], %[[X]]] : memref<3x4x5xf32>
// CHECK:       %[[W:.*]] = arith.extf %[[V]] : f32 to f64
// CHECK:       %[[NEXT:.*]] = arith.addf %[[ACC]], %[[W]] : f64
// CHECK:       scf.yield %[[NEXT]] : f64
// CHECK:     scf.yield %[[INNER]] : f64
// CHECK:   memref.store %[[SUM]], %arg1[%[[C]]] : memref<3xf64>
// CHECK: %[[TOTAL_START:.*]] = memref.load %arg2[] : memref<f32>
// CHECK: %[[TOTAL:.*]] = scf.for %{{.*}} = %c0 to %c3 step %c1 iter_args(%{{.*}} = %[[TOTAL_START]]) -> (f32) {
// CHECK:   scf.for %{{.*}} = %c0 to %c4 step %c1 iter_args
// CHECK:     scf.for %{{.*}} = %c0 to %c5 step %c1 iter_args
// CHECK: memref.store %[[TOTAL]], %arg2[] : memref<f32>
// CHECK-NOT: linalg.generic
#x3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#c3 = affine_map<(d0, d1, d2) -> (d0)>
#s3 = affine_map<(d0, d1, d2) -> ()>
func.func @plane_sums(%x: memref<3x4x5xf32>, %c: memref<3xf64>, %s: memref<f32>) {
  linalg.generic {indexing_maps = [#x3, #c3], iterator_types = ["parallel", "reduction", "reduction"]}
      ins(%x : memref<3x4x5xf32>) outs(%c : memref<3xf64>) {
  ^bb0(%in: f32, %out: f64):
    %w = arith.extf %in : f32 to f64
    %r = arith.addf %out, %w : f64
    linalg.yield %r : f64
  }
  linalg.generic {indexing_maps = [#x3, #s3], iterator_types = ["reduction", "reduction", "reduction"]}
      ins(%x : memref<3x4x5xf32>) outs(%s : memref<f32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Rule: reductions that are not the innermost loops are left to
// convert-linalg-to-loops: one over an outer loop, one between two
// parallel loops, and ops on tensors.
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-3: linalg.generic
// CHECK-NOT: scf.for
#in = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
#x3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#outer = affine_map<(d0, d1, d2) -> (d0, d2)>
func.func @left_alone(%x: memref<4x8xf32>, %c: memref<8xf32>, %y: memref<3x4x5xf32>, %s: memref<3x5xf32>, %t: tensor<4x8xf32>, %u: tensor<4xf32>) -> tensor<4xf32> {
  linalg.generic {indexing_maps = [#in, #col], iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<4x8xf32>) outs(%c : memref<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#x3, #outer], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%y : memref<3x4x5xf32>) outs(%s : memref<3x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  }
  %r = linalg.generic {indexing_maps = [#in, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%t : tensor<4x8xf32>) outs(%u : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %out : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}
