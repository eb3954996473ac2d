// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-dynamic-int8-activations))" --verify-diagnostics | FileCheck %s
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-dynamic-int8-activations{block-size=64}))" --verify-diagnostics=only-expected | FileCheck %s --check-prefix=B64
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-dynamic-int8-activations{block-size=0}))" --verify-diagnostics=only-expected | FileCheck %s --check-prefix=ROW
// RUN: not quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-dynamic-int8-activations{block-size=-1}))" 2>&1 | FileCheck %s --check-prefix=NEG

!w4 = !quant.uniform<i4<-7:7>:f32:1, {0.5, 0.25}>

// Rule: a matmul over a dequantized 4-bit constant (per channel: K = 64 is
// one group) rounds its input in blocks of 32, a multiple of the 8 values a
// word holds; with block-size=64 too.
// CHECK-LABEL: func.func @int4_per_channel
// CHECK: qc.matmul %{{.*}}, %{{.*}} {dynamic_int8_block = 32 : i64}
// B64-LABEL: func.func @int4_per_channel
// B64: qc.matmul %{{.*}}, %{{.*}} {dynamic_int8_block = 64 : i64}
// block-size=0: one scale per row (per token), the whole K = 64.
// ROW-LABEL: func.func @int4_per_channel
// ROW: qc.matmul %{{.*}}, %{{.*}} {dynamic_int8_block = 64 : i64}
// NEG: error: qc-dynamic-int8-activations: block-size must not be negative
func.func @int4_per_channel(%x: tensor<3x64xf32>) -> tensor<3x2xf32> {
  %wi = qc.constant dense<1> : tensor<64x2xi4>
  %w = quant.scast %wi : tensor<64x2xi4> to tensor<64x2x!w4>
  %wf = qc.dequantize %w : tensor<64x2x!w4> -> tensor<64x2xf32>
  %y = qc.matmul %x, %wf : (tensor<3x64xf32>, tensor<64x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

!w8 = !quant.uniform<u8:f32:{0:1,1:32}, {{0.5:3, 0.25:4}, {0.125:5, 1.0:6}}>

// Rule: Gemm's transposed 8-bit weights [N, K] with groups of 32 along K
// (the block shape's second entry): block 32 fits; 64 does not divide the
// groups, so that layer keeps float inputs (with a remark, as below).
// CHECK-LABEL: func.func @int8_groups_transposed
// CHECK: qc.gemm {{.*}}dynamic_int8_block = 32 : i64
// B64-LABEL: func.func @int8_groups_transposed
// B64-NOT: dynamic_int8_block
// ROW-LABEL: func.func @int8_groups_transposed
// ROW-NOT: dynamic_int8_block
func.func @int8_groups_transposed(%x: tensor<1x64xf32>, %b: tensor<2xf32>) -> tensor<1x2xf32> {
  %wi = qc.constant dense<7> : tensor<2x64xi8>
  %w = quant.scast %wi : tensor<2x64xi8> to tensor<2x64x!w8>
  %wf = qc.dequantize %w : tensor<2x64x!w8> -> tensor<2x64xf32>
  %y = qc.gemm %x, %wf, %b {trans_b = true} : (tensor<1x64xf32>, tensor<2x64xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

!w4 = !quant.uniform<i4:f32:{0:12,1:1}, {{0.5}, {0.25}}>

// Rule: 4-bit groups of 12 rows end inside a word of 8: float inputs stay.
// CHECK-LABEL: func.func @groups_split_words
// CHECK-NOT: dynamic_int8_block
func.func @groups_split_words(%x: tensor<1x24xf32>) -> tensor<1x1xf32> {
  %wi = qc.constant dense<1> : tensor<24x1xi4>
  %w = quant.scast %wi : tensor<24x1xi4> to tensor<24x1x!w4>
  %wf = qc.dequantize %w : tensor<24x1x!w4> -> tensor<24x1xf32>
  // expected-remark-re @+1 {{kept float activations: block-size {{32|64|24}} does not fit weight groups of 12 rows (4-bit words of 8)}}
  %y = qc.matmul %x, %wf : (tensor<1x24xf32>, tensor<24x1xf32>) -> tensor<1x1xf32>
  return %y : tensor<1x1xf32>
}

// -----

!w = !quant.uniform<i8:f32, 0.5>

// Rule: only weight-only layers change: a float weight, a weight that is
// not a constant, a Gemm with alpha != 1 or a transposed a stay as they are.
// CHECK-LABEL: func.func @not_weight_only
// CHECK-NOT: dynamic_int8_block
func.func @not_weight_only(%x: tensor<2x32xf32>, %f: tensor<32x2xf32>, %q: tensor<32x2x!w>,
                           %xt: tensor<32x2xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>) {
  %0 = qc.matmul %x, %f : (tensor<2x32xf32>, tensor<32x2xf32>) -> tensor<2x2xf32>
  %qf = qc.dequantize %q : tensor<32x2x!w> -> tensor<32x2xf32>
  %1 = qc.matmul %x, %qf : (tensor<2x32xf32>, tensor<32x2xf32>) -> tensor<2x2xf32>
  %wi = qc.constant dense<1> : tensor<32x2xi8>
  %w = quant.scast %wi : tensor<32x2xi8> to tensor<32x2x!w>
  %wf = qc.dequantize %w : tensor<32x2x!w> -> tensor<32x2xf32>
  %2 = qc.gemm %x, %wf {alpha = 2.0 : f32} : (tensor<2x32xf32>, tensor<32x2xf32>) -> tensor<2x2xf32>
  %3 = qc.gemm %xt, %wf {trans_a = true} : (tensor<32x2xf32>, tensor<32x2xf32>) -> tensor<2x2xf32>
  return %0, %1, %2, %3 : tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>
}
