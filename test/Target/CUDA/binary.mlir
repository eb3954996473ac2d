// REQUIRES: cuda-toolkit
// RUN: quant-opt %s --qc-gpu-codegen="format=bin toolkit=%cuda_toolkit" -o %t.bin.mlir
// RUN: quant-translate %t.bin.mlir --emit=gpu-binary --gpu-module=qc_kernels -o %t.cubin
// RUN: llvm-readelf -h -S %t.cubin | FileCheck %s --check-prefix=CUBIN
// RUN: quant-opt %s --qc-gpu-codegen="chip=sm_90a toolkit=%cuda_toolkit" -o %t.fatbin.mlir
// RUN: quant-translate %t.fatbin.mlir --emit=gpu-binary -o %t.fatbin
// RUN: od -A n -t x1 -N 4 %t.fatbin | FileCheck %s --check-prefix=FATBIN
// RUN: not quant-translate %t.bin.mlir --emit=gpu-binary --gpu-module=nothing -o %t.none 2>&1 | FileCheck %s --check-prefix=MISSING

// A cubin is an ELF for the CUDA machine of the chosen architecture, with
// the kernel's code and its weights in device sections.
// CUBIN: Class: ELF64
// CUBIN: Machine: NVIDIA CUDA architecture
// CUBIN: Flags: {{.*}}sm_80
// CUBIN: .nv.info.kernel_0
// CUBIN: .text.kernel_0
// CUBIN: .nv.global.init
// The default format is a fatbin (cubin plus PTX for later GPUs).
// FATBIN: 50 ed 55 ba
// MISSING: error: no gpu.binary named 'nothing'
func.func @main(%in: tensor<2x3xf32> {qc.name = "x"}) -> (tensor<2x3xf32> {qc.name = "y"}) {
  %w = qc.constant dense<[[1.5, 2.5, 3.5], [4.5, 5.5, 6.5]]> : tensor<2x3xf32>
  %y = qc.add %in, %w : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
