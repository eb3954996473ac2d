// RUN: quant-opt %s --split-input-file --convert-qc-to-linalg="microkernels=true kernel-suffix=avx512vnni" | FileCheck %s

!x = !quant.uniform<i8:f32, 0.5:-3>
!w = !quant.uniform<i8<-127:127>:f32:0, {0.25, 0.125}>
!y = !quant.uniform<i8:f32, 2.0:4>

// Rule: a conv with constant s8 weights and its requantize become one
// microkernel call. Weights are rows of w + 128 (as u8) padded to 4 taps:
// [1, -2] -> 81808080 7E808080, then 15 slack rows and 64 bytes for the AMX
// tiles (2 x 4 + 15 x 4 + 64 = 132). The unfolded s8 input needs no shift, so the
// bias gains -offset x row sums: [10, 20] + 3 x [1, -2] = [13, 14].
// CHECK-LABEL: func.func @conv_requantize
// CHECK-DAG: %[[W:.*]] = arith.constant dense_resource<packed_weights> : tensor<132xi8>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[13, 14]> : tensor<2xi32>
// CHECK-DAG: %[[M:.*]] = arith.constant dense<1073741824> : tensor<2xi32>
// CHECK-DAG: %[[S:.*]] = arith.constant dense<[3, 4]> : tensor<2xi32>
// CHECK-DAG: %[[P:.*]] = arith.constant dense<[1, 1, 2, 1, 0, 1, 4, -128, 127, 0, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, 3, 3, -3, 1, 0]> : tensor<27xi64>
// CHECK: %[[OUT:.*]] = tensor.empty() : tensor<1x2x3x3xi8>
// CHECK: %[[R:.*]] = qc.microkernel "quantc_qlayer_avx512vnni" ins(%arg0, %[[W]], %[[B]], %[[M]], %[[S]], %[[P]] : tensor<1x1x3x3xi8>, tensor<132xi8>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32>, tensor<27xi64>) outs(%[[OUT]] : tensor<1x2x3x3xi8>) -> tensor<1x2x3x3xi8>
// CHECK: return %[[R]]
// CHECK: packed_weights: "0x01000000818080807E808080{{(80)+}}"
func.func @conv_requantize(%x: tensor<1x1x3x3x!x>) -> tensor<1x2x3x3x!y> {
  %wi = qc.constant dense<[[[[1]]], [[[-2]]]]> : tensor<2x1x1x1xi8>
  %w = quant.scast %wi : tensor<2x1x1x1xi8> to tensor<2x1x1x1x!w>
  %b = qc.constant dense<[10, 20]> : tensor<2xi32>
  %acc = qc.qconv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x1x3x3x!x>, tensor<2x1x1x1x!w>, tensor<2xi32>) -> tensor<1x2x3x3xi32>
  %y = qc.requantize %acc {multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 3, 4>, axis = 1} : tensor<1x2x3x3xi32> -> tensor<1x2x3x3x!y>
  return %y : tensor<1x2x3x3x!y>
}

// -----

!x = !quant.uniform<i8:f32, 0.5:-3>
!w = !quant.uniform<i8<-127:127>:f32:0, {0.25, 0.125}>
!y = !quant.uniform<i8:f32, 2.0:4>
!z = !quant.uniform<i8:f32, 0.004:-128>

