// RUN: quant-opt %s --split-input-file --qc-quantize --verify-diagnostics

func.func @uncalibrated(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = qc.constant dense<1.0> : tensor<2x2xf32>
  // expected-error @+1 {{an input or output of this layer has no calibrated range (run qc-calibrate first)}}
  %a = qc.matmul %x, %w : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  return %a : tensor<1x2xf32>
}

// -----

func.func @float_weights(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = qc.constant dense<1.0> : tensor<2x2xf32>
  // expected-error @+1 {{integer activations need integer weights, got #qc.precision<activation = i8, weight = f32}}
  %a = qc.matmul %x, %w {qc.precision = #qc.precision<activation = i8, weight = f32, granularity = per_tensor, scheme = symmetric, group_size = 0>} : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  return %a : tensor<1x2xf32>
}

// -----

// A depthwise convolution has one input channel per output channel: no
// group of 2 fits.
func.func @group_depthwise_conv(%x: tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %w = qc.constant dense<1.0> : tensor<2x1x1x1xf32>
  // expected-error @+1 {{reduction dimension of size 1 is not a multiple of group_size 2}}
  %c = qc.conv %x, %w {group = 2 : i64, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, qc.precision = #qc.precision<activation = f32, weight = i4, granularity = per_group, scheme = symmetric, group_size = 2>} : (tensor<1x2x2x2xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x2x2xf32>
  return %c : tensor<1x2x2x2xf32>
}

// -----

func.func @group_size(%x: tensor<1x6xf32>) -> tensor<1x2xf32> {
  %w = qc.constant dense<1.0> : tensor<6x2xf32>
  // expected-error @+1 {{reduction dimension of size 6 is not a multiple of group_size 4}}
  %a = qc.matmul %x, %w {qc.precision = #qc.precision<activation = f32, weight = i4, granularity = per_group, scheme = symmetric, group_size = 4>} : (tensor<1x6xf32>, tensor<6x2xf32>) -> tensor<1x2xf32>
  return %a : tensor<1x2xf32>
}
