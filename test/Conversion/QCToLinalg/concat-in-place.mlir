// RUN: quant-opt %s --split-input-file --qc-concat-in-place | FileCheck %s
// RUN: quant-opt %s --split-input-file --qc-concat-in-place --eliminate-empty-tensors \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   --qc-erase-self-copies \
// RUN:   | FileCheck %s --check-prefix=BUF

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// Rule: a split whose halves are concatenated again (a C2f block) inserts
// the split tensor whole, right after its producer, into a concatenation
// created before that producer; the half read afterwards is read from the
// insertion. The layer reading that half writes a temporary (it reads a
// slice of the destination), so one copy is left: the layer's 2 channels,
// not all 6.
// CHECK-LABEL: func.func @split_and_concat
// CHECK: %[[CONCAT:.*]] = tensor.empty() : tensor<1x6x2x2xf32>
// CHECK-NEXT: %[[SLOT:.*]] = tensor.extract_slice %[[CONCAT]][0, 0, 0, 0] [1, 4, 2, 2] [1, 1, 1, 1]
// CHECK-NEXT: %[[X:.*]] = linalg.generic {{.*}} outs(%[[SLOT]] : tensor<1x4x2x2xf32>)
// CHECK: %[[HALVES:.*]] = tensor.insert_slice %[[X]] into %[[CONCAT]][0, 0, 0, 0] [1, 4, 2, 2] [1, 1, 1, 1]
// CHECK-NEXT: %[[B:.*]] = tensor.extract_slice %[[HALVES]][0, 2, 0, 0] [1, 2, 2, 2] [1, 1, 1, 1]
// CHECK-NEXT: %[[INIT:.*]] = tensor.empty() : tensor<1x2x2x2xf32>
// CHECK-NEXT: %[[M:.*]] = linalg.generic {{.*}} ins(%[[B]] : tensor<1x2x2x2xf32>) outs(%[[INIT]] : tensor<1x2x2x2xf32>)
// CHECK: tensor.insert_slice %[[M]] into %[[HALVES]][0, 4, 0, 0] [1, 2, 2, 2] [1, 1, 1, 1]
// CHECK-NOT: tensor.insert_slice
// BUF-LABEL: func.func @split_and_concat
// BUF-COUNT-1: memref.copy
// BUF-NOT: memref.copy
func.func @split_and_concat(%in: tensor<1x4x2x2xf32>) -> tensor<1x6x2x2xf32> {
  %e = tensor.empty() : tensor<1x4x2x2xf32>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%in : tensor<1x4x2x2xf32>) outs(%e : tensor<1x4x2x2xf32>) {
  ^bb0(%v: f32, %o: f32):
    %n = arith.negf %v : f32
    linalg.yield %n : f32
  } -> tensor<1x4x2x2xf32>
  %a = tensor.extract_slice %x[0, 0, 0, 0] [1, 2, 2, 2] [1, 1, 1, 1] : tensor<1x4x2x2xf32> to tensor<1x2x2x2xf32>
  %b = tensor.extract_slice %x[0, 2, 0, 0] [1, 2, 2, 2] [1, 1, 1, 1] : tensor<1x4x2x2xf32> to tensor<1x2x2x2xf32>
  %e2 = tensor.empty() : tensor<1x2x2x2xf32>
  %m = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : tensor<1x2x2x2xf32>) outs(%e2 : tensor<1x2x2x2xf32>) {
  ^bb0(%v: f32, %o: f32):
    %n = math.exp %v : f32
    linalg.yield %n : f32
  } -> tensor<1x2x2x2xf32>
  %c = tensor.empty() : tensor<1x6x2x2xf32>
  %i0 = tensor.insert_slice %a into %c[0, 0, 0, 0] [1, 2, 2, 2] [1, 1, 1, 1] : tensor<1x2x2x2xf32> into tensor<1x6x2x2xf32>
  %i1 = tensor.insert_slice %b into %i0[0, 2, 0, 0] [1, 2, 2, 2] [1, 1, 1, 1] : tensor<1x2x2x2xf32> into tensor<1x6x2x2xf32>
  %i2 = tensor.insert_slice %m into %i1[0, 4, 0, 0] [1, 2, 2, 2] [1, 1, 1, 1] : tensor<1x2x2x2xf32> into tensor<1x6x2x2xf32>
  return %i2 : tensor<1x6x2x2xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#flat = affine_map<(d0) -> (d0)>