// Rule: a byte lookup that is the only use of a fused requantize joins the
// call: the bias is followed by the table as 64 words, indexed by the
// stored byte (table[b ^ 0x80] for signed storage: the table here maps
// index i to i + 1, so bytes 0, 1, 2, 3 give 0x81 0x82 0x83 0x84), and
// QC_QLAYER_LOOKUP (the last parameter) is 1.
// CHECK-LABEL: func.func @conv_requantize_lookup
// CHECK-NOT: quantc_lookup
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[13, 14, -2071756159, -2004384123, -1937012087, {{.*}}, -2139128195]> : tensor<66xi32>
// CHECK-DAG: %[[P:.*]] = arith.constant dense<[1, 1, 2, 1, 0, 1, 4, -128, 127, 0, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, 3, 3, -3, 1, 1]> : tensor<27xi64>
// CHECK: %[[R:.*]] = qc.microkernel "quantc_qlayer_avx512vnni" ins(%arg0, %{{.*}}, %[[B]], %{{.*}}, %{{.*}}, %[[P]] : {{.*}}) outs(%{{.*}} : tensor<1x2x3x3xi8>) -> tensor<1x2x3x3xi8>
// CHECK-NOT: qc.microkernel
// CHECK: return %[[R]]
func.func @conv_requantize_lookup(%x: tensor<1x1x3x3x!x>) -> tensor<1x2x3x3x!z> {
  %wi = qc.constant dense<[[[[1]]], [[[-2]]]]> : tensor<2x1x1x1xi8>
  %w = quant.scast %wi : tensor<2x1x1x1xi8> to tensor<2x1x1x1x!w>
  %b = qc.constant dense<[10, 20]> : tensor<2xi32>
  %acc = qc.qconv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x1x3x3x!x>, tensor<2x1x1x1x!w>, tensor<2xi32>) -> tensor<1x2x3x3xi32>
  %y = qc.requantize %acc {multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 3, 4>, axis = 1} : tensor<1x2x3x3xi32> -> tensor<1x2x3x3x!y>
  %z = qc.lookup_table %y {table = dense_resource<table> : tensor<256xi8>} : tensor<1x2x3x3x!y> -> tensor<1x2x3x3x!z>
  return %z : tensor<1x2x3x3x!z>
}
{-#
  dialect_resources: {
    builtin: {
      table: "0x010000000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F606162636465666768696A6B6C6D6E6F707172737475767778797A7B7C7D7E7F808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9FA0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBFC0C1C2C3C4C5C6C7C8C9CACBCCCDCECFD0D1D2D3D4D5D6D7D8D9DADBDCDDDEDFE0E1E2E3E4E5E6E7E8E9EAEBECEDEEEFF0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF00"
    }
  }
#-}

// -----

!x = !quant.uniform<i8:f32, 0.5:-3>
!w = !quant.uniform<i8<-127:127>:f32:0, {0.25, 0.125}>
!y = !quant.uniform<i8:f32, 2.0:4>
!z = !quant.uniform<i8:f32, 0.004:-128>

// Rule: a requantize used besides its lookup keeps its own result: the
// layer's call stores the requantized bytes and the lookup is its own call.
// CHECK-LABEL: func.func @conv_requantize_lookup_and_more
// CHECK: arith.constant dense<[13, 14]> : tensor<2xi32>
// CHECK: %[[R:.*]] = qc.microkernel "quantc_qlayer_avx512vnni"
// CHECK: %[[L:.*]] = qc.microkernel "quantc_lookup" ins(%[[R]],
// CHECK: return %[[R]], %[[L]]
func.func @conv_requantize_lookup_and_more(%x: tensor<1x1x3x3x!x>) -> (tensor<1x2x3x3x!y>, tensor<1x2x3x3x!z>) {
  %wi = qc.constant dense<[[[[1]]], [[[-2]]]]> : tensor<2x1x1x1xi8>
  %w = quant.scast %wi : tensor<2x1x1x1xi8> to tensor<2x1x1x1x!w>
  %b = qc.constant dense<[10, 20]> : tensor<2xi32>
  %acc = qc.qconv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x1x3x3x!x>, tensor<2x1x1x1x!w>, tensor<2xi32>) -> tensor<1x2x3x3xi32>
  %y = qc.requantize %acc {multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 3, 4>, axis = 1} : tensor<1x2x3x3xi32> -> tensor<1x2x3x3x!y>
  %z = qc.lookup_table %y {table = dense_resource<table> : tensor<256xi8>} : tensor<1x2x3x3x!y> -> tensor<1x2x3x3x!z>
  return %y, %z : tensor<1x2x3x3x!y>, tensor<1x2x3x3x!z>
}
{-#
  dialect_resources: {
    builtin: {
      table: "0x010000000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F606162636465666768696A6B6C6D6E6F707172737475767778797A7B7C7D7E7F808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9FA0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBFC0C1C2C3C4C5C6C7C8C9CACBCCCDCECFD0D1D2D3D4D5D6D7D8D9DADBDCDDDEDFE0E1E2E3E4E5E6E7E8E9EAEBECEDEEEFF0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF00"
    }
  }
#-}

// -----

!x = !quant.uniform<i8:f32, 0.5:-3>
!w = !quant.uniform<i8<-127:127>:f32, 0.25>

// Rule: a matmul whose accumulators are used as they are (no requantize)
// calls the kernel with i32 output. Its activations enter as u8 = a + 128,
// so the bias subtracts (128 + offset) x column sums: 0 - 125 x [3, -1].
// Weights are one panel of 64 columns, 4 rows per group: W[0..2][0] = 1, 2,
// 0 (padded), W[0..2][1] = 0, -1, 0.
// CHECK-LABEL: func.func @matmul_accumulators
// CHECK-DAG: arith.constant dense<[-375, 125]> : tensor<2xi32>
// CHECK-DAG: arith.constant dense<[0, 2, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -3, 0, 0]> : tensor<27xi64>
// CHECK: qc.microkernel "quantc_qlayer_avx512vnni"
// CHECK-SAME: outs(%{{.*}} : tensor<2x2xi32>) -> tensor<2x2xi32>
// CHECK: packed_weights: "0x010000000102000000FF0000
func.func @matmul_accumulators(%x: tensor<2x3x!x>) -> tensor<2x2xi32> {
  %wi = qc.constant dense<[[1, 0], [2, -1], [0, 0]]> : tensor<3x2xi8>
  %w = quant.scast %wi : tensor<3x2xi8> to tensor<3x2x!w>
  %y = qc.qmatmul %x, %w : (tensor<2x3x!x>, tensor<3x2x!w>) -> tensor<2x2xi32>
  return %y : tensor<2x2xi32>
}

// -----

!x = !quant.uniform<i8:f32, 0.5:-3>
!w = !quant.uniform<i8<-127:127>:f32:0, {0.25, 0.125}>
!y = !quant.uniform<i8:f32, 2.0:4>

// Rule: grouped (and depthwise) convolutions run the kernel group by group;
// weights that are not constants stay on the linalg path.
// CHECK-LABEL: func.func @grouped_conv
// CHECK: arith.constant dense<[1, 1, 2, 1, 0, 1, 4, -128, 127, 0, 1, 2, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, 3, 3, -3, 2, 0]> : tensor<27xi64>
// CHECK: qc.microkernel "quantc_qlayer_avx512vnni"
func.func @grouped_conv(%x: tensor<1x2x3x3x!x>) -> tensor<1x2x3x3x!y> {
  %wi = qc.constant dense<[[[[1]]], [[[-2]]]]> : tensor<2x1x1x1xi8>
  %w = quant.scast %wi : tensor<2x1x1x1xi8> to tensor<2x1x1x1x!w>
  %acc = qc.qconv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 2} : (tensor<1x2x3x3x!x>, tensor<2x1x1x1x!w>) -> tensor<1x2x3x3xi32>
  %y = qc.requantize %acc {multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 3, 4>, axis = 1} : tensor<1x2x3x3xi32> -> tensor<1x2x3x3x!y>
  return %y : tensor<1x2x3x3x!y>
}

