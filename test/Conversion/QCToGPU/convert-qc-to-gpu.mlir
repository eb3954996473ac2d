// RUN: quant-opt %s --split-input-file --convert-qc-to-gpu | FileCheck %s

#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
memref.global "private" constant @w : memref<8x64xi8> = dense<1> {alignment = 64 : i64}

// Rule: a marked contraction becomes one launch of 4-warp blocks, each
// computing 64 x 64 of C (grid: N / 64, M / 64, batch) with 2 x 4
// mma.sync m16n8k32 per warp and K step; K-contiguous rows of a multiple
// of 4 taps load as aligned 4-byte words. The weights are loaded inside the
// kernel, so outlining moves them into the kernel's module.
// CHECK-LABEL: func.func @matmul
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C128:.*]] = arith.constant 128 : index
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %[[C1]], {{.*}} = %[[C1]], {{.*}} = %[[C1]]) threads({{.*}}) in ({{.*}} = %[[C128]], {{.*}} = %[[C1]], {{.*}} = %[[C1]])
// CHECK: %[[W:.*]] = memref.get_global @w : memref<8x64xi8>
// CHECK: scf.for {{.*}} step %c32{{.*}} iter_args({{.*}}) -> (i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32)
// CHECK: vector.load %arg0[{{.*}}] {alignment = 4 : i64} : memref<5x64xi8>, vector<4xi8>
// CHECK: vector.load %[[W]][{{.*}}] {alignment = 4 : i64} : memref<8x64xi8>, vector<4xi8>
// CHECK-COUNT-8: nvvm.mma.sync A[{{.*}}, {{.*}}, {{.*}}, {{.*}}] B[{{.*}}, {{.*}}] C[{{.*}}, {{.*}}, {{.*}}, {{.*}}] {intOverflowBehavior = #nvvm.mma_int_overflow<wrapped>, layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<s8>, multiplicandBPtxType = #nvvm.mma_type<s8>, shape = #nvvm.shape<m = 16, n = 8, k = 32>} : (i32, i32, i32) -> !llvm.struct<(i32, i32, i32, i32)>
// The epilogue adds each accumulator to C (which holds the bias).
// CHECK-COUNT-32: scf.if
// CHECK-NOT: linalg.generic
func.func @matmul(%x: memref<5x64xi8>, %y: memref<5x8xi32>) {
  %w = memref.get_global @w : memref<8x64xi8>
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : memref<5x64xi8>, memref<8x64xi8>) outs(%y : memref<5x8xi32>) attrs = {qc.mma_operands = ["s8", "s8"]} {
  ^bb0(%l: i8, %r: i8, %acc: i32):
    %0 = arith.extsi %l : i8 to i32
    %1 = arith.extsi %r : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  }
  return
}

// -----

#a = affine_map<(d0, d1, d2, d3) -> (d1, d3)>
#b = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
#c = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>

