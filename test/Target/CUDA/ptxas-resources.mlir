// REQUIRES: cuda-toolkit
// RUN: quant-opt %s --qc-gpu-codegen="format=isa toolkit=%cuda_toolkit" -o %t.mlir
// RUN: quant-translate %t.mlir --emit=gpu-binary -o %t.ptx
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %ptxas -arch=sm_80 -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=SM80
// RUN: %ptxas -arch=sm_90 -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=SM90
// RUN: %ptxas -arch=sm_80 -v %t.ptx -o %t.cubin 2>&1 | not grep -E "[1-9][0-9]* bytes spill"

!x = !quant.uniform<i8:f32, 0.05:-7>
!w = !quant.uniform<i8<-127:127>:f32, 0.01>

// The tensor-core kernel of a BERT-sized int8 layer (128 x 768 x 768): a
// 4-warp block, 8 mma.sync per K step, and a register budget that keeps
// four blocks per SM (at most 128 registers a thread) with nothing
// spilled to local memory, on Ampere and Hopper alike (nor any other
// kernel). The launches run quantize, bias, contraction: kernel_2 is the
// contraction.
// PTX: .entry kernel_2(
// PTX: .maxntid 128, 1, 1
// PTX-COUNT-8: mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32
// SM80: Compiling entry function 'kernel_2' for 'sm_80'
// SM80: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// SM80-NEXT: Used {{([1-9]?[0-9]|1[01][0-9]|12[0-8])}} registers
// SM90: Compiling entry function 'kernel_2' for 'sm_90'
// SM90: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// SM90-NEXT: Used {{([1-9]?[0-9]|1[01][0-9]|12[0-8])}} registers
func.func @main(%in: tensor<128x768xf32> {qc.name = "x"}) -> (tensor<128x768xi32> {qc.name = "acc"}) {
  %x = qc.quantize %in : tensor<128x768xf32> -> tensor<128x768x!x>
  %wi = qc.constant dense<3> : tensor<768x768xi8>
  %w = quant.scast %wi : tensor<768x768xi8> to tensor<768x768x!w>
  %acc = qc.qmatmul %x, %w : (tensor<128x768x!x>, tensor<768x768x!w>) -> tensor<128x768xi32>
  return %acc : tensor<128x768xi32>
}