// -----

!x = !quant.uniform<i8:f32, 0.5:-3>
!w = !quant.uniform<i8<-127:127>:f32:0, {0.25, 0.125}>

// CHECK-LABEL: func.func @runtime_weights
// CHECK-NOT: qc.microkernel
// CHECK: linalg.conv_2d_ngchw_gfchw
func.func @runtime_weights(%x: tensor<1x1x3x3x!x>, %w: tensor<2x1x1x1x!w>) -> tensor<1x2x3x3xi32> {
  %acc = qc.qconv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x1x3x3x!x>, tensor<2x1x1x1x!w>) -> tensor<1x2x3x3xi32>
  return %acc : tensor<1x2x3x3xi32>
}

// -----

// Rule: a float conv calls the float kernel with its own weights, the bias
// (or a zero placeholder) and its geometry [N, C, H, W, O, KH, KW, strides,
// dilations, pad top/left, OH, OW, group, has bias].
// CHECK-LABEL: func.func @float_conv
// CHECK-DAG: %[[Z:.*]] = arith.constant dense<0.000000e+00> : tensor<1xf32>
// CHECK-DAG: %[[P:.*]] = arith.constant dense<[1, 4, 5, 5, 6, 3, 3, 2, 2, 1, 1, 1, 1, 3, 3, 2, 0]> : tensor<17xi64>
// CHECK: qc.microkernel "quantc_fconv_avx512vnni" ins(%arg0, %arg1, %[[Z]], %[[P]] : tensor<1x4x5x5xf32>, tensor<6x2x3x3xf32>, tensor<1xf32>, tensor<17xi64>) outs(%{{.*}} : tensor<1x6x3x3xf32>) -> tensor<1x6x3x3xf32>
func.func @float_conv(%x: tensor<1x4x5x5xf32>, %w: tensor<6x2x3x3xf32>) -> tensor<1x6x3x3xf32> {
  %y = qc.conv %x, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 2} : (tensor<1x4x5x5xf32>, tensor<6x2x3x3xf32>) -> tensor<1x6x3x3xf32>
  return %y : tensor<1x6x3x3xf32>
}

