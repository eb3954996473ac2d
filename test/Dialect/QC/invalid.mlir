// RUN: quant-opt %s -split-input-file -verify-diagnostics

func.func @binary_no_broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{operand shapes do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.add %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @binary_wrong_result(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<3x3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.mul %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<3x3xf32>
  return
}

// -----

func.func @binary_mixed_types(%a: tensor<3xf32>, %b: tensor<3xi64>) {
  // expected-error @+1 {{operands must have the same element type}}
  %0 = qc.sub %a, %b : (tensor<3xf32>, tensor<3xi64>) -> tensor<3xi64>
  return
}

// -----

func.func @unary_int(%a: tensor<3xi32>) {
  // expected-error @+1 {{must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type or 64-bit float values}}
  %0 = qc.relu %a : tensor<3xi32>
  return
}

// -----

func.func @clip_bounds(%a: tensor<3xf32>) {
  // expected-error @+1 {{min must not exceed max}}
  %0 = qc.clip %a {min = 1.0 : f32, max = 0.0 : f32} : tensor<3xf32>
  return
}

// -----

func.func @softmax_axis(%a: tensor<3xf32>) {
  // expected-error @+1 {{axis 2 out of range for rank 1}}
  %0 = qc.softmax %a {axis = 2 : i64} : tensor<3xf32>
  return
}

// -----

func.func @where_condition(%c: tensor<3xf32>, %a: tensor<3xf32>) {
  // expected-error @+1 {{must be ranked tensor of 1-bit signless integer values}}
  %0 = qc.where %c, %a, %a : (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @cast_shape(%a: tensor<3xf32>) {
  // expected-error @+1 {{must keep the shape}}
  %0 = qc.cast %a : tensor<3xf32> -> tensor<4xi64>
  return
}

// -----

func.func @matmul_k(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+2 {{matmul contraction sizes differ: 3 vs 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @gemm_rank(%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+2 {{gemm operands must be matrices}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.gemm %a, %b : (tensor<2x3x4xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @matmul_int8_block(%a: tensor<2x6xf32>, %b: tensor<6x5xf32>) {
  // expected-error @+1 {{dynamic_int8_block 4 does not divide the reduced dimension 6}}
  %0 = qc.matmul %a, %b {dynamic_int8_block = 4} : (tensor<2x6xf32>, tensor<6x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @matmul_int8_block_positive(%a: tensor<2x6xf32>, %b: tensor<6x5xf32>) {
  // expected-error @+1 {{attribute 'dynamic_int8_block' failed to satisfy constraint}}
  %0 = qc.matmul %a, %b {dynamic_int8_block = 0} : (tensor<2x6xf32>, tensor<6x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @gemm_int8_block_transposed(%a: tensor<4x2xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+1 {{dynamic_int8_block needs an untransposed a}}
  %0 = qc.gemm %a, %b {trans_a = true, dynamic_int8_block = 2} : (tensor<4x2xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @gemm_int8_block(%a: tensor<2x6xf32>, %b: tensor<6x5xf32>) {
  // expected-error @+1 {{dynamic_int8_block 4 does not divide the reduced dimension 6}}
  %0 = qc.gemm %a, %b {dynamic_int8_block = 4} : (tensor<2x6xf32>, tensor<6x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @gemm_bias(%a: tensor<2x4xf32>, %b: tensor<4x5xf32>, %c: tensor<3xf32>) {
  // expected-error @+1 {{does not broadcast to}}
  %0 = qc.gemm %a, %b, %c : (tensor<2x4xf32>, tensor<4x5xf32>, tensor<3xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @conv_channels(%x: tensor<1x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+2 {{conv channels do not match: input has 3, weight expects 2 x group 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>}
      : (tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_pads(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{'pads' needs 4 entries, got 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0>}
      : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_bias(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{expects per-channel parameters of shape [4]}}
  %0 = qc.conv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>}
      : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_transpose_output_padding(%x: tensor<1x4x5x5xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{output_padding must be in [0, stride)}}
  %0 = qc.conv_transpose %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, output_padding = array<i64: 1, 1>}
      : (tensor<1x4x5x5xf32>, tensor<4x3x3x3xf32>) -> tensor<1x3x8x8xf32>
  return
}

// -----

func.func @pool_window(%x: tensor<1x3x2x2xf32>) {
  // expected-error @+2 {{pooling window larger than the input}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.max_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>}
      : (tensor<1x3x2x2xf32>) -> tensor<1x3x1x1xf32>
  return
}

// -----

func.func @avg_pool_rank(%x: tensor<3x2xf32>) {
  // expected-error @+2 {{pooling needs an N x C x spatial input}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.avg_pool %x {kernel_shape = array<i64: 1>, strides = array<i64: 1>, pads = array<i64: 0, 0>}
      : (tensor<3x2xf32>) -> tensor<3x2xf32>
  return
}

// -----

func.func @avg_pool_dilations(%x: tensor<1x1x4x4xf32>) {
  // expected-error @+2 {{dilations}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.avg_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 2>}
      : (tensor<1x1x4x4xf32>) -> tensor<1x1x2x3xf32>
  return
}

// -----

func.func @global_pool_rank(%x: tensor<3x2xf32>) {
  // expected-error @+2 {{global pooling needs an N x C x spatial input}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.global_avg_pool %x : (tensor<3x2xf32>) -> tensor<3x2xf32>
  return
}

// -----

func.func @batch_norm_params(%x: tensor<1x3x2x2xf32>, %c: tensor<4xf32>) {
  // expected-error @+1 {{expects per-channel parameters of shape [3]}}
  %0 = qc.batch_norm %x, %c, %c, %c, %c {epsilon = 1.0e-5 : f32}
      : (tensor<1x3x2x2xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x3x2x2xf32>
  return
}

// -----

func.func @instance_norm_params(%x: tensor<1x3x2x2xf32>, %c: tensor<2xf32>) {
  // expected-error @+1 {{expects per-channel parameters of shape [3]}}
  %0 = qc.instance_norm %x, %c, %c {epsilon = 1.0e-5 : f32}
      : (tensor<1x3x2x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x3x2x2xf32>
  return
}

// -----

func.func @layer_norm_scale(%x: tensor<2x8xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{do not broadcast to the normalized shape}}
  %0 = qc.layer_norm %x, %s {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x8xf32>, tensor<4xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @reduce_axis(%x: tensor<2x8xf32>) {
  // expected-error @+2 {{reduction axis 2 out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.reduce_sum %x {axes = array<i64: 2>} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @reduce_mean_result(%x: tensor<2x8xf32>) {
  // expected-error @+2 {{are incompatible with return type}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.reduce_mean %x {axes = array<i64: 1>, keepdims = false} : (tensor<2x8xf32>) -> tensor<2x1xf32>
  return
}

// -----

func.func @reduce_mean_type(%x: tensor<2xi64>) {
  // expected-error @+1 {{must be ranked tensor of 32-bit float}}
  %0 = qc.reduce_mean %x {axes = array<i64: 0>} : (tensor<2xi64>) -> tensor<1xi64>
  return
}

// -----

// Bools have a maximum and a minimum (any, all), not a sum.
func.func @reduce_sum_bool(%x: tensor<2xi1>) {
  // expected-error @+1 {{must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type or 64-bit float or 32-bit signless integer or 64-bit signless integer values}}
  %0 = qc.reduce_sum %x {axes = array<i64: 0>} : (tensor<2xi1>) -> tensor<1xi1>
  return
}

// -----

func.func @reduce_min_result(%x: tensor<2x8xf32>) {
  // expected-error @+2 {{are incompatible with return type}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.reduce_min %x {axes = array<i64>} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @reshape_count(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{cannot reshape 'tensor<2x8xf32>' into 'tensor<3x5xf32>'}}
  %0 = qc.reshape %x : tensor<2x8xf32> -> tensor<3x5xf32>
  return
}

// -----

func.func @transpose_perm(%x: tensor<2x8xf32>) {
  // expected-error @+2 {{perm is not a permutation}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.transpose %x {perm = array<i64: 0, 0>} : (tensor<2x8xf32>) -> tensor<2x2xf32>
  return
}

// -----

func.func @concat_dims(%a: tensor<2x8xf32>, %b: tensor<3x7xf32>) {
  // expected-error @+2 {{concat inputs differ in dimension 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.concat %a, %b {axis = 0 : i64} : (tensor<2x8xf32>, tensor<3x7xf32>) -> tensor<5x8xf32>
  return
}

// -----

func.func @slice_step(%x: tensor<8xf32>) {
  // expected-error @+2 {{slice step must not be zero}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.slice %x {starts = array<i64: 0>, limits = array<i64: 8>, steps = array<i64: 0>} : (tensor<8xf32>) -> tensor<8xf32>
  return
}

// -----

func.func @slice_bounds(%x: tensor<8xf32>) {
  // expected-error @+2 {{slice bounds out of range in dimension 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.slice %x {starts = array<i64: 0>, limits = array<i64: 9>, steps = array<i64: 1>} : (tensor<8xf32>) -> tensor<9xf32>
  return
}

// -----

func.func @gather_axis(%x: tensor<8xf32>, %i: tensor<2xi64>) {
  // expected-error @+2 {{gather axis out of range}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.gather %x, %i {axis = 1 : i64} : (tensor<8xf32>, tensor<2xi64>) -> tensor<2xf32>
  return
}

// -----

func.func @broadcast_to(%x: tensor<3xf32>) {
  // expected-error @+1 {{cannot broadcast 'tensor<3xf32>' to 'tensor<2x4xf32>'}}
  %0 = qc.broadcast_to %x : tensor<3xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @tile_repeats(%x: tensor<3xf32>) {
  // expected-error @+2 {{tile needs one repeat per dimension}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.tile %x {repeats = array<i64: 1, 2>} : (tensor<3xf32>) -> tensor<6xf32>
  return
}

// -----

func.func @pad_mode(%x: tensor<3xf32>) {
  // expected-error @+1 {{unknown pad mode 'wrap'}}
  %0 = qc.pad %x {pads = array<i64: 1, 1>, mode = "wrap"} : (tensor<3xf32>) -> tensor<5xf32>
  return
}

// -----

func.func @pad_reflect(%x: tensor<3xf32>) {
  // expected-error @+1 {{reflect padding must be smaller than the dimension}}
  %0 = qc.pad %x {pads = array<i64: 3, 0>, mode = "reflect"} : (tensor<3xf32>) -> tensor<6xf32>
  return
}

// -----

func.func @resize_mode(%x: tensor<1x2xf32>) {
  // expected-error @+1 {{unsupported mode 'area'}}
  %0 = qc.resize %x {scales = array<f32: 1.0, 2.0>, mode = "area", coordinate_transformation_mode = "half_pixel", nearest_mode = "floor"}
      : tensor<1x2xf32> -> tensor<1x4xf32>
  return
}

// -----

func.func @resize_nearest_antialias(%x: tensor<1x4xf32>) {
  // expected-error @+1 {{antialias applies to linear and cubic modes only}}
  %0 = qc.resize %x {scales = array<f32: 1.0, 0.5>, mode = "nearest", coordinate_transformation_mode = "half_pixel", nearest_mode = "floor", antialias = true}
      : tensor<1x4xf32> -> tensor<1x2xf32>
  return
}

// -----

func.func @resize_crop_roi(%x: tensor<1x4xf32>) {
  // expected-error @+1 {{tf_crop_and_resize needs a roi of 4 values}}
  %0 = qc.resize %x {scales = array<f32: 1.0, 0.5>, mode = "linear", coordinate_transformation_mode = "tf_crop_and_resize", nearest_mode = "floor", roi = array<f32: 0.0, 1.0>}
      : tensor<1x4xf32> -> tensor<1x2xf32>
  return
}

// -----

func.func @resize_cubic_quantized(%x: tensor<1x2x!quant.uniform<i8:f32, 0.5>>) {
  // expected-error @+1 {{resizes quantized tensors in nearest mode only}}
  %0 = qc.resize %x {scales = array<f32: 1.0, 2.0>, mode = "cubic", coordinate_transformation_mode = "half_pixel", nearest_mode = "floor"}
      : tensor<1x2x!quant.uniform<i8:f32, 0.5>> -> tensor<1x4x!quant.uniform<i8:f32, 0.5>>
  return
}

// -----

func.func @resize_scales(%x: tensor<1x2xf32>) {
  // expected-error @+1 {{needs one scale per dimension and the same rank}}
  %0 = qc.resize %x {scales = array<f32: 2.0>, mode = "linear", coordinate_transformation_mode = "half_pixel", nearest_mode = "floor"}
      : tensor<1x2xf32> -> tensor<1x4xf32>
  return
}

// -----

func.func @einsum_equation(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{unsupported einsum equation '...ij->ji'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.einsum %x {equation = "...ij->ji"} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return
}

// -----

func.func @einsum_sizes(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+2 {{einsum index 'j' has sizes 3 and 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.einsum %a, %b {equation = "ij,jk->ik"} : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @constant_type() {
  // expected-error @+2 {{inferred type(s)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = "qc.constant"() {value = dense<1.0> : tensor<2xf32>} : () -> tensor<3xf32>
  return
}

// -----

func.func @where_branch_types(%c: tensor<3xi1>, %a: tensor<3xf32>, %b: tensor<3xi64>) {
  // expected-error @+1 {{operands must have the same element type}}
  %0 = qc.where %c, %a, %b : (tensor<3xi1>, tensor<3xf32>, tensor<3xi64>) -> tensor<3xi64>
  return
}

// -----

func.func @and_of_floats(%a: tensor<3xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 1-bit signless integer values}}
  %0 = qc.and %a, %a : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @trilu_of_vector(%a: tensor<3xf32>) {
  // expected-error @+1 {{needs a tensor of rank 2 or more}}
  %0 = qc.trilu %a {k = 0 : i64, upper = true} : tensor<3xf32>
  return
}

// -----

func.func @cumsum_axis(%a: tensor<3x4xi64>) {
  // expected-error @+1 {{axis 2 out of range for rank 2}}
  %0 = qc.cumsum %a {axis = 2 : i64} : tensor<3x4xi64>
  return
}

// -----

func.func @cumsum_of_bools(%a: tensor<3xi1>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float or 64-bit float or 32-bit signless integer or 64-bit signless integer values}}
  %0 = qc.cumsum %a {axis = 0 : i64} : tensor<3xi1>
  return
}

// -----

func.func @attention_heads(%q: tensor<1x3x2x8xf32>, %k: tensor<1x2x4x8xf32>) {
  // expected-error @+1 {{query heads (3) must be a multiple of key/value heads (2)}}
  %0 = qc.attention %q, %k, %k {scale = 1.0 : f32}
      : (tensor<1x3x2x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> tensor<1x3x2x8xf32>
  return
}

// -----

func.func @attention_mask(%q: tensor<1x2x2x8xf32>, %k: tensor<1x2x4x8xf32>, %m: tensor<1x1x2x3xi1>) {
  // expected-error @+1 {{does not broadcast to the scores [B, Hq, T, S]}}
  %0 = qc.attention %q, %k, %k, %m {scale = 1.0 : f32}
      : (tensor<1x2x2x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x1x2x3xi1>) -> tensor<1x2x2x8xf32>
  return
}

// -----

func.func @attention_head_size(%q: tensor<1x2x2x8xf32>, %k: tensor<1x2x4x16xf32>) {
  // expected-error @+1 {{differ in batch or head size}}
  %0 = qc.attention %q, %k, %k {scale = 1.0 : f32}
      : (tensor<1x2x2x8xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>) -> tensor<1x2x2x8xf32>
  return
}

// -----

func.func @cached_attention_batch(%q: tensor<2x2x1x8xf32>, %k: tensor<2x2x1x8xf32>) {
  // expected-error @+1 {{batch must be 1, got 2}}
  %0 = qc.cached_attention %q, %k, %k {layer = 0 : i64, scale = 1.0 : f32}
      : (tensor<2x2x1x8xf32>, tensor<2x2x1x8xf32>, tensor<2x2x1x8xf32>) -> tensor<2x2x1x8xf32>
  return
}

// -----

func.func @cached_attention_cache(%q: tensor<1x2x1x8xf32>, %k: tensor<1x2x1x8xf32>) {
  // expected-error @+1 {{cache 'i3' is not f32, f16, bf16, i8 or i4}}
  %0 = qc.cached_attention %q, %k, %k {cache = "i3", layer = 0 : i64, scale = 1.0 : f32}
      : (tensor<1x2x1x8xf32>, tensor<1x2x1x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x1x8xf32>
  return
}

// -----

func.func @cached_attention_key_scale_float(%q: tensor<1x2x1x2xf32>, %k: tensor<1x1x1x2xf32>) {
  // expected-error @+1 {{key_scale applies to i8 and i4 caches, not 'f16'}}
  %0 = qc.cached_attention %q, %k, %k {cache = "f16", key_scale = array<f32: 1.0, 2.0>, layer = 0 : i64, scale = 1.0 : f32}
      : (tensor<1x2x1x2xf32>, tensor<1x1x1x2xf32>, tensor<1x1x1x2xf32>) -> tensor<1x2x1x2xf32>
  return
}

// -----

func.func @cached_attention_key_scale_size(%q: tensor<1x2x1x2xf32>, %k: tensor<1x1x1x2xf32>) {
  // expected-error @+1 {{key_scale has 3 factors; keys of 1 heads of 2 channels need 2}}
  %0 = qc.cached_attention %q, %k, %k {cache = "i8", key_scale = array<f32: 1.0, 2.0, 3.0>, layer = 0 : i64, scale = 1.0 : f32}
      : (tensor<1x2x1x2xf32>, tensor<1x1x1x2xf32>, tensor<1x1x1x2xf32>) -> tensor<1x2x1x2xf32>
  return
}

// -----

func.func @cached_attention_key_scale_zero(%q: tensor<1x2x1x2xf32>, %k: tensor<1x1x1x2xf32>) {
  // expected-error @+1 {{key_scale factors must be positive and finite}}
  %0 = qc.cached_attention %q, %k, %k {cache = "i4", key_scale = array<f32: 1.0, 0.0>, layer = 0 : i64, scale = 1.0 : f32}
      : (tensor<1x2x1x2xf32>, tensor<1x1x1x2xf32>, tensor<1x1x1x2xf32>) -> tensor<1x2x1x2xf32>
  return
}

// -----

func.func @cached_attention_rows(%q: tensor<1x2x2x8xf32>, %k: tensor<1x2x1x8xf32>) {
  // expected-error @+1 {{appends one key/value per query: 2 queries, 1 keys}}
  %0 = qc.cached_attention %q, %k, %k {layer = 0 : i64, scale = 1.0 : f32}
      : (tensor<1x2x2x8xf32>, tensor<1x2x1x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x2x8xf32>
  return
}

// -----

func.func @gather_elements_rank(%x: tensor<3x4xf32>, %i: tensor<3xi64>) {
  // expected-error @+1 {{must have the same rank, at least 1}}
  %0 = qc.gather_elements %x, %i {axis = 0 : i64} : (tensor<3x4xf32>, tensor<3xi64>) -> tensor<3xf32>
  return
}

// -----

func.func @scatter_nd_updates(%x: tensor<3x4xf32>, %i: tensor<2x1xi64>, %u: tensor<2x3xf32>) {
  // expected-error @+1 {{must be indices.shape[:-1] + data.shape[k:]}}
  %0 = qc.scatter_nd %x, %i, %u : (tensor<3x4xf32>, tensor<2x1xi64>, tensor<2x3xf32>) -> tensor<3x4xf32>
  return
}

// -----

func.func @scatter_nd_reduction(%x: tensor<3x4xf32>, %i: tensor<2x1xi64>, %u: tensor<2x4xf32>) {
  // expected-error @+1 {{unknown reduction 'sum'}}
  %0 = qc.scatter_nd %x, %i, %u {reduction = "sum"} : (tensor<3x4xf32>, tensor<2x1xi64>, tensor<2x4xf32>) -> tensor<3x4xf32>
  return
}

// -----

// Sizes and attributes come from models: shape arithmetic that would
// overflow is an error, never undefined behaviour.
func.func @pad_overflow(%x: tensor<3xf32>) {
  // expected-error @+2 {{pad makes dimension 0 overflow}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.pad %x {pads = array<i64: 9223372036854775807, 1>, mode = "constant"} : (tensor<3xf32>) -> tensor<5xf32>
  return
}

// -----

func.func @tile_overflow(%x: tensor<3xf32>) {
  // expected-error @+2 {{tile result dimension overflows}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.tile %x {repeats = array<i64: 4611686018427387904>} : (tensor<3xf32>) -> tensor<6xf32>
  return
}

// -----

func.func @conv_zero_stride(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{strides and dilations must be positive}}
  %0 = qc.conv %x, %w {strides = array<i64: 0, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>}
      : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_output_overflow(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{conv output size overflows}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 9223372036854775807, 0, 9223372036854775807, 0>}
      : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @celu_zero_alpha(%x: tensor<4xf32>) {
  // expected-error @+1 {{alpha must not be 0}}
  %0 = qc.celu %x {alpha = 0.0 : f32} : tensor<4xf32>
  return
}

// -----

func.func @bitwise_on_floats(%x: tensor<4xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of}}
  %0 = qc.bitwise_and %x, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @mod_mixed_types(%a: tensor<4xi32>, %b: tensor<4xi64>) {
  // expected-error @+1 {{operands must have the same element type}}
  %0 = qc.mod %a, %b : (tensor<4xi32>, tensor<4xi64>) -> tensor<4xi32>
  return
}

// -----

func.func @is_nan_of_ints(%x: tensor<4xi32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of}}
  %0 = qc.is_nan %x : (tensor<4xi32>) -> tensor<4xi1>
  return
}

// -----

func.func @top_k_too_many(%x: tensor<2x5xf32>) {
  // expected-error @+1 {{k = 6 is not in [0, 5]}}
  %0 = qc.top_k %x {axis = 1 : i64, k = 6 : i64} : (tensor<2x5xf32>) -> tensor<2x6xi64>
  return
}

// -----

func.func @arg_max_axis(%x: tensor<2x5xf32>) {
  // expected-error @+1 {{axis 2 out of range for rank 2}}
  %0 = qc.arg_max %x {axis = 2 : i64} : (tensor<2x5xf32>) -> tensor<2x5xi64>
  return
}

// -----

func.func @arg_min_empty_axis(%x: tensor<2x0xf32>) {
  // expected-error @+1 {{axis 1 of 'tensor<2x0xf32>' is empty}}
  %0 = qc.arg_min %x {axis = 1 : i64} : (tensor<2x0xf32>) -> tensor<2x1xi64>
  return
}

// -----

func.func @grid_sample_mode(%x: tensor<1x2x4x5xf32>, %g: tensor<1x3x6x2xf32>) {
  // expected-error @+1 {{unknown mode 'area'}}
  %0 = qc.grid_sample %x, %g {align_corners = false, mode = "area", padding_mode = "zeros"} : (tensor<1x2x4x5xf32>, tensor<1x3x6x2xf32>) -> tensor<1x2x3x6xf32>
  return
}

// -----

func.func @grid_sample_shape(%x: tensor<1x2x4x5xf32>, %g: tensor<1x3x6x2xf32>) {
  // expected-error @+1 {{result must be [N, C, (Do,) Ho, Wo]}}
  %0 = qc.grid_sample %x, %g {align_corners = false, mode = "linear", padding_mode = "zeros"} : (tensor<1x2x4x5xf32>, tensor<1x3x6x2xf32>) -> tensor<1x2x6x3xf32>
  return
}

// -----

func.func @det_not_square(%m: tensor<2x3x4xf32>) {
  // expected-error @+1 {{expects square matrices [..., M, M]}}
  %0 = qc.det %m : (tensor<2x3x4xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @roi_align_indices(%x: tensor<1x2x8x8xf32>, %r: tensor<3x4xf32>, %b: tensor<2xi64>) {
  // expected-error @+1 {{expects an [N, C, H, W] input, [R, 4] rois and [R] batch indices}}
  %0 = qc.roi_align %x, %r, %b {half_pixel = true, mode = "avg", sampling_ratio = 0 : i64, spatial_scale = 1.0 : f32} : (tensor<1x2x8x8xf32>, tensor<3x4xf32>, tensor<2xi64>) -> tensor<3x2x2x2xf32>
  return
}

// -----

func.func @max_roi_pool_rois(%x: tensor<1x2x8x8xf32>, %r: tensor<3x4xf32>) {
  // expected-error @+1 {{expects an [N, C, H, W] input and [R, 5] rois}}
  %0 = qc.max_roi_pool %x, %r {spatial_scale = 1.0 : f32} : (tensor<1x2x8x8xf32>, tensor<3x4xf32>) -> tensor<3x2x1x1xf32>
  return
}

// -----

func.func @deform_unfold_offset(%x: tensor<1x2x5x5xf32>, %o: tensor<1x6x4x4xf32>, %m: tensor<1x4x4x4xf32>) {
  // expected-error @+1 {{offset must be [N, G x kH x kW x 2, oH, oW]}}
  %0 = qc.deform_unfold %x, %o, %m {dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, offset_group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x5x5xf32>, tensor<1x6x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x16x8xf32>
  return
}

// -----

func.func @non_max_suppression_rows(%b: tensor<1x5x4xf32>, %s: tensor<1x2x5xf32>) {
  // expected-error @+1 {{result must be [B x C x min(max_output_boxes_per_class, N), 3]}}
  %0 = qc.non_max_suppression %b, %s {center_point_box = false, iou_threshold = 0.5 : f32, max_output_boxes_per_class = 9 : i64} : (tensor<1x5x4xf32>, tensor<1x2x5xf32>) -> tensor<18x3xi64>
  return
}

// -----

func.func @max_pool_wide_integers(%x: tensor<1x1x4x4xi32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type or 64-bit float values or ranked tensor of quantized type values or ranked tensor of 8-bit signless integer or 8-bit unsigned integer values}}
  %0 = qc.max_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>}
      : (tensor<1x1x4x4xi32>) -> tensor<1x1x2x2xi32>
  return
}

// -----

func.func @max_pool_indices_storage_order(%x: tensor<1x1x4x4xf32>) {
  // expected-error @+1 {{storage_order must be 0 (row-major) or 1 (column-major), got 2}}
  %0 = qc.max_pool_indices %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, storage_order = 2}
      : (tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xi64>
  return
}

// -----

func.func @max_pool_indices_type(%x: tensor<1x1x4x4xf32>) {
  // expected-error @+1 {{result #0 must be ranked tensor of 64-bit signless integer values, but got 'tensor<1x1x2x2xi32>'}}
  %0 = qc.max_pool_indices %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>}
      : (tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xi32>
  return
}

// -----

func.func @grid_sample_cubic_3d(%x: tensor<1x2x3x4x5xf32>, %g: tensor<1x2x3x6x3xf32>) {
  // expected-error @+1 {{cubic sampling is 2-d only}}
  %0 = qc.grid_sample %x, %g {align_corners = false, mode = "cubic", padding_mode = "zeros"} : (tensor<1x2x3x4x5xf32>, tensor<1x2x3x6x3xf32>) -> tensor<1x2x2x3x6xf32>
  return
}

// -----

func.func @grid_sample_grid_width(%x: tensor<1x2x3x4x5xf32>, %g: tensor<1x2x3x6x2xf32>) {
  // expected-error @+1 {{expects an [N, C, H, W] input and an [N, Ho, Wo, 2] grid, or an [N, C, D, H, W] input and an [N, Do, Ho, Wo, 3] grid}}
  %0 = qc.grid_sample %x, %g {align_corners = false, mode = "linear", padding_mode = "zeros"} : (tensor<1x2x3x4x5xf32>, tensor<1x2x3x6x2xf32>) -> tensor<1x2x2x3x6xf32>
  return
}

// -----

func.func @non_zero_scalar(%x: tensor<f32>) {
  // expected-error @+1 {{input must have rank 1 or more}}
  %0 = qc.non_zero %x : (tensor<f32>) -> tensor<1x1xi64>
  return
}

// -----

func.func @non_zero_shape(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{result must be [rank, elements] = [2, 6], got 'tensor<2x3xi64>'}}
  %0 = qc.non_zero %x : (tensor<2x3xf32>) -> tensor<2x3xi64>
  return
}
