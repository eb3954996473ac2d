// RUN: quant-opt %s --qc-fuse-elementwise | FileCheck %s
// RUN: quant-opt %s --qc-fuse-elementwise=isolate-lookups=true | FileCheck %s --check-prefix=ISOLATE

#id = affine_map<(d0, d1) -> (d0, d1)>
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// Element-wise chains fuse as upstream's fusion fuses them (the negation
// into the doubling), but a marked contraction keeps its operands and its
// consumer: the truncation feeding it and the conversion of its result stay
// separate ops.
// CHECK-LABEL: func.func @chain
// CHECK: %[[A:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<4x8xf32>)
// CHECK: arith.negf
// CHECK: arith.mulf
// CHECK: arith.fptosi
// CHECK: %[[ACC:.*]] = linalg.generic {{.*}} ins(%[[A]], %arg1 : tensor<4x8xi8>, tensor<2x8xi8>) {{.*}} attrs = {qc.mma_operands = ["s8", "s8"]}
// CHECK: %[[F:.*]] = linalg.generic {{.*}} ins(%[[ACC]] : tensor<4x2xi32>)
// CHECK: arith.sitofp
// CHECK: return %[[F]]
func.func @chain(%x: tensor<4x8xf32>, %w: tensor<2x8xi8>) -> tensor<4x2xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %neg = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.negf %in : f32
    linalg.yield %0 : f32
  } -> tensor<4x8xf32>
  %e8 = tensor.empty() : tensor<4x8xi8>
  %q = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%neg : tensor<4x8xf32>) outs(%e8 : tensor<4x8xi8>) {
  ^bb0(%in: f32, %out: i8):
    %c2 = arith.constant 2.0 : f32
    %0 = arith.mulf %in, %c2 : f32
    %1 = arith.fptosi %0 : f32 to i8
    linalg.yield %1 : i8
  } -> tensor<4x8xi8>
  %zero = arith.constant 0 : i32
  %ei = tensor.empty() : tensor<4x2xi32>
  %init = linalg.fill ins(%zero : i32) outs(%ei : tensor<4x2xi32>) -> tensor<4x2xi32>
  %acc = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%q, %w : tensor<4x8xi8>, tensor<2x8xi8>) outs(%init : tensor<4x2xi32>) attrs = {qc.mma_operands = ["s8", "s8"]} {
  ^bb0(%l: i8, %r: i8, %o: i32):
    %0 = arith.extsi %l : i8 to i32
    %1 = arith.extsi %r : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %o, %2 : i32
    linalg.yield %3 : i32
  } -> tensor<4x2xi32>
  %ef = tensor.empty() : tensor<4x2xf32>
  %f = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%acc : tensor<4x2xi32>) outs(%ef : tensor<4x2xf32>) {
  ^bb0(%in: i32, %out: f32):
    %0 = arith.sitofp %in : i32 to f32
    linalg.yield %0 : f32
  } -> tensor<4x2xf32>
  return %f : tensor<4x2xf32>
}

// The op reading the accumulators (the future kernel epilogue) takes in
// element-wise consumers (the conversion to f32 joins the shift and
// truncation)...
// CHECK-LABEL: func.func @epilogue_elementwise
// CHECK: %[[ACC:.*]] = linalg.generic {{.*}} attrs = {qc.mma_operands = ["s8", "s8"]}
// CHECK: %[[EPI:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%[[ACC]] : tensor<4x2xi32>)
// CHECK: arith.shrsi
// CHECK: arith.trunci
// CHECK: arith.sitofp
// CHECK: return %[[EPI]]
func.func @epilogue_elementwise(%x: tensor<4x8xi8>, %w: tensor<2x8xi8>) -> tensor<4x2xf32> {
  %zero = arith.constant 0 : i32
  %ei = tensor.empty() : tensor<4x2xi32>
  %init = linalg.fill ins(%zero : i32) outs(%ei : tensor<4x2xi32>) -> tensor<4x2xi32>
  %acc = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<4x8xi8>, tensor<2x8xi8>) outs(%init : tensor<4x2xi32>) attrs = {qc.mma_operands = ["s8", "s8"]} {
  ^bb0(%l: i8, %r: i8, %o: i32):
    %0 = arith.extsi %l : i8 to i32
    %1 = arith.extsi %r : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %o, %2 : i32
    linalg.yield %3 : i32
  } -> tensor<4x2xi32>
  %e8 = tensor.empty() : tensor<4x2xi8>
  %q = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%acc : tensor<4x2xi32>) outs(%e8 : tensor<4x2xi8>) {
  ^bb0(%in: i32, %o: i8):
    %c4 = arith.constant 4 : i32
    %0 = arith.shrsi %in, %c4 : i32
    %1 = arith.trunci %0 : i32 to i8
    linalg.yield %1 : i8
  } -> tensor<4x2xi8>
  %ef = tensor.empty() : tensor<4x2xf32>
  %f = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%q : tensor<4x2xi8>) outs(%ef : tensor<4x2xf32>) {
  ^bb0(%in: i8, %o: f32):
    %0 = arith.sitofp %in : i8 to f32
    linalg.yield %0 : f32
  } -> tensor<4x2xf32>
  return %f : tensor<4x2xf32>
}