// -----

// Rule: a float transposed convolution is the float matmul kernel's
// product of the transposed weights [g][O/g x KH x KW, C/g] (one copy per
// image) and the image groups [n x g][C/g, H x W], params [n x g, M, K, N, B
// batched, no transposed B]; where its stride is its window (each output
// pixel takes one tap) each tap's plane then moves to its pixels in one
// transpose; then the bias.
// CHECK-LABEL: func.func @float_conv_transpose
// CHECK: %[[IMAGE:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2], [3, 4]] : tensor<2x2x2x5x6xf32> into tensor<4x2x30xf32>
// CHECK: %[[WT:.*]] = linalg.transpose ins(%{{.*}} : tensor<2x2x12xf32>) outs(%{{.*}} : tensor<2x12x2xf32>) permutation = [0, 2, 1]
// CHECK: %[[WB:.*]] = linalg.broadcast ins(%[[WT]] : tensor<2x12x2xf32>) outs(%{{.*}} : tensor<2x2x12x2xf32>) dimensions = [0]
// CHECK: %[[W:.*]] = tensor.collapse_shape %[[WB]] {{\[\[}}0, 1], [2], [3]] : tensor<2x2x12x2xf32> into tensor<4x12x2xf32>
// CHECK: %[[P:.*]] = arith.constant dense<[4, 12, 2, 30, 1, 0]> : tensor<6xi64>
// CHECK: %[[COLS:.*]] = qc.microkernel "quantc_fmatmul_avx512vnni" ins(%[[W]], %[[IMAGE]], %[[P]] : tensor<4x12x2xf32>, tensor<4x2x30xf32>, tensor<6xi64>) outs(%{{.*}} : tensor<4x12x30xf32>)
// CHECK: %[[TAPS:.*]] = tensor.expand_shape %[[COLS]] {{\[\[}}0, 1], [2, 3, 4], [5, 6]] output_shape [2, 2, 3, 2, 2, 5, 6]
// CHECK: %[[MOVED:.*]] = linalg.transpose ins(%[[TAPS]] : tensor<2x2x3x2x2x5x6xf32>) outs(%{{.*}} : tensor<2x2x3x5x2x6x2xf32>) permutation = [0, 1, 2, 5, 3, 6, 4]
// CHECK: %[[OUT:.*]] = tensor.collapse_shape %[[MOVED]] {{\[\[}}0], [1, 2], [3, 4], [5, 6]] : tensor<2x2x3x5x2x6x2xf32> into tensor<2x6x10x12xf32>
// CHECK-NOT: tensor.insert_slice
// CHECK: linalg.generic {{.*}} ins(%[[OUT]], %arg2 : tensor<2x6x10x12xf32>, tensor<6xf32>)
// CHECK: arith.addf
func.func @float_conv_transpose(%x: tensor<2x4x5x6xf32>, %w: tensor<4x3x2x2xf32>, %b: tensor<6xf32>) -> tensor<2x6x10x12xf32> {
  %y = qc.conv_transpose %x, %w, %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, output_padding = array<i64: 0, 0>, group = 2} : (tensor<2x4x5x6xf32>, tensor<4x3x2x2xf32>, tensor<6xf32>) -> tensor<2x6x10x12xf32>
  return %y : tensor<2x6x10x12xf32>
}

