// RUN: quant-opt %s --qc-cpu-codegen="target-cpu=znver4 float-mode=fast" | FileCheck %s --check-prefix=TILES
// RUN: quant-opt %s --qc-cpu-codegen="target-cpu=x86-64-v4,+avx512vnni float-mode=fast" | FileCheck %s --check-prefix=FMA
// RUN: quant-opt %s --qc-cpu-codegen="target-cpu=sapphirerapids" | FileCheck %s --check-prefix=EXACT

// The fast float mode runs transposed convolutions as convolutions
// (qc-decompose-conv-transpose): a 2 x 2 window at stride 2 and a padded
// 3 x 3 one with output padding both call a convolution kernel, on bf16
// tiles where the target multiplies bf16 pairs (qc-fast-float narrows them:
// 32 outputs, 16 and 64 reduction steps) and on the FMA float kernel
// elsewhere. The exact mode keeps the evaluator's order of sums: the
// product kernel for the window that takes one tap per output pixel, loops
// for the other.
// TILES-COUNT-2: llvm.call @quantc_bconv_tiles(
// TILES-NOT: llvm.call @quantc_fmatmul
// FMA-COUNT-2: llvm.call @quantc_fconv_fast_avx512vnni(
// FMA-NOT: llvm.call @quantc_fmatmul
// EXACT-NOT: llvm.call @quantc_fconv
// EXACT: llvm.call @quantc_fmatmul_avx512vnni(
// EXACT-NOT: llvm.call @quantc_fconv
func.func @main(%x: tensor<1x16x5x5xf32> {qc.name = "x"}) -> (tensor<1x8x10x10xf32> {qc.name = "y"}, tensor<1x8x10x10xf32> {qc.name = "z"}) {
  %w = qc.constant dense<0.125> : tensor<16x8x2x2xf32>
  %b = qc.constant dense<0.5> : tensor<8xf32>
  %y = qc.conv_transpose %x, %w, %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, output_padding = array<i64: 0, 0>, group = 1} : (tensor<1x16x5x5xf32>, tensor<16x8x2x2xf32>, tensor<8xf32>) -> tensor<1x8x10x10xf32>
  %v = qc.constant dense<0.25> : tensor<16x8x3x3xf32>
  %z = qc.conv_transpose %x, %v {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, output_padding = array<i64: 1, 1>, group = 1} : (tensor<1x16x5x5xf32>, tensor<16x8x3x3xf32>) -> tensor<1x8x10x10xf32>
  return %y, %z : tensor<1x8x10x10xf32>, tensor<1x8x10x10xf32>
}
