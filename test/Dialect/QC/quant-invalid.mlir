// RUN: quant-opt %s -split-input-file -verify-diagnostics

func.func @quantize_shape(%x: tensor<1x8xf32>) {
  // expected-error @+1 {{input and output shapes differ}}
  %0 = qc.quantize %x : tensor<1x8xf32> -> tensor<1x4x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @quantize_expressed(%x: tensor<4xf16>) {
  // expected-error @+1 {{is not expressed in 'f16'}}
  %0 = qc.quantize %x : tensor<4xf16> -> tensor<4x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @quantize_half_up(%x: tensor<4xf32>) {
  // expected-error @+1 {{half_up applies to requantization only}}
  %0 = qc.quantize %x {rounding = #qc<rounding half_up>} : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @quantize_double_round(%x: tensor<4xf32>) {
  // expected-error @+1 {{double_round applies to requantization only}}
  %0 = qc.quantize %x {rounding = #qc<rounding double_round>} : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @per_axis_size(%x: tensor<3x4xf32>) {
  // expected-error @+1 {{per-axis type has 2 scales for dimension 0 of size 3}}
  %0 = qc.quantize %x : tensor<3x4xf32> -> tensor<3x4x!quant.uniform<i8:f32:0, {0.1, 0.2}>>
  return
}

// -----

func.func @per_axis_rank(%x: tensor<4xf32>) {
  // expected-error @+1 {{quantized dimension 1 is out of range for rank 1}}
  %0 = qc.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32:1, {0.1, 0.2}>>
  return
}

// -----

func.func @sub_channel_blocks(%w: tensor<3x5x!quant.uniform<i4:f32:{1:2}, {{0.1, 0.2}, {0.3, 0.4}, {0.5, 0.6}}>>) {
  // expected-error @+1 {{dimension 1 of size 5 is not a whole number of 2 blocks}}
  %0 = qc.dequantize %w : tensor<3x5x!quant.uniform<i4:f32:{1:2}, {{0.1, 0.2}, {0.3, 0.4}, {0.5, 0.6}}>> -> tensor<3x5xf32>
  return
}

// -----

func.func @dequantize_to_int(%q: tensor<4x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type or 64-bit float values}}
  %0 = qc.dequantize %q : tensor<4x!quant.uniform<i8:f32, 0.1>> -> tensor<4xi8>
  return
}

// -----

func.func @requantize_counts(%a: tensor<2x3xi32>) {
  // expected-error @+1 {{needs as many shifts as multipliers, at least one}}
  %0 = qc.requantize %a {multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 1>} : tensor<2x3xi32> -> tensor<2x3x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @requantize_axis(%a: tensor<2x3xi32>) {
  // expected-error @+1 {{has 2 multipliers for dimension 1 of size 3}}
  %0 = qc.requantize %a {multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 1, 1>, axis = 1} : tensor<2x3xi32> -> tensor<2x3x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @requantize_no_axis(%a: tensor<2x3xi32>) {
  // expected-error @+1 {{per-channel multipliers need an axis within rank 2}}
  %0 = qc.requantize %a {multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 1, 1>} : tensor<2x3xi32> -> tensor<2x3x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @requantize_shift(%a: tensor<3xi32>) {
  // expected-error @+1 {{shift 40 is outside [-30, 31]}}
  %0 = qc.requantize %a {multiplier = array<i32: 1073741824>, shift = array<i32: 40>} : tensor<3xi32> -> tensor<3x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @requantize_negative(%a: tensor<3xi32>) {
  // expected-error @+1 {{multipliers must be non-negative}}
  %0 = qc.requantize %a {multiplier = array<i32: -5>, shift = array<i32: 0>} : tensor<3xi32> -> tensor<3x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @requantize_clamp(%a: tensor<3xi32>) {
  // expected-error @+1 {{clamp_min exceeds clamp_max}}
  %0 = qc.requantize %a {multiplier = array<i32: 1073741824>, shift = array<i32: 0>, clamp_min = 5, clamp_max = 4} : tensor<3xi32> -> tensor<3x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @requantize_per_axis_result(%a: tensor<2xi32>) {
  // expected-error @+1 {{result must have a per-tensor quantized type}}
  %0 = qc.requantize %a {multiplier = array<i32: 1073741824>, shift = array<i32: 0>} : tensor<2xi32> -> tensor<2x!quant.uniform<i8:f32:0, {0.1, 0.2}>>
  return
}

// -----

func.func @requantize_float(%a: tensor<2xf32>) {
  // expected-error @+1 {{must be ranked tensor of 32-bit signless integer values or ranked tensor of quantized type values}}
  %0 = qc.requantize %a {multiplier = array<i32: 1073741824>, shift = array<i32: 0>} : tensor<2xf32> -> tensor<2x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @qmatmul_per_axis_lhs(%x: tensor<2x2x!quant.uniform<i8:f32:1, {0.1, 0.2}>>, %w: tensor<2x3x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{activation operand must have a per-tensor quantized type}}
  %0 = qc.qmatmul %x, %w : (tensor<2x2x!quant.uniform<i8:f32:1, {0.1, 0.2}>>, tensor<2x3x!quant.uniform<i8:f32, 0.1>>) -> tensor<2x3xi32>
  return
}

// -----

func.func @qmatmul_axis(%x: tensor<2x2x!quant.uniform<i8:f32, 0.1>>, %w: tensor<2x3x!quant.uniform<i8:f32:0, {0.1, 0.2}>>) {
  // expected-error @+1 {{weight must be quantized along axis 1, not 0}}
  %0 = qc.qmatmul %x, %w : (tensor<2x2x!quant.uniform<i8:f32, 0.1>>, tensor<2x3x!quant.uniform<i8:f32:0, {0.1, 0.2}>>) -> tensor<2x3xi32>
  return
}

// -----

func.func @qmatmul_contraction(%x: tensor<2x4x!quant.uniform<i8:f32, 0.1>>, %w: tensor<2x3x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+2 {{qmatmul contraction sizes differ: 4 vs 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.qmatmul %x, %w : (tensor<2x4x!quant.uniform<i8:f32, 0.1>>, tensor<2x3x!quant.uniform<i8:f32, 0.1>>) -> tensor<2x3xi32>
  return
}

// -----

func.func @qmatmul_bias(%x: tensor<2x2x!quant.uniform<i8:f32, 0.1>>, %w: tensor<2x3x!quant.uniform<i8:f32, 0.1>>, %b: tensor<2xi32>) {
  // expected-error @+1 {{bias must have shape [3], got 'tensor<2xi32>'}}
  %0 = qc.qmatmul %x, %w, %b : (tensor<2x2x!quant.uniform<i8:f32, 0.1>>, tensor<2x3x!quant.uniform<i8:f32, 0.1>>, tensor<2xi32>) -> tensor<2x3xi32>
  return
}

// -----

func.func @qmatmul_wide(%x: tensor<2x2x!quant.uniform<i32:f32, 0.1>>, %w: tensor<2x3x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{storage types wider than 16 bits cannot accumulate exactly in i32}}
  %0 = qc.qmatmul %x, %w : (tensor<2x2x!quant.uniform<i32:f32, 0.1>>, tensor<2x3x!quant.uniform<i8:f32, 0.1>>) -> tensor<2x3xi32>
  return
}

// -----

func.func @qconv_sub_channel(%x: tensor<1x2x4x4x!quant.uniform<i8:f32, 0.1>>, %w: tensor<2x2x1x1x!quant.uniform<i4:f32:{1:1}, {{{{0.1}}, {{0.2}}}, {{{0.3}}, {{0.4}}}}>>) {
  // expected-error @+1 {{weight must be quantized per tensor or per axis}}
  %0 = qc.qconv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x4x4x!quant.uniform<i8:f32, 0.1>>, tensor<2x2x1x1x!quant.uniform<i4:f32:{1:1}, {{{{0.1}}, {{0.2}}}, {{{0.3}}, {{0.4}}}}>>) -> tensor<1x2x4x4xi32>
  return
}

// -----

func.func @qconv_pads(%x: tensor<1x1x4x4x!quant.uniform<i8:f32, 0.1>>, %w: tensor<1x1x3x3x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{pads must be non-negative}}
  %0 = qc.qconv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: -1, 0, 0, 0>} : (tensor<1x1x4x4x!quant.uniform<i8:f32, 0.1>>, tensor<1x1x3x3x!quant.uniform<i8:f32, 0.1>>) -> tensor<1x1x1x2xi32>
  return
}

// -----

// expected-error @+1 {{group_size must be positive exactly when granularity is per_group}}
func.func @precision_group() attributes {qc.precision = #qc.precision<activation = i8, weight = i4, granularity = per_group, scheme = symmetric, group_size = 0>} {
  return
}

// -----

// expected-error @+1 {{activation precision must be f32, bf16, f16, i8 or i16, got 'i4'}}
func.func @precision_activation() attributes {qc.precision = #qc.precision<activation = i4, weight = i4, granularity = per_channel, scheme = symmetric, group_size = 0>} {
  return
}

// -----

func.func @table_size(%a: tensor<4x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{table must be a 1-d tensor of 256 'i8' values}}
  %0 = qc.lookup_table %a {table = dense<1> : tensor<128xi8>} : tensor<4x!quant.uniform<i8:f32, 0.1>> -> tensor<4x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @table_wide(%a: tensor<4x!quant.uniform<i16:f32, 0.1>>) {
  // expected-error @+1 {{input storage wider than 8 bits needs a table of more than 256 entries}}
  %0 = qc.lookup_table %a {table = dense<1> : tensor<256xi8>} : tensor<4x!quant.uniform<i16:f32, 0.1>> -> tensor<4x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @qadd_counts(%a: tensor<4x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{needs three multipliers and shifts (lhs, rhs, result)}}
  %0 = qc.qadd %a, %a {multiplier = array<i32: 1073741824>, shift = array<i32: 0>, left_shift = 20} : (tensor<4x!quant.uniform<i8:f32, 0.1>>, tensor<4x!quant.uniform<i8:f32, 0.1>>) -> tensor<4x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @qadd_left_shift(%a: tensor<4x!quant.uniform<i16:f32, 0.1>>) {
  // expected-error @+1 {{left_shift 20 overflows i32 for the inputs}}
  %0 = qc.qadd %a, %a {multiplier = array<i32: 1, 1, 1>, shift = array<i32: 0, 0, 0>, left_shift = 20} : (tensor<4x!quant.uniform<i16:f32, 0.1>>, tensor<4x!quant.uniform<i16:f32, 0.1>>) -> tensor<4x!quant.uniform<i16:f32, 0.1>>
  return
}

// -----

func.func @qadd_shapes(%a: tensor<4x!quant.uniform<i8:f32, 0.1>>, %b: tensor<3x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{operand shapes do not broadcast to the result shape}}
  %0 = qc.qadd %a, %b {multiplier = array<i32: 1, 1, 1>, shift = array<i32: 0, 0, 0>, left_shift = 20} : (tensor<4x!quant.uniform<i8:f32, 0.1>>, tensor<3x!quant.uniform<i8:f32, 0.1>>) -> tensor<4x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @resize_linear(%x: tensor<1x1x2x2x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{resizes quantized tensors in nearest mode only}}
  %0 = qc.resize %x {scales = array<f32: 1.0, 1.0, 2.0, 2.0>, mode = "linear", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor"} : tensor<1x1x2x2x!quant.uniform<i8:f32, 0.1>> -> tensor<1x1x4x4x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @resize_type(%x: tensor<1x1x2x2x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{quantized input and result must have the same type}}
  %0 = qc.resize %x {scales = array<f32: 1.0, 1.0, 2.0, 2.0>, mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor"} : tensor<1x1x2x2x!quant.uniform<i8:f32, 0.1>> -> tensor<1x1x4x4x!quant.uniform<i8:f32, 0.2>>
  return
}

// -----

func.func @qmul_wide(%a: tensor<4x!quant.uniform<i16:f32, 0.1>>, %b: tensor<4x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{inputs wider than 8 bits are not supported}}
  %0 = qc.qmul %a, %b {multiplier = 1073741824 : i32, shift = 0 : i32} : (tensor<4x!quant.uniform<i16:f32, 0.1>>, tensor<4x!quant.uniform<i8:f32, 0.1>>) -> tensor<4x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @microkernel_result_type(%x: tensor<4xi8>, %o: tensor<2xi32>) -> tensor<2xi8> {
  // expected-error @+1 {{result type 'tensor<2xi8>' differs from its output 'tensor<2xi32>'}}
  %y = qc.microkernel "k" ins(%x : tensor<4xi8>) outs(%o : tensor<2xi32>) -> tensor<2xi8>
  return %y : tensor<2xi8>
}

// -----

func.func @microkernel_mixed(%x: tensor<4xi8>, %o: memref<2xi32>) {
  // expected-error @+1 {{mixes tensors and buffers}}
  qc.microkernel "k" ins(%x : tensor<4xi8>) outs(%o : memref<2xi32>)
  return
}

// -----

func.func @microkernel_missing_result(%x: tensor<4xi8>, %o: tensor<2xi32>) {
  // expected-error @+1 {{returns one tensor per output, got 0 for 1}}
  qc.microkernel "k" ins(%x : tensor<4xi8>) outs(%o : tensor<2xi32>)
  return
}