// -----

// Rule: where taps overlap (stride 1 < window 2), from zero, each tap's
// plane adds onto its shifted slice of the output, one after the other in
// window order, as the evaluator adds its columns.
// CHECK-LABEL: func.func @float_conv_transpose_overlapping
// CHECK: qc.microkernel "quantc_fmatmul_avx512vnni"
// CHECK: %[[TAPS:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0], [1, 2], [3], [4], [5], [6]] : tensor<1x1x2x2x2x3x3xf32> into tensor<1x2x2x2x3x3xf32>
// CHECK: %[[ZERO:.*]] = linalg.fill
// CHECK: %[[T00:.*]] = tensor.extract_slice %[[TAPS]][0, 0, 0, 0, 0, 0] [1, 2, 1, 1, 3, 3] [1, 1, 1, 1, 1, 1] : tensor<1x2x2x2x3x3xf32> to tensor<1x2x3x3xf32>
// CHECK: %[[O00:.*]] = tensor.extract_slice %[[ZERO]][0, 0, 0, 0] [1, 2, 3, 3] [1, 1, 1, 1]
// CHECK: %[[S00:.*]] = linalg.add ins(%[[O00]], %[[T00]] : {{.*}}) outs(%[[O00]] : tensor<1x2x3x3xf32>)
// CHECK: tensor.insert_slice %[[S00]] into %[[ZERO]][0, 0, 0, 0] [1, 2, 3, 3] [1, 1, 1, 1]
// CHECK-NOT: linalg.generic
// CHECK: tensor.extract_slice %[[TAPS]][0, 0, 0, 1, 0, 0] [1, 2, 1, 1, 3, 3]
// CHECK: tensor.insert_slice %{{.*}}[0, 0, 0, 1] [1, 2, 3, 3] [1, 1, 1, 1]
// CHECK: tensor.insert_slice %{{.*}}[0, 0, 1, 0] [1, 2, 3, 3] [1, 1, 1, 1]
// CHECK: tensor.insert_slice %{{.*}}[0, 0, 1, 1] [1, 2, 3, 3] [1, 1, 1, 1]
// CHECK-NOT: linalg.generic
func.func @float_conv_transpose_overlapping(%x: tensor<1x2x3x3xf32>, %w: tensor<2x2x2x2xf32>) -> tensor<1x2x4x4xf32> {
  %y = qc.conv_transpose %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, output_padding = array<i64: 0, 0>} : (tensor<1x2x3x3xf32>, tensor<2x2x2x2xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

// Rule: with padding, a tap's pixels that land outside the output are left
// out: tap (0, 0) of a 3 x 3 window, stride 2, padding 1, adds input pixels
// 1 to 2 of each axis onto output pixels 1 and 3; tap (1, 1) adds all nine
// onto pixels 0, 2 and 4 (the output padding's row and column get none).
// CHECK-LABEL: func.func @float_conv_transpose_padded
// CHECK: %[[TAPS:.*]] = tensor.collapse_shape %{{.*}} : tensor<1x1x2x3x3x3x3xf32> into tensor<1x2x3x3x3x3xf32>
// CHECK: tensor.extract_slice %[[TAPS]][0, 0, 0, 0, 1, 1] [1, 2, 1, 1, 2, 2] [1, 1, 1, 1, 1, 1]
// CHECK: tensor.insert_slice %{{.*}}[0, 0, 1, 1] [1, 2, 2, 2] [1, 1, 2, 2]
// CHECK: tensor.extract_slice %[[TAPS]][0, 0, 1, 1, 0, 0] [1, 2, 1, 1, 3, 3] [1, 1, 1, 1, 1, 1]
// CHECK: tensor.insert_slice %{{.*}}[0, 0, 0, 0] [1, 2, 3, 3] [1, 1, 2, 2]
func.func @float_conv_transpose_padded(%x: tensor<1x2x3x3xf32>, %w: tensor<2x2x3x3xf32>) -> tensor<1x2x6x6xf32> {
  %y = qc.conv_transpose %x, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, output_padding = array<i64: 1, 1>} : (tensor<1x2x3x3xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x6x6xf32>
  return %y : tensor<1x2x6x6xf32>
}

// -----

!a = !quant.uniform<i8:f32, 0.1>
!o = !quant.uniform<i8:f32, 0.004:-128>

// Rule: an 8-bit lookup over all 256 values is one call of quantc_lookup
// (the same entry point for every target), with the element count and the
// flip of the sign bit that turns signed storage into the table index.
// CHECK-LABEL: func.func @lookup_table
// CHECK-NOT: tensor.extract
// CHECK-DAG: %[[T:.*]] = arith.constant dense_resource<table> : tensor<256xi8>
// CHECK-DAG: %[[P:.*]] = arith.constant dense<[6, 128]> : tensor<2xi64>
// CHECK: qc.microkernel "quantc_lookup" ins(%arg0, %[[T]], %[[P]] : tensor<2x3xi8>, tensor<256xi8>, tensor<2xi64>) outs(%{{.*}} : tensor<2x3xi8>)
func.func @lookup_table(%x: tensor<2x3x!a>) -> tensor<2x3x!o> {
  %y = qc.lookup_table %x {table = dense_resource<table> : tensor<256xi8>} : tensor<2x3x!a> -> tensor<2x3x!o>
  return %y : tensor<2x3x!o>
}
{-#
  dialect_resources: {
    builtin: {
      table: "0x010000000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F606162636465666768696A6B6C6D6E6F707172737475767778797A7B7C7D7E7F808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9FA0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBFC0C1C2C3C4C5C6C7C8C9CACBCCCDCECFD0D1D2D3D4D5D6D7D8D9DADBDCDDDEDFE0E1E2E3E4E5E6E7E8E9EAEBECEDEEEFF0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF00"
    }
  }
#-}

// -----

!a = !quant.uniform<i8<-127:127>:f32, 0.1>
!o = !quant.uniform<i8:f32, 0.004:-128>

// Rule: a narrow-range input (255 table entries) keeps the loop lowering.
// CHECK-LABEL: func.func @lookup_table_narrow
// CHECK-NOT: qc.microkernel
// CHECK: tensor.extract
func.func @lookup_table_narrow(%x: tensor<4x!a>) -> tensor<4x!o> {
  %y = qc.lookup_table %x {table = dense<1> : tensor<255xi8>} : tensor<4x!a> -> tensor<4x!o>
  return %y : tensor<4x!o>
}

// -----

// Rule: a float gemm with a constant transposed B multiplies by B transposed
// once at compile time (params: no transposed B): the kernel reads B's rows
// contiguously. A B computed at run time stays transposed.
// CHECK-LABEL: func.func @float_gemm_constant_transposed_b
// CHECK: %[[BT:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, 4.000000e+00], [2.000000e+00, 5.000000e+00], [3.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>
// CHECK: %[[P:.*]] = arith.constant dense<[1, 4, 3, 2, 0, 0]> : tensor<6xi64>
// CHECK: qc.microkernel "quantc_fmatmul_avx512vnni" ins(%{{.*}}, %[[BT]], %[[P]] : tensor<4x3xf32>, tensor<3x2xf32>, tensor<6xi64>)
// CHECK: %[[Q:.*]] = arith.constant dense<[1, 4, 2, 3, 0, 1]> : tensor<6xi64>
// CHECK: qc.microkernel "quantc_fmatmul_avx512vnni" ins(%{{.*}}, %{{.*}}, %[[Q]] : tensor<4x2xf32>, tensor<3x2xf32>, tensor<6xi64>)
func.func @float_gemm_constant_transposed_b(%a: tensor<4x3xf32>, %r: tensor<3x2xf32>) -> (tensor<4x2xf32>, tensor<4x3xf32>) {
  %b = qc.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %y = qc.gemm %a, %b {trans_b = true} : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  %z = qc.gemm %y, %r {trans_b = true} : (tensor<4x2xf32>, tensor<3x2xf32>) -> tensor<4x3xf32>
  return %y, %z : tensor<4x2xf32>, tensor<4x3xf32>
}
