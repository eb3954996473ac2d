// RUN: quant-opt %s --qc-cpu-codegen="target-cpu=sapphirerapids float-mode=fast" | FileCheck %s --check-prefix=TILES
// RUN: quant-opt %s --qc-cpu-codegen="target-cpu=znver4 float-mode=fast" | FileCheck %s --check-prefix=TILES
// RUN: quant-opt %s --qc-cpu-codegen="target-cpu=x86-64-v4,+avx512vnni float-mode=fast" | FileCheck %s --check-prefix=FMA
// RUN: quant-opt %s --qc-cpu-codegen="target-cpu=sapphirerapids" | FileCheck %s --check-prefix=EXACT
// RUN: not quant-opt %s --qc-cpu-codegen="float-mode=quick" 2>&1 | FileCheck %s --check-prefix=BAD

// The fast float mode through the whole pipeline: on a target with AMX-BF16
// (Sapphire Rapids) or AVX-512 BF16 (AMD Zen 4) the convolution (16
// outputs, 72 reduction steps) runs on the bf16 tile layout (qc-fast-float,
// then quantc_bconv_tiles) and its SiLU's exp is polynomial (no libm call);
// on AVX-512 without BF16 the FMA float kernel runs; the exact mode keeps
// the evaluator's kernel and libm.
// TILES: llvm.call @quantc_bconv_tiles(
// TILES-NOT: llvm.intr.exp
// FMA: llvm.call @quantc_fconv_fast_avx512vnni(
// FMA-NOT: llvm.intr.exp
// EXACT-DAG: llvm.call @quantc_fconv_avx512vnni(
// EXACT-DAG: llvm.intr.exp
// BAD: error: convert-qc-to-linalg: unknown float-mode 'quick' (exact, fast)
func.func @main(%x: tensor<1x8x6x6xf32> {qc.name = "x"}) -> (tensor<1x16x6x6xf32> {qc.name = "y"}) {
  %w = qc.constant dense<0.125> : tensor<16x8x3x3xf32>
  %b = qc.constant dense<0.5> : tensor<16xf32>
  %c = qc.conv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1} : (tensor<1x8x6x6xf32>, tensor<16x8x3x3xf32>, tensor<16xf32>) -> tensor<1x16x6x6xf32>
  %s = qc.sigmoid %c : tensor<1x16x6x6xf32>
  %y = qc.mul %c, %s : (tensor<1x16x6x6xf32>, tensor<1x16x6x6xf32>) -> tensor<1x16x6x6xf32>
  return %y : tensor<1x16x6x6xf32>
}
