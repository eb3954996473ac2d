// The packaging steps one at a time: lower, then LLVM IR, object, header.
// RUN: quant-opt %s --qc-cpu-codegen -o %t.llvm.mlir
// RUN: quant-translate %t.llvm.mlir --emit=llvm-ir -o - | FileCheck %s --check-prefix=IR
// RUN: quant-translate %t.llvm.mlir --emit=object --target-cpu=x86-64-v3 -o %t.o
// RUN: llvm-readelf -h %t.o | FileCheck %s --check-prefix=OBJ
// RUN: quant-translate %t.llvm.mlir --emit=header -o %t.h
// RUN: FileCheck %s --check-prefix=HDR < %t.h

// IR: @quantc_artifact_signature = {{.*}}constant [10 x i64] [i64 1, i64 1, i64 0, i64 2, i64 1, i64 4, i64 0, i64 2, i64 1, i64 4]
// IR: define {{.*}}i32 @quantc_artifact_run(ptr
// OBJ: Type: REL (Relocatable file)
// OBJ: Machine: Advanced Micro Devices X86-64
// HDR: #define {{.*}}_NUM_INPUTS 1
// HDR: /* INPUT 0 'x': tensor<1x4xf32> */
// HDR: /* OUTPUT 0 'y': tensor<1x4xf32> */
func.func @main(%x: tensor<1x4xf32> {qc.name = "x"}) -> (tensor<1x4xf32> {qc.name = "y"}) {
  %y = qc.relu %x : tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}
