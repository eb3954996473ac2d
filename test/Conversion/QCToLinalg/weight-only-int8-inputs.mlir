// RUN: quant-opt %s --split-input-file --convert-qc-to-linalg="microkernels=true kernel-suffix=generic" --canonicalize --verify-diagnostics | FileCheck %s
// RUN: not quant-opt %s --split-input-file --convert-qc-to-linalg="tensor-cores=true" 2>&1 | FileCheck %s --check-prefix=UNPACK

!w = !quant.uniform<i4<-7:7>:f32:1, {0.5, 0.25}>

// Rule: dynamic_int8_block is the weight-only kernel's last parameter (M =
// 3, K = 16, N = 2, 4 bits, one group of 16 rows, no bias, no zero scales,
// zero point 8, inputs rounded in blocks of 8); the weights are packed as
// for float inputs.
// CHECK-LABEL: func.func @int8_inputs
// CHECK-DAG: %[[P:.*]] = arith.constant dense<[3, 16, 2, 4, 16, 0, 0, 8, 8]> : tensor<9xi64>
// CHECK: qc.microkernel "quantc_wmatmul_generic" ins(%arg0, %{{.*}}, %{{.*}}, %[[P]] : tensor<3x16xf32>, tensor<384xi8>, tensor<1xf32>, tensor<9xi64>)
// Rule (GPU targets): the unpacking form has no int8 inputs, so the layer
// cannot be lowered, and the conversion says which.
// UNPACK: error: failed to legalize operation 'qc.matmul'
func.func @int8_inputs(%x: tensor<3x16xf32>) -> tensor<3x2xf32> {
  %wi = qc.constant dense<1> : tensor<16x2xi4>
  %w = quant.scast %wi : tensor<16x2xi4> to tensor<16x2x!w>
  %wf = qc.dequantize %w : tensor<16x2x!w> -> tensor<16x2xf32>
  %y = qc.matmul %x, %wf {dynamic_int8_block = 8} : (tensor<3x16xf32>, tensor<16x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

!w = !quant.uniform<i4<-7:7>:f32:1, {0.5, 0.25}>

// Rule: blocks of 4 inputs end inside a word of 8 four-bit weights; no
// kernel computes that, nor any other lowering.
func.func @block_splits_words(%x: tensor<3x16xf32>) -> tensor<3x2xf32> {
  %wi = qc.constant dense<1> : tensor<16x2xi4>
  %w = quant.scast %wi : tensor<16x2xi4> to tensor<16x2x!w>
  %wf = qc.dequantize %w : tensor<16x2x!w> -> tensor<16x2xf32>
  // expected-error @+1 {{failed to legalize operation 'qc.matmul'}}
  %y = qc.matmul %x, %wf {dynamic_int8_block = 4} : (tensor<3x16xf32>, tensor<16x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// Rule: a float weight has no integer form: the layer is not lowered.
func.func @float_weight(%x: tensor<3x16xf32>, %w: tensor<16x2xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{failed to legalize operation 'qc.matmul'}}
  %y = qc.matmul %x, %w {dynamic_int8_block = 8} : (tensor<3x16xf32>, tensor<16x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

!w = !quant.uniform<i8:f32, 0.5>

// Rule: the same for Gemm.
func.func @gemm_float_weight(%x: tensor<3x16xf32>, %w: tensor<16x2xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{failed to legalize operation 'qc.gemm'}}
  %y = qc.gemm %x, %w {dynamic_int8_block = 8} : (tensor<3x16xf32>, tensor<16x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}