// Rule: each input's writer starts from its slice of the concatenation,
// also through the reshapes of a flattened element-wise op; bufferized,
// nothing is copied (the flattened op's result, seen through its reshapes,
// is copied onto its own slice, and that copy is erased).
// CHECK-LABEL: func.func @producers_write_slices
// CHECK: %[[CONCAT:.*]] = tensor.empty() : tensor<1x4x2x2xf32>
// CHECK-NEXT: %[[FIRST:.*]] = tensor.extract_slice %[[CONCAT]][0, 0, 0, 0] [1, 2, 2, 2] [1, 1, 1, 1]
// CHECK-NEXT: %[[Y:.*]] = linalg.generic {{.*}} outs(%[[FIRST]] : tensor<1x2x2x2xf32>)
// CHECK: %[[I0:.*]] = tensor.insert_slice %[[Y]] into %[[CONCAT]][0, 0, 0, 0] [1, 2, 2, 2]
// CHECK: %[[SECOND:.*]] = tensor.extract_slice %[[I0]][0, 2, 0, 0] [1, 2, 2, 2] [1, 1, 1, 1]
// CHECK-NEXT: %[[FLAT:.*]] = tensor.collapse_shape %[[SECOND]]
// CHECK-NEXT: %[[Z:.*]] = linalg.generic {{.*}} outs(%[[FLAT]] : tensor<8xf32>)
// CHECK: %[[ZE:.*]] = tensor.expand_shape %[[Z]]
// CHECK-NEXT: tensor.insert_slice %[[ZE]] into %[[I0]][0, 2, 0, 0] [1, 2, 2, 2]
// BUF-LABEL: func.func @producers_write_slices
// BUF-NOT: memref.copy
// BUF: return
func.func @producers_write_slices(%p: tensor<1x2x2x2xf32>, %q: tensor<1x2x2x2xf32>) -> tensor<1x4x2x2xf32> {
  %e = tensor.empty() : tensor<1x2x2x2xf32>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%p : tensor<1x2x2x2xf32>) outs(%e : tensor<1x2x2x2xf32>) {
  ^bb0(%v: f32, %o: f32):
    %n = arith.negf %v : f32
    linalg.yield %n : f32
  } -> tensor<1x2x2x2xf32>
  %qf = tensor.collapse_shape %q [[0, 1, 2, 3]] : tensor<1x2x2x2xf32> into tensor<8xf32>
  %ef = tensor.collapse_shape %e [[0, 1, 2, 3]] : tensor<1x2x2x2xf32> into tensor<8xf32>
  %zf = linalg.generic {indexing_maps = [#flat, #flat], iterator_types = ["parallel"]}
      ins(%qf : tensor<8xf32>) outs(%ef : tensor<8xf32>) {
  ^bb0(%v: f32, %o: f32):
    %n = math.exp %v : f32
    linalg.yield %n : f32
  } -> tensor<8xf32>
  %z = tensor.expand_shape %zf [[0, 1, 2, 3]] output_shape [1, 2, 2, 2] : tensor<8xf32> into tensor<1x2x2x2xf32>
  %c = tensor.empty() : tensor<1x4x2x2xf32>
  %i0 = tensor.insert_slice %y into %c[0, 0, 0, 0] [1, 2, 2, 2] [1, 1, 1, 1] : tensor<1x2x2x2xf32> into tensor<1x4x2x2xf32>
  %i1 = tensor.insert_slice %z into %i0[0, 2, 0, 0] [1, 2, 2, 2] [1, 1, 1, 1] : tensor<1x2x2x2xf32> into tensor<1x4x2x2xf32>
  return %i1 : tensor<1x4x2x2xf32>
}

// -----

// Rule: slices merge only where they are adjacent along one dimension in
// both tensors: here the second skips a channel of %x, then two slices
// adjacent in %x land in the wrong order, then two land apart.
// CHECK-LABEL: func.func @not_adjacent
// CHECK-COUNT-6: tensor.insert_slice {{.*}} [1, 1, 2, 2] [1, 1, 1, 1]
func.func @not_adjacent(%x: tensor<1x4x2x2xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x3x2x2xf32>) {
  %s0 = tensor.extract_slice %x[0, 0, 0, 0] [1, 1, 2, 2] [1, 1, 1, 1] : tensor<1x4x2x2xf32> to tensor<1x1x2x2xf32>
  %s1 = tensor.extract_slice %x[0, 1, 0, 0] [1, 1, 2, 2] [1, 1, 1, 1] : tensor<1x4x2x2xf32> to tensor<1x1x2x2xf32>
  %s2 = tensor.extract_slice %x[0, 2, 0, 0] [1, 1, 2, 2] [1, 1, 1, 1] : tensor<1x4x2x2xf32> to tensor<1x1x2x2xf32>
  %c = tensor.empty() : tensor<1x2x2x2xf32>
  %g0 = tensor.insert_slice %s0 into %c[0, 0, 0, 0] [1, 1, 2, 2] [1, 1, 1, 1] : tensor<1x1x2x2xf32> into tensor<1x2x2x2xf32>
  %g1 = tensor.insert_slice %s2 into %g0[0, 1, 0, 0] [1, 1, 2, 2] [1, 1, 1, 1] : tensor<1x1x2x2xf32> into tensor<1x2x2x2xf32>
  %r0 = tensor.insert_slice %s1 into %c[0, 0, 0, 0] [1, 1, 2, 2] [1, 1, 1, 1] : tensor<1x1x2x2xf32> into tensor<1x2x2x2xf32>
  %r1 = tensor.insert_slice %s0 into %r0[0, 1, 0, 0] [1, 1, 2, 2] [1, 1, 1, 1] : tensor<1x1x2x2xf32> into tensor<1x2x2x2xf32>
  %d = tensor.empty() : tensor<1x3x2x2xf32>
  %a0 = tensor.insert_slice %s0 into %d[0, 0, 0, 0] [1, 1, 2, 2] [1, 1, 1, 1] : tensor<1x1x2x2xf32> into tensor<1x3x2x2xf32>
  %a1 = tensor.insert_slice %s1 into %a0[0, 2, 0, 0] [1, 1, 2, 2] [1, 1, 1, 1] : tensor<1x1x2x2xf32> into tensor<1x3x2x2xf32>
  return %g1, %r1, %a1 : tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x3x2x2xf32>
}

// -----

// Rule: an insertion moves up to just after its operands, no further; one
// whose source comes from another block stays in its own.
// CHECK-LABEL: func.func @moves_within_block
// CHECK: %[[Y:.*]] = linalg.fill
// CHECK-NEXT: tensor.insert_slice %[[Y]]
// CHECK: scf.if
// CHECK: linalg.fill
// CHECK-NEXT: tensor.insert_slice
// CHECK-NEXT: scf.yield
func.func @moves_within_block(%flag: i1) -> (tensor<4xf32>, tensor<4xf32>) {
  %one = arith.constant 1.0 : f32
  %two = arith.constant 2.0 : f32
  %e = tensor.empty() : tensor<2xf32>
  %y = linalg.fill ins(%one : f32) outs(%e : tensor<2xf32>) -> tensor<2xf32>
  %z = linalg.fill ins(%two : f32) outs(%e : tensor<2xf32>) -> tensor<2xf32>
  %c = tensor.empty() : tensor<4xf32>
  %i0 = tensor.insert_slice %y into %c[0] [2] [1] : tensor<2xf32> into tensor<4xf32>
  %r = scf.if %flag -> tensor<4xf32> {
    %m = linalg.fill ins(%two : f32) outs(%e : tensor<2xf32>) -> tensor<2xf32>
    %i1 = tensor.insert_slice %m into %i0[2] [2] [1] : tensor<2xf32> into tensor<4xf32>
    scf.yield %i1 : tensor<4xf32>
  } else {
    %i2 = tensor.insert_slice %z into %i0[2] [2] [1] : tensor<2xf32> into tensor<4xf32>
    scf.yield %i2 : tensor<4xf32>
  }
  return %i0, %r : tensor<4xf32>, tensor<4xf32>
}

// -----

// Rule: a slice of an inserted tensor read after the next insertion into
// the concatenation stays a slice of the tensor: that insertion overwrites
// the concatenation's buffer in place, and reading it afterwards would
// copy all of it.
// CHECK-LABEL: func.func @read_after_next_insertion
// CHECK: %[[I0:.*]] = tensor.insert_slice %[[X:[a-z0-9_]+]] into
// CHECK: tensor.insert_slice {{.*}} into %[[I0]][2]
// CHECK: tensor.extract_slice %[[X]][1] [1] [1]
func.func @read_after_next_insertion(%x: tensor<2xf32>, %y: tensor<2xf32>) -> (tensor<4xf32>, tensor<1xf32>) {
  %c = tensor.empty() : tensor<4xf32>
  %i0 = tensor.insert_slice %x into %c[0] [2] [1] : tensor<2xf32> into tensor<4xf32>
  %i1 = tensor.insert_slice %y into %i0[2] [2] [1] : tensor<2xf32> into tensor<4xf32>
  %late = tensor.extract_slice %x[1] [1] [1] : tensor<2xf32> to tensor<1xf32>
  return %i1, %late : tensor<4xf32>, tensor<1xf32>
}
