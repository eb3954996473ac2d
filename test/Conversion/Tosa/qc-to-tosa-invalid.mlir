// RUN: quant-opt %s --convert-qc-to-tosa --split-input-file -verify-diagnostics

!y = !quant.uniform<i8:f32, 0.1>

func.func @rounding(%acc: tensor<4xi32>) -> tensor<4x!y> {
  // expected-error @+1 {{has no exact TOSA form: TOSA rescales round half up (SINGLE_ROUND); quantize with rounding=half_up (qc-fold-scales, quantc --rounding half_up) to export, not half_to_even}}
  %0 = qc.requantize %acc {multiplier = array<i32: 1073741824>, shift = array<i32: 0>} : tensor<4xi32> -> tensor<4x!y>
  return %0 : tensor<4x!y>
}

// -----

!y = !quant.uniform<i8:f32, 0.1>

func.func @float_island(%q: tensor<4x!y>) -> tensor<4x!y> {
  // expected-error @+1 {{has no exact TOSA form: float values inside the graph}}
  %0 = qc.dequantize %q : tensor<4x!y> -> tensor<4xf32>
  // expected-error @+1 {{has no exact TOSA form: no integer TOSA equivalent}}
  %1 = qc.sigmoid %0 : tensor<4xf32>
  // expected-error @+1 {{has no exact TOSA form: float values inside the graph}}
  %2 = qc.quantize %1 : tensor<4xf32> -> tensor<4x!y>
  return %2 : tensor<4x!y>
}

// -----

!x = !quant.uniform<i8:f32, 0.05:-3>
!w = !quant.uniform<i8:f32, 0.01>

func.func @groups(%x: tensor<1x4x5x5x!x>, %w: tensor<4x2x3x3x!w>) -> tensor<1x4x3x3xi32> {
  // expected-error @+1 {{TOSA has plain and depthwise convolutions, not 2 groups}}
  %0 = qc.qconv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 2} : (tensor<1x4x5x5x!x>, tensor<4x2x3x3x!w>) -> tensor<1x4x3x3xi32>
  return %0 : tensor<1x4x3x3xi32>
}

// -----

!x = !quant.uniform<u8:f32, 0.05:128>
!y = !quant.uniform<i8:f32, 0.1>

func.func @unsigned(%x: tensor<4x!x>) -> tensor<4x!y> {
  // expected-error @+1 {{TOSA rescales signed 8/16-bit values}}
  %0 = qc.requantize %x {multiplier = array<i32: 1073741824>, shift = array<i32: 0>, rounding = #qc<rounding half_up>} : tensor<4x!x> -> tensor<4x!y>
  return %0 : tensor<4x!y>
}
