// RUN: quant-opt %s --split-input-file --qc-erase-self-copies | FileCheck %s

// Rule: a copy between two views that place the same elements of one
// buffer is erased: a slice, and the same slice flattened and expanded
// again (its layout differs only in the stride of the unit dimension).
// CHECK-LABEL: func.func @same_elements
// CHECK-NOT: memref.copy
// CHECK: return
func.func @same_elements() -> memref<1x4x2x2xf32> {
  %buffer = memref.alloc() : memref<1x4x2x2xf32>
  %slice = memref.subview %buffer[0, 2, 0, 0] [1, 2, 2, 2] [1, 1, 1, 1]
      : memref<1x4x2x2xf32> to memref<1x2x2x2xf32, strided<[16, 4, 2, 1], offset: 8>>
  %flat = memref.collapse_shape %slice [[0, 1, 2, 3]]
      : memref<1x2x2x2xf32, strided<[16, 4, 2, 1], offset: 8>> into memref<8xf32, strided<[1], offset: 8>>
  %again = memref.expand_shape %flat [[0, 1, 2, 3]] output_shape [1, 2, 2, 2]
      : memref<8xf32, strided<[1], offset: 8>> into memref<1x2x2x2xf32, strided<[8, 4, 2, 1], offset: 8>>
  memref.copy %again, %slice : memref<1x2x2x2xf32, strided<[8, 4, 2, 1], offset: 8>>
      to memref<1x2x2x2xf32, strided<[16, 4, 2, 1], offset: 8>>
  memref.copy %slice, %slice : memref<1x2x2x2xf32, strided<[16, 4, 2, 1], offset: 8>>
      to memref<1x2x2x2xf32, strided<[16, 4, 2, 1], offset: 8>>
  return %buffer : memref<1x4x2x2xf32>
}

// -----

// Rule: kept where the elements may differ: another slice of the buffer,
// the same slice of another buffer, a transposed view, and a layout only
// known at run time.
// CHECK-LABEL: func.func @other_elements
// CHECK-COUNT-4: memref.copy
func.func @other_elements(%dynamic: memref<2x2xf32, strided<[?, 1], offset: ?>>) {
  %buffer = memref.alloc() : memref<1x4x2x2xf32>
  %other = memref.alloc() : memref<1x4x2x2xf32>
  %first = memref.subview %buffer[0, 0, 0, 0] [1, 2, 2, 2] [1, 1, 1, 1]
      : memref<1x4x2x2xf32> to memref<1x2x2x2xf32, strided<[16, 4, 2, 1]>>
  %second = memref.subview %buffer[0, 2, 0, 0] [1, 2, 2, 2] [1, 1, 1, 1]
      : memref<1x4x2x2xf32> to memref<1x2x2x2xf32, strided<[16, 4, 2, 1], offset: 8>>
  %elsewhere = memref.subview %other[0, 2, 0, 0] [1, 2, 2, 2] [1, 1, 1, 1]
      : memref<1x4x2x2xf32> to memref<1x2x2x2xf32, strided<[16, 4, 2, 1], offset: 8>>
  memref.copy %first, %second : memref<1x2x2x2xf32, strided<[16, 4, 2, 1]>>
      to memref<1x2x2x2xf32, strided<[16, 4, 2, 1], offset: 8>>
  memref.copy %elsewhere, %second : memref<1x2x2x2xf32, strided<[16, 4, 2, 1], offset: 8>>
      to memref<1x2x2x2xf32, strided<[16, 4, 2, 1], offset: 8>>
  %square = memref.alloc() : memref<2x2xf32>
  %transposed = memref.transpose %square (i, j) -> (j, i)
      : memref<2x2xf32> to memref<2x2xf32, strided<[1, 2]>>
  memref.copy %transposed, %square : memref<2x2xf32, strided<[1, 2]>> to memref<2x2xf32>
  memref.copy %dynamic, %dynamic : memref<2x2xf32, strided<[?, 1], offset: ?>>
      to memref<2x2xf32, strided<[?, 1], offset: ?>>
  return
}