// Rule: the batched form (a convolution's im2col) launches one grid layer
// per batch (130 pixels: 3 blocks along x); 27 taps (not a multiple of 4)
// load byte by byte, and u8 activations make a u8 operand.
// CHECK-LABEL: func.func @conv
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C3:.*]] = arith.constant 3 : index
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %[[C3]], {{.*}} = %[[C1]], {{.*}} = %[[C2]])
// CHECK-NOT: vector.load
// CHECK: memref.load %arg1[{{.*}}, {{.*}}, {{.*}}] : memref<2x130x27xi8>
// CHECK: nvvm.mma.sync {{.*}}multiplicandAPtxType = #nvvm.mma_type<s8>, multiplicandBPtxType = #nvvm.mma_type<u8>
// CHECK: memref.store {{.*}}, %arg2[{{.*}}, {{.*}}, {{.*}}] : memref<2x16x130xi32>
func.func @conv(%w: memref<16x27xi8>, %col: memref<2x130x27xi8>, %y: memref<2x16x130xi32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%w, %col : memref<16x27xi8>, memref<2x130x27xi8>) outs(%y : memref<2x16x130xi32>) attrs = {qc.mma_operands = ["s8", "u8"]} {
  ^bb0(%l: i8, %r: i8, %acc: i32):
    %0 = arith.extsi %l : i8 to i32
    %1 = arith.extui %r : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  }
  return
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// Rule: other linalg ops run one thread per iteration, the linear thread id
// split into the loop's indices with the last dim fastest; host buffers
// are device allocations and copies are kernels too.
// CHECK-LABEL: func.func @elementwise
// CHECK-DAG: %[[C15:.*]] = arith.constant 15 : index
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK: %[[T:.*]] = gpu.alloc () : memref<3x5xf32>
// CHECK: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in ({{.*}}) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in ({{.*}} = %[[C256]], {{.*}})
// CHECK: %[[BASE:.*]] = arith.muli %[[BX]], %[[C256]]
// CHECK: %[[LIN:.*]] = arith.addi %[[BASE]], %[[TX]]
// CHECK: %[[IN:.*]] = arith.cmpi ult, %[[LIN]], %[[C15]]
// CHECK: scf.if %[[IN]] {
// CHECK: %[[IJ:.*]]:2 = affine.delinearize_index %[[LIN]] into (3, 5)
// CHECK: memref.load %arg0[%[[IJ]]#0, %[[IJ]]#1]
// CHECK: arith.negf
// CHECK: memref.store {{.*}}, %[[T]]
// CHECK: gpu.terminator
// CHECK: gpu.launch
// CHECK: memref.load %[[T]]
// CHECK: memref.store {{.*}}, %arg1
// CHECK: gpu.dealloc %[[T]] : memref<3x5xf32>
func.func @elementwise(%x: memref<3x5xf32>, %y: memref<3x5xf32>) {
  %t = memref.alloc() : memref<3x5xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : memref<3x5xf32>) outs(%t : memref<3x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.negf %in : f32
    linalg.yield %0 : f32
  }
  memref.copy %t, %y : memref<3x5xf32> to memref<3x5xf32>
  memref.dealloc %t : memref<3x5xf32>
  return
}

// -----

