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

// -----

// A float8 graph output has no form at a library's boundary either.
func.func @main(%x: tensor<4xf32>) -> (tensor<4xf8E5M2> {qc.name = "narrow"}) {
  // expected-error @-1 {{graph output 'narrow' is 'tensor<4xf8E5M2>', which a compiled library cannot pass (float8 tensors cross the boundary only in the reference evaluator; inside the graph they compile)}}
  %f = qc.cast %x : tensor<4xf32> -> tensor<4xf8E5M2>
  return %f : tensor<4xf8E5M2>
}

// -----

// A 4-bit graph input has no form at a library's boundary.
// expected-error @+1 {{graph input 'codes' is 'tensor<4xi4>', which a compiled library cannot pass (4-bit tensors cross the boundary only in the reference evaluator; inside the graph they compile)}}
func.func @main(%x: tensor<4xi4> {qc.name = "codes"}) -> tensor<4xf32> {
  %y = qc.cast %x : tensor<4xi4> -> tensor<4xf32>
  return %y : tensor<4xf32>
}
