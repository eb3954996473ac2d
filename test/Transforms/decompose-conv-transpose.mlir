// RUN: quant-opt %s --qc-decompose-conv-transpose --split-input-file | FileCheck %s

// 1-d, stride 2, window 3: two taps per phase. Phase 0 takes window taps
// 2 and 0 (in that order, as the convolution reads input m - 1, then m),
// phase 1 takes tap 1 and a zero tap past the window: [[3, 1], [0, 2]].
// The full output has 2 x 5 positions; pads 1 / 0 and output padding 1
// keep positions 1 to 9.
// CHECK-LABEL: func.func @one_d
// CHECK-SAME: (%[[X:.*]]: tensor<1x1x4xf32>)
// CHECK: %[[W:.*]] = qc.constant dense<{{\[\[\[}}3.000000e+00, 1.000000e+00]], {{\[\[}}0.000000e+00, 2.000000e+00]]]> : tensor<2x1x2xf32>
// CHECK: %[[B:.*]] = qc.constant dense<5.000000e-01> : tensor<2xf32>
// CHECK: %[[C:.*]] = qc.conv %[[X]], %[[W]], %[[B]] {dilations = array<i64: 1>, pads = array<i64: 1, 1>, strides = array<i64: 1>} : (tensor<1x1x4xf32>, tensor<2x1x2xf32>, tensor<2xf32>) -> tensor<1x2x5xf32>
// CHECK: %[[P:.*]] = qc.reshape %[[C]] : tensor<1x2x5xf32> -> tensor<1x1x2x5xf32>
// CHECK: %[[T:.*]] = qc.transpose %[[P]] {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x1x2x5xf32>) -> tensor<1x1x5x2xf32>
// CHECK: %[[F:.*]] = qc.reshape %[[T]] : tensor<1x1x5x2xf32> -> tensor<1x1x10xf32>
// CHECK: %[[Y:.*]] = qc.slice %[[F]] {limits = array<i64: 1, 1, 10>, starts = array<i64: 0, 0, 1>, steps = array<i64: 1, 1, 1>} : (tensor<1x1x10xf32>) -> tensor<1x1x9xf32>
// CHECK: return %[[Y]]
func.func @one_d(%x: tensor<1x1x4xf32>) -> tensor<1x1x9xf32> {
  %w = qc.constant dense<[[[1.0, 2.0, 3.0]]]> : tensor<1x1x3xf32>
  %b = qc.constant dense<0.5> : tensor<1xf32>
  %y = qc.conv_transpose %x, %w, %b {strides = array<i64: 2>, dilations = array<i64: 1>,
                                     pads = array<i64: 1, 0>, output_padding = array<i64: 1>}
      : (tensor<1x1x4xf32>, tensor<1x1x3xf32>, tensor<1xf32>) -> tensor<1x1x9xf32>
  return %y : tensor<1x1x9xf32>
}

// -----

// Stride = window, two groups (2 input and 3 output channels each): one
// tap per phase, no padding; 2 x 3 channels x 4 phases, each group's 12
// together. The phases interleave and nothing is sliced off.
// CHECK-LABEL: func.func @stride_is_window_grouped
// CHECK: qc.conv %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x3x5xf32>, tensor<24x2x1x1xf32>) -> tensor<1x24x3x5xf32>
// CHECK: qc.reshape %{{.*}} : tensor<1x24x3x5xf32> -> tensor<1x6x2x2x3x5xf32>
// CHECK: qc.transpose %{{.*}} {perm = array<i64: 0, 1, 4, 2, 5, 3>}
// CHECK: %[[Y:.*]] = qc.reshape %{{.*}} : tensor<1x6x3x2x5x2xf32> -> tensor<1x6x6x10xf32>
// CHECK-NEXT: return %[[Y]]
func.func @stride_is_window_grouped(%x: tensor<1x4x3x5xf32>) -> tensor<1x6x6x10xf32> {
  %w = qc.constant dense<0.25> : tensor<4x3x2x2xf32>
  %y = qc.conv_transpose %x, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>,
                                 pads = array<i64: 0, 0, 0, 0>, output_padding = array<i64: 0, 0>,
                                 group = 2 : i64}
      : (tensor<1x4x3x5xf32>, tensor<4x3x2x2xf32>) -> tensor<1x6x6x10xf32>
  return %y : tensor<1x6x6x10xf32>
}

// -----

// Stride 1: a convolution with the flipped window, padded by window - 1
// before and by what the output needs after; the transposed padding is
// sliced off. No shuffle.
// CHECK-LABEL: func.func @stride_one
// CHECK: %[[C:.*]] = qc.conv {{.*}} pads = array<i64: 2, 2, 1, 1>{{.*}} -> tensor<1x2x6x6xf32>
// CHECK-NOT: qc.transpose
// CHECK: qc.slice %[[C]] {limits = array<i64: 1, 2, 6, 6>, starts = array<i64: 0, 0, 1, 1>
func.func @stride_one(%x: tensor<1x3x5x5xf32>) -> tensor<1x2x5x5xf32> {
  %w = qc.constant dense<0.5> : tensor<3x2x3x3xf32>
  %y = qc.conv_transpose %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>,
                                 pads = array<i64: 1, 1, 1, 1>, output_padding = array<i64: 0, 0>}
      : (tensor<1x3x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x2x5x5xf32>
  return %y : tensor<1x2x5x5xf32>
}

