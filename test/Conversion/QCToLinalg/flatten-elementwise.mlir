// RUN: quant-opt %s --split-input-file --qc-flatten-elementwise | FileCheck %s

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#bcast = affine_map<(d0, d1, d2, d3) -> (0, d1, 0, 0)>

// Rule: an element-wise generic over whole [1, 4, 5, 5] tensors becomes one
// loop over their 100 elements, between reshapes; the body is unchanged.
// CHECK-LABEL: func.func @silu
// CHECK: %[[X:.*]] = tensor.collapse_shape %arg0 {{\[}}[0, 1, 2, 3]] : tensor<1x4x5x5xf32> into tensor<100xf32>
// CHECK: %[[Y:.*]] = linalg.generic {{.*}}iterator_types = ["parallel"]} ins(%[[X]] : tensor<100xf32>)
// CHECK: math.exp
// CHECK: tensor.expand_shape %[[Y]] {{\[}}[0, 1, 2, 3]] output_shape [1, 4, 5, 5] : tensor<100xf32> into tensor<1x4x5x5xf32>
func.func @silu(%x: tensor<1x4x5x5xf32>) -> tensor<1x4x5x5xf32> {
  %init = tensor.empty() : tensor<1x4x5x5xf32>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<1x4x5x5xf32>) outs(%init : tensor<1x4x5x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    %e = math.exp %n : f32
    %m = arith.mulf %in, %e : f32
    linalg.yield %m : f32
  } -> tensor<1x4x5x5xf32>
  return %y : tensor<1x4x5x5xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#bcast = affine_map<(d0, d1, d2, d3) -> (0, d1, 0, 0)>

// Rule: left as they are: a broadcast operand (a channel scale), and a body
// that reads its loop indices.
// CHECK-LABEL: func.func @kept
// CHECK-NOT: tensor.collapse_shape
// CHECK: iterator_types = ["parallel", "parallel", "parallel", "parallel"]
// CHECK: iterator_types = ["parallel", "parallel", "parallel", "parallel"]
func.func @kept(%x: tensor<1x4x5x5xf32>, %s: tensor<1x4x1x1xf32>) -> (tensor<1x4x5x5xf32>, tensor<1x4x5x5xf32>) {
  %init = tensor.empty() : tensor<1x4x5x5xf32>
  %y = linalg.generic {indexing_maps = [#id, #bcast, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %s : tensor<1x4x5x5xf32>, tensor<1x4x1x1xf32>) outs(%init : tensor<1x4x5x5xf32>) {
  ^bb0(%in: f32, %scale: f32, %out: f32):
    %m = arith.mulf %in, %scale : f32
    linalg.yield %m : f32
  } -> tensor<1x4x5x5xf32>
  %z = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<1x4x5x5xf32>) outs(%init : tensor<1x4x5x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    %i = linalg.index 3 : index
    %c = arith.index_cast %i : index to i32
    %f = arith.sitofp %c : i32 to f32
    %m = arith.mulf %in, %f : f32
    linalg.yield %m : f32
  } -> tensor<1x4x5x5xf32>
  return %y, %z : tensor<1x4x5x5xf32>, tensor<1x4x5x5xf32>
}
