// RUN: quant-opt %s --split-input-file --qc-collapse-loops | FileCheck %s
// RUN: quant-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qc-collapse-loops,cse))' | FileCheck %s --check-prefix=CSE

// Rule: an element-wise op with a channel scale ([1, C, 1, 1], read through
// constant indices) drops its unit dimensions, then collapses each plane's
// rows into one loop: the scale is read by the channel loop, the planes
// through collapsed views.
// CHECK-LABEL: func.func @channel_scale
// CHECK-DAG: %[[SCALE:.*]] = memref.collapse_shape %arg1 {{\[\[}}0, 1, 2, 3]] : memref<1x96x1x1xf32> into memref<96xf32>
// CHECK-DAG: %[[X:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0], [1, 2]] : memref<96x20x20xf32> into memref<96x400xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID:.*]], #[[CHANNEL:.*]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]], %[[SCALE]] : memref<96x400xf32>, memref<96xf32>)
// CHECK: arith.mulf
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#bc = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>
func.func @channel_scale(%x: memref<1x96x20x20xf32>, %s: memref<1x96x1x1xf32>, %y: memref<1x96x20x20xf32>) {
  linalg.generic {indexing_maps = [#id, #bc, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %s : memref<1x96x20x20xf32>, memref<1x96x1x1xf32>) outs(%y : memref<1x96x20x20xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Rule: an output that is a slice of a concatenation (a strided view with an
// offset) drops its unit dimension and collapses its planes as well.
// CHECK-LABEL: func.func @into_concat_slice
// CHECK: %[[SLICE:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0], [1, 2]] : memref<24x40x40xf32, strided<[1600, 40, 1], offset: 115200>> into memref<24x1600xf32, strided<[1600, 1], offset: 115200>>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: outs(%[[SLICE]] : memref<24x1600xf32, strided<[1600, 1], offset: 115200>>)
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#bc = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>
func.func @into_concat_slice(%x: memref<1x24x40x40xf32>, %s: memref<1x24x1x1xf32>, %y: memref<1x24x40x40xf32, strided<[153600, 1600, 40, 1], offset: 115200>>) {
  linalg.generic {indexing_maps = [#id, #bc, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %s : memref<1x24x40x40xf32>, memref<1x24x1x1xf32>) outs(%y : memref<1x24x40x40xf32, strided<[153600, 1600, 40, 1], offset: 115200>>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Rule: an op that scales a buffer in place collapses it once per operand;
// the CSE that the CPU pipeline runs next leaves one view to read and write
// (two reach LLVM as two pointers that may overlap, and the loop stays
// scalar).
// CHECK-LABEL: func.func @scale_in_place
// CHECK-COUNT-2: memref.collapse_shape %arg0 {{\[\[}}0, 1], [2], [3]]
// CSE-LABEL: func.func @scale_in_place
// CSE: %[[FLAT:.*]] = memref.collapse_shape %arg0 {{\[\[}}0, 1], [2], [3]]
// CSE-NOT: memref.collapse_shape %arg0
// CSE: %[[PLANES:.*]] = memref.collapse_shape %[[FLAT]] {{\[\[}}0], [1, 2]]
// CSE-NOT: memref.collapse_shape %[[FLAT]]
// CSE: linalg.generic {{.*}}ins(%[[PLANES]], %{{.*}} : memref<8x400xf32>, memref<8xf32>) outs(%[[PLANES]] : memref<8x400xf32>)
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#bc = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>
func.func @scale_in_place(%x: memref<1x8x20x20xf32>, %s: memref<1x8x1x1xf32>) {
  linalg.generic {indexing_maps = [#id, #bc, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %s : memref<1x8x20x20xf32>, memref<1x8x1x1xf32>) outs(%x : memref<1x8x20x20xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Rule: a fill of a pooling's padded planes is one loop over every element,
// as a linalg.fill or as the linalg.map that a padding bufferizes to.
// CHECK-LABEL: func.func @padded_fill
// CHECK: %[[ALL:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0, 1, 2]] : memref<128x14x14xf32> into memref<25088xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel"]} ins(%{{.*}} : f32) outs(%[[ALL]] : memref<25088xf32>)
// CHECK: %[[MAPPED:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0, 1, 2]] : memref<128x14x14xf32> into memref<25088xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel"]} outs(%[[MAPPED]] : memref<25088xf32>)
// CHECK-NOT: linalg.fill
// CHECK-NOT: linalg.map
func.func @padded_fill(%p: memref<1x128x14x14xf32>, %q: memref<1x128x14x14xf32>) {
  %ninf = arith.constant 0xFF800000 : f32
  linalg.fill ins(%ninf : f32) outs(%p : memref<1x128x14x14xf32>)
  linalg.map outs(%q : memref<1x128x14x14xf32>)
    (%init: f32) {
      linalg.yield %ninf : f32
    }
  return
}

// -----

// Rule: innermost reductions read contiguously (a global pool over each
// channel's plane, summed in f64; the sum of a whole tensor) collapse into
// one reduction loop, which visits the elements in the same order.
// CHECK-LABEL: func.func @plane_sums
// CHECK: %[[PLANES:.*]] = memref.collapse_shape %arg0 {{\[\[}}0], [1, 2]] : memref<3x4x5xf32> into memref<3x20xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[PLANES]] : memref<3x20xf32>) outs(%arg1 : memref<3xf64>)
// CHECK: %[[ALL:.*]] = memref.collapse_shape %arg0 {{\[\[}}0, 1, 2]] : memref<3x4x5xf32> into memref<60xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction"]} ins(%[[ALL]] : memref<60xf32>) outs(%arg2 : memref<f32>)
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

// Rule: loops of different kinds stay apart: the rows of a row sum
// collapse, its reduction stays its own loop.
// CHECK-LABEL: func.func @row_sums
// CHECK: %[[ROWS:.*]] = memref.collapse_shape %arg0 {{\[\[}}0, 1], [2]] : memref<3x4x4xf32> into memref<12x4xf32>
// CHECK: %[[SUMS:.*]] = memref.collapse_shape %arg1 {{\[\[}}0, 1]] : memref<3x4xf32> into memref<12xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[ROWS]] : memref<12x4xf32>) outs(%[[SUMS]] : memref<12xf32>)
#x3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#r3 = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @row_sums(%x: memref<3x4x4xf32>, %rows: memref<3x4xf32>) {
  linalg.generic {indexing_maps = [#x3, #r3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x : memref<3x4x4xf32>) outs(%rows : memref<3x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Rule: a view collapses where its layout is contiguous only: a slice of
// wider rows keeps its rows apart, its planes of rows collapse.
// CHECK-LABEL: func.func @slice_of_wider_rows
// CHECK: %[[ROWS:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : memref<3x4x4xf32, strided<[32, 8, 1]>> into memref<12x4xf32, strided<[8, 1]>>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins(%[[ROWS]] : memref<12x4xf32, strided<[8, 1]>>)
#x3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @slice_of_wider_rows(%wide: memref<3x4x8xf32>, %y: memref<3x4x4xf32>) {
  %slice = memref.subview %wide[0, 0, 0] [3, 4, 4] [1, 1, 1] : memref<3x4x8xf32> to memref<3x4x4xf32, strided<[32, 8, 1]>>
  linalg.generic {indexing_maps = [#x3, #x3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%slice : memref<3x4x4xf32, strided<[32, 8, 1]>>) outs(%y : memref<3x4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.negf %in : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Rule: loops stay apart where collapsing them would change what is read or
// in which order: a view whose rows are not contiguous (a slice of wider
// rows), an operand that reads the plane transposed, a body that reads its
// indices, and a pooling window (over a 1 x 1 output: no unit loop is
// dropped either) whose taps are offsets of the output pixel and cover 3 x 3
// of a 4 x 4 plane.
// CHECK-LABEL: func.func @kept_apart
// CHECK-NOT: memref.collapse_shape
// CHECK: iterator_types = ["parallel", "reduction", "reduction"]
// CHECK: iterator_types = ["parallel", "reduction", "reduction"]
// CHECK: iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]
// CHECK-NOT: memref.collapse_shape
#x3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#xt = affine_map<(d0, d1, d2) -> (d0, d2, d1)>
#c3 = affine_map<(d0, d1, d2) -> (d0)>
#window = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 * 2 + d3, d2 * 2 + d4)>
#taps = affine_map<(d0, d1, d2, d3, d4) -> (d3, d4)>
#pixel = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2)>
func.func @kept_apart(%wide: memref<3x4x8xf32>, %x: memref<3x4x4xf32>, %c: memref<3xf32>, %t: memref<3x3xf32>, %pooled: memref<3x1x1xf32>) {
  %slice = memref.subview %wide[0, 0, 0] [3, 4, 4] [1, 1, 1] : memref<3x4x8xf32> to memref<3x4x4xf32, strided<[32, 8, 1]>>
  linalg.generic {indexing_maps = [#x3, #c3], iterator_types = ["parallel", "reduction", "reduction"]}
      ins(%slice : memref<3x4x4xf32, strided<[32, 8, 1]>>) outs(%c : memref<3xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#x3, #xt, #c3], iterator_types = ["parallel", "reduction", "reduction"]}
      ins(%x, %x : memref<3x4x4xf32>, memref<3x4x4xf32>) outs(%c : memref<3xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %p, %out : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#x3, #c3], iterator_types = ["parallel", "reduction", "reduction"]}
      ins(%x : memref<3x4x4xf32>) outs(%c : memref<3xf32>) {
  ^bb0(%in: f32, %out: f32):
    %k = linalg.index 2 : index
    %ki = arith.index_cast %k : index to i32
    %kf = arith.sitofp %ki : i32 to f32
    %p = arith.mulf %in, %kf : f32
    %r = arith.addf %p, %out : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#window, #taps, #pixel], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %t : memref<3x4x4xf32>, memref<3x3xf32>) outs(%pooled : memref<3x1x1xf32>) {
  ^bb0(%in: f32, %tap: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  }
  return
}