// -----

// 3-d: a 3-d convolution over 2 x 1 x 2 phases (for qc-decompose-conv3d).
// CHECK-LABEL: func.func @three_d
// CHECK: qc.conv {{.*}} : (tensor<1x2x3x4x5xf32>, tensor<12x2x1x2x1xf32>) -> tensor<1x12x3x5x5xf32>
// CHECK: qc.reshape {{.*}} -> tensor<1x3x2x1x2x3x5x5xf32>
// CHECK: qc.transpose {{.*}} {perm = array<i64: 0, 1, 5, 2, 6, 3, 7, 4>}
// CHECK: qc.reshape {{.*}} -> tensor<1x3x6x5x10xf32>
func.func @three_d(%x: tensor<1x2x3x4x5xf32>) -> tensor<1x3x6x5x10xf32> {
  %w = qc.constant dense<0.5> : tensor<2x3x2x2x2xf32>
  %y = qc.conv_transpose %x, %w {strides = array<i64: 2, 1, 2>, dilations = array<i64: 1, 1, 1>,
                                 pads = array<i64: 0, 0, 0, 0, 0, 0>,
                                 output_padding = array<i64: 0, 0, 0>}
      : (tensor<1x2x3x4x5xf32>, tensor<2x3x2x2x2xf32>) -> tensor<1x3x6x5x10xf32>
  return %y : tensor<1x3x6x5x10xf32>
}

// -----

// A dilated window (d = 2, K = 3, stride 3) spreads its taps over
// positions 0, 2 and 4 of a span of 5: J = floor(2 x 2 / 3) + 1 = 2 taps
// per phase. Phase 0 takes tap 0 for input m (position 0), phase 1 tap 2
// for input m - 1 (position 4), phase 2 tap 1 for input m (position 2).
// CHECK-LABEL: func.func @dilated_strided
// CHECK: %[[W:.*]] = qc.constant dense<{{\[\[\[}}0.000000e+00, 1.000000e+00]], {{\[\[}}3.000000e+00, 0.000000e+00]], {{\[\[}}0.000000e+00, 2.000000e+00]]]> : tensor<3x1x2xf32>
// CHECK: %[[C:.*]] = qc.conv %{{.*}}, %[[W]] {dilations = array<i64: 1>, pads = array<i64: 1, 1>, strides = array<i64: 1>} : (tensor<1x1x4xf32>, tensor<3x1x2xf32>) -> tensor<1x3x5xf32>
// CHECK: qc.reshape %{{.*}} : tensor<1x1x5x3xf32> -> tensor<1x1x15xf32>
// CHECK-NEXT: qc.slice %{{.*}} {limits = array<i64: 1, 1, 14>, starts = array<i64: 0, 0, 0>
func.func @dilated_strided(%x: tensor<1x1x4xf32>) -> tensor<1x1x14xf32> {
  %w = qc.constant dense<[[[1.0, 2.0, 3.0]]]> : tensor<1x1x3xf32>
  %y = qc.conv_transpose %x, %w {strides = array<i64: 3>, dilations = array<i64: 2>,
                                 pads = array<i64: 0, 0>, output_padding = array<i64: 0>}
      : (tensor<1x1x4xf32>, tensor<1x1x3xf32>) -> tensor<1x1x14xf32>
  return %y : tensor<1x1x14xf32>
}

// -----

// Stride 1, dilation 2: the window flipped, as a convolution of the same
// dilation reaching 2 x (3 - 1) = 4 positions back; nothing to interleave.
// CHECK-LABEL: func.func @dilated_stride_one
// CHECK: %[[W:.*]] = qc.constant dense<{{\[\[\[}}3.000000e+00, 2.000000e+00, 1.000000e+00]]]> : tensor<1x1x3xf32>
// CHECK: %[[C:.*]] = qc.conv %{{.*}}, %[[W]] {dilations = array<i64: 2>, pads = array<i64: 4, 4>, strides = array<i64: 1>} : (tensor<1x1x4xf32>, tensor<1x1x3xf32>) -> tensor<1x1x8xf32>
// CHECK-NEXT: return %[[C]]
func.func @dilated_stride_one(%x: tensor<1x1x4xf32>) -> tensor<1x1x8xf32> {
  %w = qc.constant dense<[[[1.0, 2.0, 3.0]]]> : tensor<1x1x3xf32>
  %y = qc.conv_transpose %x, %w {strides = array<i64: 1>, dilations = array<i64: 2>,
                                 pads = array<i64: 0, 0>, output_padding = array<i64: 0>}
      : (tensor<1x1x4xf32>, tensor<1x1x3xf32>) -> tensor<1x1x8xf32>
  return %y : tensor<1x1x8xf32>
}

// -----

// Left alone: weights known only at run time.
// CHECK-LABEL: func.func @left_alone
// CHECK: qc.conv_transpose
func.func @left_alone(%x: tensor<1x1x4x4xf32>, %w: tensor<1x1x2x2xf32>) -> tensor<1x1x8x8xf32> {
  %b = qc.conv_transpose %x, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>,
                                 pads = array<i64: 0, 0, 0, 0>, output_padding = array<i64: 0, 0>}
      : (tensor<1x1x4x4xf32>, tensor<1x1x2x2xf32>) -> tensor<1x1x8x8xf32>
  return %b : tensor<1x1x8x8xf32>
}
