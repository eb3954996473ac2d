// RUN: quant-opt %s --split-input-file --qc-lower-microkernels | FileCheck %s

// Rule: a bufferized microkernel becomes a call with one !llvm.ptr per
// operand, the buffer's aligned pointer plus its offset in bytes (here 0
// for %x, 2 x 4 bytes for the view %o).
// CHECK-LABEL: func.func private @quantc_qlayer_generic(!llvm.ptr, !llvm.ptr, !llvm.ptr)
// CHECK-LABEL: func.func @call
// CHECK: %[[X:.*]] = memref.extract_aligned_pointer_as_index %arg0
// CHECK: %[[XI:.*]] = arith.index_cast %[[X]] : index to i64
// CHECK: %[[XP:.*]] = llvm.inttoptr %[[XI]] : i64 to !llvm.ptr
// CHECK: %[[O:.*]] = memref.extract_aligned_pointer_as_index %arg2
// CHECK: %[[OA:.*]] = arith.addi %[[O]], %c8 : index
// CHECK: %[[OI:.*]] = arith.index_cast %[[OA]] : index to i64
// CHECK: %[[OP:.*]] = llvm.inttoptr %[[OI]] : i64 to !llvm.ptr
// CHECK: call @quantc_qlayer_generic(%[[XP]], %{{.*}}, %[[OP]]) : (!llvm.ptr, !llvm.ptr, !llvm.ptr) -> ()
// CHECK-NOT: qc.microkernel
func.func @call(%x: memref<2x4xi8>, %p: memref<25xi64>, %o: memref<2x3xi32, strided<[3, 1], offset: 2>>) {
  qc.microkernel "quantc_qlayer_generic" ins(%x, %p : memref<2x4xi8>, memref<25xi64>) outs(%o : memref<2x3xi32, strided<[3, 1], offset: 2>>)
  return
}

// -----

// Rule: a strided operand is copied into a dense buffer first (and an
// output copied back after the call).
// CHECK-LABEL: func.func @strided
// CHECK: %[[IN:.*]] = memref.alloc() : memref<2x2xi8>
// CHECK: memref.copy %arg0, %[[IN]]
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<2x2xi32>
// CHECK: call @k(
// CHECK: memref.copy %[[OUT]], %arg1
// CHECK: memref.dealloc %[[OUT]]
func.func @strided(%x: memref<2x2xi8, strided<[4, 1]>>, %o: memref<2x2xi32, strided<[8, 2]>>) {
  qc.microkernel "k" ins(%x : memref<2x2xi8, strided<[4, 1]>>) outs(%o : memref<2x2xi32, strided<[8, 2]>>)
  return
}
