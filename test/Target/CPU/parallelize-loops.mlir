// RUN: quant-opt %s --split-input-file --qc-parallelize-loops="min-work=4096" --verify-diagnostics | FileCheck %s

// Rule: a large element-wise loop moves into a private function of
// (context, first, last) over its range [first, last) and is called through
// quantc_parallel_range with its extent and an alignment of 64 elements.
// Its buffers and the captured scale (operands first) travel in a stack
// struct allocated at the function's entry; the constant is rebuilt in the
// body.
// CHECK-LABEL: func.func private @quantc_parallel_range((!llvm.ptr, index, index) -> (), !llvm.ptr, index, index)
// CHECK-LABEL: func.func @scale(
// CHECK-SAME: %[[X:.*]]: memref<8192xf32>, %[[S:.*]]: f32, %[[Y:.*]]: memref<8192xf32>)
// CHECK: %[[SLOT:.*]] = llvm.alloca %{{.*}} x !llvm.struct<(struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>, struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>, f32)>
// CHECK: %[[XD:.*]] = builtin.unrealized_conversion_cast %[[X]] : memref<8192xf32> to !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>
// CHECK: llvm.insertvalue %[[XD]], %{{.*}}[0]
// CHECK: %[[YD:.*]] = builtin.unrealized_conversion_cast %[[Y]]
// CHECK: llvm.insertvalue %[[YD]], %{{.*}}[1]
// CHECK: llvm.insertvalue %[[S]], %{{.*}}[2]
// CHECK: llvm.store %{{.*}}, %[[SLOT]]
// CHECK: %[[FN:.*]] = constant @scale_parallel : (!llvm.ptr, index, index) -> ()
// CHECK-DAG: %[[N:.*]] = arith.constant 8192 : index
// CHECK-DAG: %[[A:.*]] = arith.constant 64 : index
// CHECK: call @quantc_parallel_range(%[[FN]], %[[SLOT]], %[[N]], %[[A]])
// CHECK-NOT: linalg.generic
// CHECK: return
// CHECK-LABEL: func.func private @scale_parallel(
// CHECK-SAME: %[[CTX:.*]]: !llvm.ptr, %[[FIRST:.*]]: index, %[[LAST:.*]]: index)
// CHECK-SAME: attributes {llvm.linkage = #llvm.linkage<internal>}
// CHECK: %[[FIELDS:.*]] = llvm.load %[[CTX]]
// CHECK: %[[XF:.*]] = llvm.extractvalue %[[FIELDS]][0]
// CHECK: %[[XM:.*]] = builtin.unrealized_conversion_cast %[[XF]] : !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)> to memref<8192xf32>
// CHECK: %[[SF:.*]] = llvm.extractvalue %[[FIELDS]][2]
// CHECK: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: %[[SIZE:.*]] = arith.subi %[[LAST]], %[[FIRST]] : index
// CHECK: %[[XV:.*]] = memref.subview %[[XM]][%[[FIRST]]] [%[[SIZE]]] [1]
// CHECK: %[[YV:.*]] = memref.subview %{{.*}}[%[[FIRST]]] [%[[SIZE]]] [1]
// CHECK: linalg.generic {{.*}} ins(%[[XV]] : memref<?xf32, strided<[1], offset: ?>>) outs(%[[YV]]
// CHECK: arith.mulf %{{.*}}, %[[SF]]
// CHECK: arith.addf %{{.*}}, %[[ONE]]
#id = affine_map<(d0) -> (d0)>
func.func @scale(%x: memref<8192xf32>, %s: f32, %y: memref<8192xf32>) {
  %one = arith.constant 1.0 : f32
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : memref<8192xf32>) outs(%y : memref<8192xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %s : f32
    %a = arith.addf %m, %one : f32
    linalg.yield %a : f32
  }
  return
}

// -----

// Rule: loops before the split run whole in every range: a reduction over
// channels (d1) splits its rows (d2, 32 of 64 elements each, so an
// alignment of 2), and linalg.index reads its position in the whole loop.
// CHECK-LABEL: func.func @channel_max
// CHECK-DAG: %[[N:.*]] = arith.constant 32 : index
// CHECK-DAG: %[[A:.*]] = arith.constant 2 : index
// CHECK: call @quantc_parallel_range(%{{.*}}, %{{.*}}, %[[N]], %[[A]])
// CHECK-LABEL: func.func private @channel_max_parallel(
// CHECK-SAME: %{{.*}}: !llvm.ptr, %[[FIRST:.*]]: index, %[[LAST:.*]]: index)
// CHECK: %[[SIZE:.*]] = arith.subi %[[LAST]], %[[FIRST]] : index
// CHECK: memref.subview %{{.*}}[0, 0, %[[FIRST]], 0] [1, 16, %[[SIZE]], 32] [1, 1, 1, 1]
// CHECK: memref.subview %{{.*}}[0, %[[FIRST]], 0] [1, %[[SIZE]], 32] [1, 1, 1]
// CHECK: linalg.generic
// CHECK: %[[ROW:.*]] = linalg.index 2 : index
// CHECK: affine.apply #{{.*}}()[%[[ROW]], %[[FIRST]]]
#in = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#out = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
func.func @channel_max(%x: memref<1x16x32x32xf32>, %y: memref<1x32x32xf32>) {
  linalg.generic {indexing_maps = [#in, #out],
                  iterator_types = ["parallel", "reduction", "parallel", "parallel"]}
      ins(%x : memref<1x16x32x32xf32>) outs(%y : memref<1x32x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %row = linalg.index 2 : index
    %i = arith.index_cast %row : index to i32
    %f = arith.sitofp %i : i32 to f32
    %a = arith.addf %in, %f : f32
    %m = arith.maximumf %a, %out : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Rule: inside a loop, the op is split at its place, and its context is
// still allocated once, at the function's entry.
// CHECK-LABEL: func.func @in_loop
// CHECK-NEXT: llvm.mlir.constant(1 : i64)
// CHECK-NEXT: llvm.alloca
// CHECK: scf.for
// CHECK-NOT: llvm.alloca
// CHECK: call @quantc_parallel_range
// CHECK: }
func.func @in_loop(%x: memref<4096xi8>, %y: memref<4096xi8>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    linalg.copy ins(%x : memref<4096xi8>) outs(%y : memref<4096xi8>)
  }
  return
}

// -----

// Rule: loops under min-work (iterations times body ops) and loops of
// dynamic sizes stay where they are.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: quantc_parallel_range
// CHECK: linalg.fill
// CHECK: linalg.copy
func.func @left_alone(%small: memref<1024xf32>, %x: memref<?xf32>, %y: memref<?xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%small : memref<1024xf32>)
  linalg.copy ins(%x : memref<?xf32>) outs(%y : memref<?xf32>)
  return
}

// -----

// Rule: a large loop that no split can share out is left on the calling
// thread, with a remark: a full reduction, and a loop whose only parallel
// dimension does not index its output.
#all = affine_map<(d0) -> (d0)>
#none = affine_map<(d0) -> ()>
func.func @unsplittable(%x: memref<8192xf32>, %sum: memref<f32>) {
  // expected-remark @below {{stays on the calling thread: no parallel loop that indexes every output has several ranges}}
  linalg.generic {indexing_maps = [#all, #none], iterator_types = ["reduction"]}
      ins(%x : memref<8192xf32>) outs(%sum : memref<f32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.addf %in, %out : f32
    linalg.yield %a : f32
  }
  return
}