// Rule: an op without parallel dims (here a full reduction) runs its loop
// in a one-thread launch.
// CHECK-LABEL: func.func @reduce_all
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %[[C1]], {{.*}} = %[[C1]], {{.*}} = %[[C1]]) threads({{.*}}) in ({{.*}} = %[[C1]], {{.*}} = %[[C1]], {{.*}} = %[[C1]])
// CHECK: scf.for
// CHECK: arith.addf
// CHECK: gpu.terminator
func.func @reduce_all(%x: memref<7xf32>, %y: memref<f32>) {
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]} ins(%x : memref<7xf32>) outs(%y : memref<f32>) {
  ^bb0(%in: f32, %acc: f32):
    %0 = arith.addf %in, %acc : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// Rule: reduction loops accumulate in registers: each thread loads its
// output element once before the (here nested) loops and stores it once
// after them.
// CHECK-LABEL: func.func @reduce_rows
// CHECK: gpu.launch
// CHECK: %[[INIT:.*]] = memref.load %{{.*}}[%[[ROW:.*]]] : memref<3xf32>
// CHECK: %[[OUTER:.*]] = scf.for {{.*}} iter_args(%[[A:.*]] = %[[INIT]]) -> (f32)
// CHECK: %[[INNER:.*]] = scf.for {{.*}} iter_args(%[[B:.*]] = %[[A]]) -> (f32)
// CHECK-NOT: memref.store
// CHECK: %[[SUM:.*]] = arith.addf %{{.*}}, %[[B]] : f32
// CHECK: scf.yield %[[SUM]] : f32
// CHECK: scf.yield %[[INNER]] : f32
// CHECK: memref.store %[[OUTER]], %{{.*}}[%[[ROW]]] : memref<3xf32>
// CHECK: gpu.terminator
func.func @reduce_rows(%x: memref<3x4x5xf32>, %y: memref<3xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0)>], iterator_types = ["parallel", "reduction", "reduction"]} ins(%x : memref<3x4x5xf32>) outs(%y : memref<3xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %0 = arith.addf %in, %acc : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// Rule: an accumulator whose buffer the loop also reads elsewhere stays in
// memory.
// CHECK-LABEL: func.func @accumulator_also_read
// CHECK: scf.for
// CHECK-NOT: iter_args
// CHECK: memref.store
// CHECK: gpu.terminator
func.func @accumulator_also_read(%x: memref<3x4xf32>, %y: memref<3xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1 floordiv 2)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x, %y : memref<3x4xf32>, memref<3xf32>) outs(%y : memref<3xf32>) {
  ^bb0(%in: f32, %other: f32, %acc: f32):
    %0 = arith.addf %in, %other : f32
    %1 = arith.addf %0, %acc : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

#a = affine_map<(d0, d1, d2, d3) -> (d1, d3)>
#b = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
#c = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#channel = affine_map<(d0, d1, d2, d3) -> (d1)>
#bias = affine_map<(d0, d1, d2) -> (d1)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// Rule: the element-wise op reading the accumulators (through the conv's
// expand_shape) fuses into the kernel's epilogue: accumulator plus bias goes
// through its body (here a per-channel scale) straight into its output, at
// the indices of the op's loops (C's linear index split over 1x4x3x3).
// CHECK-LABEL: func.func @fused_epilogue
// CHECK: %[[C:.*]] = gpu.alloc () : memref<1x4x9xi32>
// CHECK: gpu.launch
// CHECK: memref.store {{.*}}, %[[C]]
// CHECK: gpu.launch
// CHECK: nvvm.mma.sync
// CHECK: scf.if
// CHECK: %[[BIAS:.*]] = memref.load %[[C]]
// CHECK: %[[SUM:.*]] = arith.addi %[[BIAS]]
// CHECK: %[[AT:.*]]:4 = affine.delinearize_index %{{.*}} into (1, 4, 3, 3)
// CHECK: memref.load %arg3[
// CHECK: %[[SCALED:.*]] = arith.muli %[[SUM]]
// CHECK: memref.store %[[SCALED]], %arg4[
// CHECK-NOT: gpu.launch
// CHECK: gpu.dealloc %[[C]]
func.func @fused_epilogue(%w: memref<4x8xi8>, %col: memref<1x9x8xi8>, %b: memref<4xi32>, %scale: memref<4xi32>, %out: memref<1x4x3x3xi32>) {
  %acc = memref.alloc() : memref<1x4x9xi32>
  linalg.generic {indexing_maps = [#bias, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%b : memref<4xi32>) outs(%acc : memref<1x4x9xi32>) {
  ^bb0(%in: i32, %o: i32):
    linalg.yield %in : i32
  }
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%w, %col : memref<4x8xi8>, memref<1x9x8xi8>) outs(%acc : memref<1x4x9xi32>) attrs = {qc.mma_operands = ["s8", "s8"]} {
  ^bb0(%l: i8, %r: i8, %o: i32):
    %0 = arith.extsi %l : i8 to i32
    %1 = arith.extsi %r : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %o, %2 : i32
    linalg.yield %3 : i32
  }
  %view = memref.expand_shape %acc [[0], [1], [2, 3]] output_shape [1, 4, 3, 3] : memref<1x4x9xi32> into memref<1x4x3x3xi32>
  linalg.generic {indexing_maps = [#id4, #channel, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%view, %scale : memref<1x4x3x3xi32>, memref<4xi32>) outs(%out : memref<1x4x3x3xi32>) {
  ^bb0(%v: i32, %s: i32, %o: i32):
    %0 = arith.muli %v, %s : i32
    linalg.yield %0 : i32
  }
  memref.dealloc %acc : memref<1x4x9xi32>
  return
}

// -----

#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>

// Not fused: an op between the contraction and the reader writes the
// contraction's operand (the fused kernel would run after it), so the
// accumulators go through memory. Ops touching other buffers (the copy) may
// sit in between.
// CHECK-LABEL: func.func @not_fused
// CHECK: %[[ACC:.*]] = gpu.alloc
// CHECK: gpu.launch
// CHECK: nvvm.mma.sync
// CHECK: memref.store {{.*}}, %[[ACC]]
// CHECK: gpu.launch
// CHECK: gpu.launch
// CHECK: memref.store {{.*}}, %arg0
// CHECK: gpu.launch
// CHECK: arith.sitofp
func.func @not_fused(%x: memref<2x32xi8>, %w: memref<8x32xi8>, %f: memref<2x2xf32>, %g: memref<2x2xf32>, %out: memref<2x8xf32>) {
  %acc = memref.alloc() : memref<2x8xi32>
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : memref<2x32xi8>, memref<8x32xi8>) outs(%acc : memref<2x8xi32>) attrs = {qc.mma_operands = ["s8", "s8"]} {
  ^bb0(%l: i8, %r: i8, %o: i32):
    %0 = arith.extsi %l : i8 to i32
    %1 = arith.extsi %r : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %o, %2 : i32
    linalg.yield %3 : i32
  }
  memref.copy %f, %g : memref<2x2xf32> to memref<2x2xf32>
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%x : memref<2x32xi8>) {
  ^bb0(%o: i8):
    %c0 = arith.constant 0 : i32
    %0 = arith.trunci %c0 : i32 to i8
    linalg.yield %0 : i8
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%acc : memref<2x8xi32>) outs(%out : memref<2x8xf32>) {
  ^bb0(%in: i32, %o: f32):
    %0 = arith.sitofp %in : i32 to f32
    linalg.yield %0 : f32
  }
  memref.dealloc %acc : memref<2x8xi32>
  return
}

