// RUN: quant-opt %s --qc-cpu-codegen="target-cpu=znver4 float-mode=fast" 2>/dev/null | FileCheck %s --check-prefix=VECTORS
// RUN: quant-opt %s --qc-cpu-codegen="target-cpu=sapphirerapids float-mode=fast" 2>/dev/null | FileCheck %s --check-prefix=TILES

// Which thin layers the fast mode narrows to bf16 depends on the bf16
// products: AVX-512 BF16 (AMD Zen 4) narrows from 8 reduction steps,
// AMX-BF16 tiles (Sapphire Rapids) from 16. Both leave layers with fewer
// than 16 outputs per group in f32, depthwise convolutions included.
// VECTORS:     llvm.call @quantc_bconv_tiles(
// VECTORS-NOT: llvm.call @quantc_
// VECTORS:     llvm.call @quantc_bconv_tiles(
// TILES:       llvm.call @quantc_fconv_fast_avx512vnni(
// TILES-NOT:   llvm.call @quantc_
// TILES:       llvm.call @quantc_bconv_tiles(
// VECTORS-COUNT-3: llvm.call @quantc_fconv_fast_avx512vnni(
// VECTORS-NOT: llvm.call @quantc_
// TILES-COUNT-3: llvm.call @quantc_fconv_fast_avx512vnni(
// TILES-NOT:   llvm.call @quantc_
func.func @main(%x: tensor<1x8x4x4xf32> {qc.name = "x"}) -> (tensor<1x24x4x4xf32> {qc.name = "y"}) {
  // 8 to 32: 8 reduction steps.
  %w1 = qc.constant dense<0.125> : tensor<32x8x1x1xf32>
  %a = qc.conv %x, %w1 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x8x4x4xf32>, tensor<32x8x1x1xf32>) -> tensor<1x32x4x4xf32>
  // 32 to 96: wide enough for both.
  %w2 = qc.constant dense<0.25> : tensor<96x32x1x1xf32>
  %b = qc.conv %a, %w2 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x32x4x4xf32>, tensor<96x32x1x1xf32>) -> tensor<1x96x4x4xf32>
  // Depthwise 3 x 3: one output per group.
  %w3 = qc.constant dense<0.5> : tensor<96x1x3x3xf32>
  %c = qc.conv %b, %w3 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 96} : (tensor<1x96x4x4xf32>, tensor<96x1x3x3xf32>) -> tensor<1x96x4x4xf32>
  // 96 to 6: 6 outputs.
  %w4 = qc.constant dense<0.125> : tensor<6x96x1x1xf32>
  %d = qc.conv %c, %w4 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x96x4x4xf32>, tensor<6x96x1x1xf32>) -> tensor<1x6x4x4xf32>
  // 6 to 24: 6 reduction steps.
  %w5 = qc.constant dense<0.25> : tensor<24x6x1x1xf32>
  %y = qc.conv %d, %w5 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x6x4x4xf32>, tensor<24x6x1x1xf32>) -> tensor<1x24x4x4xf32>
  return %y : tensor<1x24x4x4xf32>
}
