// An accumulator outside i32 is an error of the evaluator, never a wrapped value.
// RUN: not quant-run %s --random-inputs 0 --simplify=false 2>&1 | FileCheck %s

!big = !quant.uniform<i16:f32, 1.0>
func.func @main() -> tensor<1x1xi32> {
  %a = qc.constant dense<32767> : tensor<1x4xi16>
  %aq = quant.scast %a : tensor<1x4xi16> to tensor<1x4x!big>
  %b = qc.constant dense<32767> : tensor<4x1xi16>
  %bq = quant.scast %b : tensor<4x1xi16> to tensor<4x1x!big>
  // CHECK: error: 'qc.qmatmul' op accumulator overflows i32 (value 4294705156)
  %m = qc.qmatmul %aq, %bq : (tensor<1x4x!big>, tensor<4x1x!big>) -> tensor<1x1xi32>
  return %m : tensor<1x1xi32>
}