// -----

#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>

// Rule: bufferization reuses accumulator buffers; the epilogue still fuses
// when the next use of C overwrites it whole (the second layer's bias) and
// reads it only after, and ops on other buffers may sit in between.
// CHECK-LABEL: func.func @reused_accumulators
// CHECK: gpu.launch
// CHECK: nvvm.mma.sync
// CHECK: arith.sitofp
// CHECK: memref.store {{.*}}, %arg2
// CHECK: gpu.launch
// CHECK: memref.store {{.*}}, %[[ACC:.*]][
// CHECK: gpu.launch
// CHECK: memref.load %arg2
// CHECK: memref.store {{.*}}, %arg3
// CHECK: gpu.launch
// CHECK: nvvm.mma.sync
// CHECK: arith.sitofp
// CHECK: memref.store {{.*}}, %arg3
func.func @reused_accumulators(%x: memref<2x32xi8>, %w: memref<8x32xi8>, %out: memref<2x8xf32>, %out2: memref<2x8xf32>) {
  %acc = memref.alloc() : memref<2x8xi32>
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : memref<2x32xi8>, memref<8x32xi8>) outs(%acc : memref<2x8xi32>) attrs = {qc.mma_operands = ["s8", "s8"]} {
  ^bb0(%l: i8, %r: i8, %o: i32):
    %0 = arith.extsi %l : i8 to i32
    %1 = arith.extsi %r : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %o, %2 : i32
    linalg.yield %3 : i32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%acc : memref<2x8xi32>) outs(%out : memref<2x8xf32>) {
  ^bb0(%in: i32, %o: f32):
    %0 = arith.sitofp %in : i32 to f32
    linalg.yield %0 : f32
  }
  %zero = arith.constant 0 : i32
  linalg.fill ins(%zero : i32) outs(%acc : memref<2x8xi32>)
  memref.copy %out, %out2 : memref<2x8xf32> to memref<2x8xf32>
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : memref<2x32xi8>, memref<8x32xi8>) outs(%acc : memref<2x8xi32>) attrs = {qc.mma_operands = ["s8", "s8"]} {
  ^bb0(%l: i8, %r: i8, %o: i32):
    %0 = arith.extsi %l : i8 to i32
    %1 = arith.extsi %r : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %o, %2 : i32
    linalg.yield %3 : i32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%acc : memref<2x8xi32>) outs(%out2 : memref<2x8xf32>) {
  ^bb0(%in: i32, %o: f32):
    %0 = arith.sitofp %in : i32 to f32
    linalg.yield %0 : f32
  }
  memref.dealloc %acc : memref<2x8xi32>
  return
}
