// RUN: quant-opt %s --split-input-file --qc-reassociate-reductions | FileCheck %s

// Rule: the addition that combines a reduction's accumulator with the next
// term may reorder (a softmax's row sums in f64), keeping flags it had.
// CHECK-LABEL: func.func @row_sums
// CHECK: arith.addf %out, %{{.*}} fastmath<reassoc> : f64
// CHECK-LABEL: func.func @row_products
// CHECK: arith.mulf %in, %out fastmath<reassoc,contract> : f32
#in = affine_map<(d0, d1) -> (d0, d1)>
#out = affine_map<(d0, d1) -> (d0)>
func.func @row_sums(%x: memref<40x6625xf32>, %s: memref<40xf64>) {
  linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<40x6625xf32>) outs(%s : memref<40xf64>) {
  ^bb0(%in: f32, %out: f64):
    %w = arith.extf %in : f32 to f64
    %r = arith.addf %out, %w : f64
    linalg.yield %r : f64
  }
  return
}
func.func @row_products(%x: memref<4x8xf32>, %p: memref<4xf32>) {
  linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x8xf32>) outs(%p : memref<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.mulf %in, %out fastmath<contract> : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Rule: everything else keeps its order: elementwise arithmetic (a
// requantization's scale and offset), a term computed before it joins the
// accumulator, a maximum, and integer sums.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: reassoc
#id = affine_map<(d0) -> (d0)>
#in = affine_map<(d0, d1) -> (d0, d1)>
#out = affine_map<(d0, d1) -> (d0)>
func.func @left_alone(%x: memref<8xf32>, %y: memref<8xf32>, %m: memref<4x8xf32>,
                      %r: memref<4xf32>, %i: memref<4x8xi32>, %ri: memref<4xi32>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : memref<8xf32>) outs(%y : memref<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %c = arith.constant 0.5 : f32
    %s = arith.mulf %in, %c : f32
    %t = arith.addf %s, %c : f32
    linalg.yield %t : f32
  }
  linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "reduction"]}
      ins(%m : memref<4x8xf32>) outs(%r : memref<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %sq = arith.mulf %in, %in : f32
    %mx = arith.maximumf %sq, %out : f32
    linalg.yield %mx : f32
  }
  linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "reduction"]}
      ins(%i : memref<4x8xi32>) outs(%ri : memref<4xi32>) {
  ^bb0(%in: i32, %out: i32):
    %s = arith.addi %in, %out : i32
    linalg.yield %s : i32
  }
  return
}
