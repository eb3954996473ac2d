// RUN: quant-opt %s --split-input-file --convert-qc-to-linalg="microkernels=true kernel-suffix=generic" --canonicalize | FileCheck %s
// RUN: quant-opt %s --split-input-file --convert-qc-to-linalg="tensor-cores=true" --canonicalize | FileCheck %s --check-prefix=UNPACK
// The dequantized weights are dead after the rewrite; canonicalization (run
// right after the conversion by both pipelines) removes them.

!w = !quant.uniform<i4<-7:7>:f32:1, {0.5, 0.25}>

// Rule: a float matmul of constant 4-bit weights is one call of the
// weight-only kernel, its weights and scales one stream: per 32-column panel
// and per group of rows, a block of 32-bit words (word j: column j's values
// of 8 consecutive rows, row i in bits 4i..4i+3), then the group's 32 scales.
// Signed nibbles are stored plus 8: [[1, -2], [3, 7]] -> words 0xB9 and 0xF6;
// scales 0.5 and 0.25 (0x3F000000, 0x3E800000). Every zero point is 0 + 8, so
// no zero scales are stored; params: M = 3, K = 2, N = 2, 4 bits, groups of
// 2 rows (one per column), no bias, no zero scales, zero point 8.
// CHECK-LABEL: func.func @matmul_int4
// CHECK-NOT: linalg.generic
// CHECK-DAG: %[[W:.*]] = arith.constant dense_resource<packed_weights> : tensor<256xi8>
// CHECK-DAG: %[[P:.*]] = arith.constant dense<[3, 2, 2, 4, 2, 0, 0, 8, 0]> : tensor<9xi64>
// CHECK: qc.microkernel "quantc_wmatmul_generic" ins(%arg0, %[[W]], %{{.*}}, %[[P]] : tensor<3x2xf32>, tensor<256xi8>, tensor<1xf32>, tensor<9xi64>) outs(%{{.*}} : tensor<3x2xf32>)
// CHECK: packed_weights: "0x01000000B9000000F6000000{{(00){120}()}}0000003F0000803E{{(00){120}()}}"
// Rule (GPU targets): the unpacking form reads the weights packed along K,
// rows 2r and 2r + 1 of column c in the low and high nibble of byte (r, c):
// [[1 + 8, -2 + 8], [3 + 8, 7 + 8]] -> B9 F6, with zero points 0 + 8 and a
// scale per group of rows and column. K is too short to split.
// UNPACK-DAG: #[[LHS:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// (Row d1 * 2 + d3 of the weights; with groups of 2 rows the scales and
// zero points are read like the bytes.)
// UNPACK-DAG: #[[PACKED:.*]] = affine_map<(d0, d1, d2, d3) -> (d1 + d3 floordiv 2, d2)>
// UNPACK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2)>
// UNPACK-LABEL: func.func @matmul_int4
// UNPACK-NOT: qc.microkernel
// UNPACK-DAG: %[[W:.*]] = arith.constant dense_resource<packed_weights> : tensor<1x2xi8>
// UNPACK-DAG: %[[S:.*]] = arith.constant dense<{{\[\[}}5.000000e-01, 2.500000e-01]]> : tensor<1x2xf32>
// UNPACK-DAG: %[[Z:.*]] = arith.constant dense<8> : tensor<1x2xi32>
// UNPACK: %[[X:.*]] = tensor.expand_shape %arg0 {{\[\[}}0], [1, 2]] output_shape [3, 1, 2]
// UNPACK: linalg.generic {indexing_maps = [#[[LHS]], #[[PACKED]], #[[PACKED]], #[[PACKED]], #[[OUT]]], iterator_types = ["parallel", "reduction", "parallel", "reduction"]} ins(%[[X]], %[[W]], %[[S]], %[[Z]] : {{.*}}) outs(%{{.*}} : tensor<3x2xf32>)
// UNPACK: %[[BYTE:.*]] = arith.extui %{{.*}} : i8 to i32
// UNPACK: arith.remui %{{.*}}, %c2
// UNPACK: %[[SHIFT:.*]] = arith.muli %{{.*}}, %c4_i32 : i32
// UNPACK: %[[HIGH:.*]] = arith.shrui %[[BYTE]], %[[SHIFT]] : i32
// UNPACK: %[[Q:.*]] = arith.andi %[[HIGH]], %c15_i32 : i32
// UNPACK: %[[CENTERED:.*]] = arith.subi %[[Q]], %{{.*}} : i32
// UNPACK: %[[QF:.*]] = arith.sitofp %[[CENTERED]] : i32 to f32
// UNPACK: %[[WF:.*]] = arith.mulf %[[QF]], %{{.*}} : f32
// UNPACK: %[[P:.*]] = arith.mulf %{{.*}}, %[[WF]] : f32
// UNPACK: arith.addf %{{.*}}, %[[P]] : f32
// UNPACK: packed_weights: "0x01000000B9F6"
func.func @matmul_int4(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %wi = qc.constant dense<[[1, -2], [3, 7]]> : tensor<2x2xi4>
  %w = quant.scast %wi : tensor<2x2xi4> to tensor<2x2x!w>
  %wf = qc.dequantize %w : tensor<2x2x!w> -> tensor<2x2xf32>
  %y = qc.matmul %x, %wf : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

!w = !quant.uniform<i4:f32:{0:2,1:1}, {{0.5:-8, 0.25:7}}>

// Rule: asymmetric signed weights: stored values and zero points both gain
// the offset 8. Column 0 holds rows -8 + 8 and 0 + 8 (0x80), column 1 holds
// 7 + 8 and -1 + 8 (0x7F); after the scales 0.5 and 0.25 come the zero
// points -8 + 8 and 7 + 8, a byte each (00 0F).
// CHECK-LABEL: func.func @matmul_int4_zero_points
// CHECK-DAG: %[[P:.*]] = arith.constant dense<[3, 2, 2, 4, 2, 0, 1, 0, 0]> : tensor<9xi64>
// CHECK: qc.microkernel "quantc_wmatmul_generic" ins(%arg0, %{{.*}}, %{{.*}}, %[[P]] : tensor<3x2xf32>, tensor<288xi8>, tensor<1xf32>, tensor<9xi64>)
// CHECK: packed_weights: "0x01000000800000007F000000{{(00){120}()}}0000003F0000803E{{(00){120}()}}000F{{(00){30}()}}"
func.func @matmul_int4_zero_points(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %wi = qc.constant dense<[[-8, 7], [0, -1]]> : tensor<2x2xi4>
  %w = quant.scast %wi : tensor<2x2xi4> to tensor<2x2x!w>
  %wf = qc.dequantize %w : tensor<2x2x!w> -> tensor<2x2xf32>
  %y = qc.matmul %x, %wf : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

!w = !quant.uniform<u8:f32:{0:1,1:2}, {{0.5:3, 0.25:4}, {0.125:5, 1.0:6}}>

// Rule: Gemm's transposed weights [N, K] with a block of 2 along K (one scale
// and zero point per column and per group of 2 rows) and its bias; unsigned
// 8-bit weights are stored as they are, 4 rows per word, each group in its
// own block (rows past the group's end are zero). The zero points differ, so
// each group's scales are followed by its zero points, a byte per column:
// group 0: words 0x0201 and 0x0605, scales 0.5 and 0.125, zero points 3
// and 5; group 1: 0x0403, 0x0807, scales 0.25 and 1, zero points 4 and 6.
// CHECK-LABEL: func.func @gemm_uint8_groups
// CHECK-DAG: %[[P:.*]] = arith.constant dense<[1, 4, 2, 8, 2, 1, 1, 0, 0]> : tensor<9xi64>
// CHECK: qc.microkernel "quantc_wmatmul_generic" ins(%arg0, %{{.*}}, %arg1, %[[P]] : tensor<1x4xf32>, tensor<576xi8>, tensor<2xf32>, tensor<9xi64>)
// CHECK: packed_weights: "0x01000000010200000506{{(00){122}()}}0000003F0000003E{{(00){120}()}}0305{{(00){30}()}}0304000007080000{{(00){120}()}}0000803E0000803F{{(00){120}()}}0406{{(00){30}()}}"
// Rule (GPU targets): 8-bit weights, one byte each, read without unpacking;
// the bias initializes the sums.
// UNPACK-LABEL: func.func @gemm_uint8_groups
// Zero points [G, N]: column 0 has 3, 4 and column 1 has 5, 6.
// UNPACK-DAG: arith.constant dense<{{\[\[}}3, 5], [4, 6]]> : tensor<2x2xi32>
// UNPACK-DAG: arith.constant dense_resource<packed_weights> : tensor<4x2xi8>
// UNPACK: %[[INIT:.*]] = linalg.generic {{.*}} ins(%arg1 : tensor<2xf32>)
// UNPACK: linalg.generic {{.*}} outs(%[[INIT]] : tensor<1x2xf32>)
// UNPACK-NOT: arith.shrui
// UNPACK: linalg.yield
func.func @gemm_uint8_groups(%x: tensor<1x4xf32>, %b: tensor<2xf32>) -> tensor<1x2xf32> {
  %wi = qc.constant dense<[[1, 2, 3, 4], [5, 6, 7, 8]]> : tensor<2x4xi8>
  %w = quant.scast %wi : tensor<2x4xi8> to tensor<2x4x!w>
  %wf = qc.dequantize %w : tensor<2x4x!w> -> tensor<2x4xf32>
  %y = qc.gemm %x, %wf, %b {trans_b = true} : (tensor<1x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

!w = !quant.uniform<i8:f32, 0.5>

// Rule: a weight that is not constant stays a dequantize and a matmul loop.
// CHECK-LABEL: func.func @not_constant
// CHECK-NOT: qc.microkernel
// CHECK: linalg.generic
func.func @not_constant(%x: tensor<1x2xf32>, %w: tensor<2x2x!w>) -> tensor<1x2xf32> {
  %wf = qc.dequantize %w : tensor<2x2x!w> -> tensor<2x2xf32>
  %y = qc.matmul %x, %wf : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

!w = !quant.uniform<i4:f32, 0.5>

// Rule (GPU targets): a GEMV with a long K sums chunks of K in parallel
// (here 2 of 64 rows) into partial sums, added after.
// UNPACK-LABEL: func.func @split_k
// UNPACK: %[[PARTIAL:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<1x2x64xf32>, tensor<64x1xi8>, tensor<1x1xf32>, tensor<1x1xi32>) outs(%{{.*}} : tensor<1x2x1xf32>)
// UNPACK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[PARTIAL]] : tensor<1x2x1xf32>) outs(%{{.*}} : tensor<1x1xf32>)
func.func @split_k(%x: tensor<1x128xf32>) -> tensor<1x1xf32> {
  %wi = qc.constant dense<3> : tensor<128x1xi4>
  %w = quant.scast %wi : tensor<128x1xi4> to tensor<128x1x!w>
  %wf = qc.dequantize %w : tensor<128x1x!w> -> tensor<128x1xf32>
  %y = qc.matmul %x, %wf : (tensor<1x128xf32>, tensor<128x1xf32>) -> tensor<1x1xf32>
  return %y : tensor<1x1xf32>
}
