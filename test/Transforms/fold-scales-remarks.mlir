// Layers whose integer form could overflow i32 or whose rescale cannot be
// represented stay in QDQ form, with a remark.
// RUN: quant-opt %s --split-input-file --qc-fold-scales --verify-diagnostics

!x = !quant.uniform<i16:f32, 0.5>
!w = !quant.uniform<i8<-127:127>:f32, 0.25>
!y = !quant.uniform<i8:f32, 2.0>

// K * 32768 * 127 > 2^31 for K = 1024.
func.func @overflow(%x: tensor<1x1024x!x>, %wi: tensor<1024x2xi8>) -> tensor<1x2x!y> {
  %xd = qc.dequantize %x : tensor<1x1024x!x> -> tensor<1x1024xf32>
  %ws = quant.scast %wi : tensor<1024x2xi8> to tensor<1024x2x!w>
  %wd = qc.dequantize %ws : tensor<1024x2x!w> -> tensor<1024x2xf32>
  %m = qc.matmul %xd, %wd : (tensor<1x1024xf32>, tensor<1024x2xf32>) -> tensor<1x2xf32>
  // expected-remark @+1 {{layer kept in QDQ form: its accumulator could overflow i32}}
  %q = qc.quantize %m : tensor<1x2xf32> -> tensor<1x2x!y>
  return %q : tensor<1x2x!y>
}

// -----

!x = !quant.uniform<i8:f32, 1.0e+10>
!w = !quant.uniform<i8<-127:127>:f32, 1.0e+10>
!y = !quant.uniform<i8:f32, 1.0e-10>

func.func @rescale(%x: tensor<1x2x!x>, %wi: tensor<2x2xi8>) -> tensor<1x2x!y> {
  %xd = qc.dequantize %x : tensor<1x2x!x> -> tensor<1x2xf32>
  %ws = quant.scast %wi : tensor<2x2xi8> to tensor<2x2x!w>
  %wd = qc.dequantize %ws : tensor<2x2x!w> -> tensor<2x2xf32>
  %m = qc.matmul %xd, %wd : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  // expected-remark @+1 {{layer kept in QDQ form: its rescale is not representable}}
  %q = qc.quantize %m : tensor<1x2xf32> -> tensor<1x2x!y>
  return %q : tensor<1x2x!y>
}
