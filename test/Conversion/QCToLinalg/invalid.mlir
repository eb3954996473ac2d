// RUN: quant-opt %s --split-input-file --convert-qc-to-linalg --verify-diagnostics

// A transposed convolution padded wider than its window has no lowering:
// the error names the op (its location is the ONNX node).
func.func @conv_transpose_3d_wide_pads(%x: tensor<1x1x3x3x3xf32>, %w: tensor<1x1x2x2x2xf32>) -> tensor<1x1x1x3x3xf32> {
  // expected-error @+1 {{failed to legalize operation 'qc.conv_transpose'}}
  %y = qc.conv_transpose %x, %w {strides = array<i64: 1, 1, 1>, dilations = array<i64: 1, 1, 1>, pads = array<i64: 2, 0, 0, 1, 1, 1>, output_padding = array<i64: 0, 0, 0>} : (tensor<1x1x3x3x3xf32>, tensor<1x1x2x2x2xf32>) -> tensor<1x1x1x3x3xf32>
  return %y : tensor<1x1x1x3x3xf32>
}


// -----

// Integer pow has no lowering.
func.func @pow_int(%a: tensor<4xi64>, %b: tensor<4xi64>) -> tensor<4xi64> {
  // expected-error @+1 {{failed to legalize operation 'qc.pow'}}
  %y = qc.pow %a, %b : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  return %y : tensor<4xi64>
}

// -----

// Unsigned tensors have no arith form: the bitwise op is refused.
func.func @shift_unsigned(%a: tensor<4xui8>) -> tensor<4xui8> {
  // expected-error @+1 {{failed to legalize operation 'qc.shift_left'}}
  %y = qc.shift_left %a, %a : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  return %y : tensor<4xui8>
}