// ... but not reductions: the row maximum (a pooling) stays its own op.
// CHECK-LABEL: func.func @epilogue_reduction
// CHECK: %[[ACC:.*]] = linalg.generic {{.*}} attrs = {qc.mma_operands = ["s8", "s8"]}
// CHECK: %[[EPI:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%[[ACC]] : tensor<4x2xi32>)
// CHECK: arith.shrsi
// CHECK: arith.trunci
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[EPI]] : tensor<4x2xi8>)
// CHECK: arith.maxsi
func.func @epilogue_reduction(%x: tensor<4x8xi8>, %w: tensor<2x8xi8>) -> tensor<4xi8> {
  %zero = arith.constant 0 : i32
  %ei = tensor.empty() : tensor<4x2xi32>
  %init = linalg.fill ins(%zero : i32) outs(%ei : tensor<4x2xi32>) -> tensor<4x2xi32>
  %acc = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<4x8xi8>, tensor<2x8xi8>) outs(%init : tensor<4x2xi32>) attrs = {qc.mma_operands = ["s8", "s8"]} {
  ^bb0(%l: i8, %r: i8, %o: i32):
    %0 = arith.extsi %l : i8 to i32
    %1 = arith.extsi %r : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %o, %2 : i32
    linalg.yield %3 : i32
  } -> tensor<4x2xi32>
  %e8 = tensor.empty() : tensor<4x2xi8>
  %q = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%acc : tensor<4x2xi32>) outs(%e8 : tensor<4x2xi8>) {
  ^bb0(%in: i32, %o: i8):
    %c4 = arith.constant 4 : i32
    %0 = arith.shrsi %in, %c4 : i32
    %1 = arith.trunci %0 : i32 to i8
    linalg.yield %1 : i8
  } -> tensor<4x2xi8>
  %low = arith.constant -128 : i8
  %er = tensor.empty() : tensor<4xi8>
  %fill = linalg.fill ins(%low : i8) outs(%er : tensor<4xi8>) -> tensor<4xi8>
  %max = linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]} ins(%q : tensor<4x2xi8>) outs(%fill : tensor<4xi8>) {
  ^bb0(%in: i8, %o: i8):
    %0 = arith.maxsi %in, %o : i8
    linalg.yield %0 : i8
  } -> tensor<4xi8>
  return %max : tensor<4xi8>
}

// A table lookup fuses like any element-wise op, except with
// isolate-lookups (CPU targets): there the gather stays alone, so that the
// rescaling after it vectorizes.
// CHECK-LABEL: func.func @lookup
// CHECK: linalg.generic
// CHECK: tensor.extract
// CHECK: arith.shrsi
// CHECK-NOT: linalg.generic
// ISOLATE-LABEL: func.func @lookup
// ISOLATE: %[[T:.*]] = linalg.generic
// ISOLATE: tensor.extract
// ISOLATE: linalg.generic {{.*}} ins(%[[T]] : tensor<64xi8>)
// ISOLATE: arith.shrsi
func.func @lookup(%x: tensor<64xi8>, %table: tensor<256xi8>) -> tensor<64xi8> {
  %e = tensor.empty() : tensor<64xi8>
  %t = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : tensor<64xi8>) outs(%e : tensor<64xi8>) {
  ^bb0(%in: i8, %o: i8):
    %0 = arith.extsi %in : i8 to i32
    %c128 = arith.constant 128 : i32
    %1 = arith.addi %0, %c128 : i32
    %2 = arith.index_cast %1 : i32 to index
    %3 = tensor.extract %table[%2] : tensor<256xi8>
    linalg.yield %3 : i8
  } -> tensor<64xi8>
  %e2 = tensor.empty() : tensor<64xi8>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%t : tensor<64xi8>) outs(%e2 : tensor<64xi8>) {
  ^bb0(%in: i8, %o: i8):
    %c1 = arith.constant 1 : i8
    %0 = arith.shrsi %in, %c1 : i8
    linalg.yield %0 : i8
  } -> tensor<64xi8>
  return %r : tensor<64xi8>
}
