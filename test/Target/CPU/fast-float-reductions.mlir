// RUN: quant-opt %s --qc-cpu-codegen="target-cpu=x86-64-v4,+avx512vnni float-mode=fast" | FileCheck %s --check-prefix=FAST
// RUN: quant-opt %s --qc-cpu-codegen="target-cpu=x86-64-v4,+avx512vnni" | FileCheck %s --check-prefix=EXACT

// The fast float mode's reductions may reorder (qc-reassociate-reductions):
// a softmax's f64 row sum reaches LLVM as a reassociable fadd, which its
// loop vectorizer splits over lanes; the exact mode sums in order.
// FAST: llvm.fadd {{.*}} {fastmathFlags = #llvm.fastmath<reassoc>} : f64
// EXACT-NOT: reassoc
func.func @main(%x: tensor<4x300xf32> {qc.name = "x"}) -> (tensor<4x300xf32> {qc.name = "y"}) {
  %y = qc.softmax %x {axis = -1 : i64} : tensor<4x300xf32>
  return %y : tensor<4x300xf32>
}
