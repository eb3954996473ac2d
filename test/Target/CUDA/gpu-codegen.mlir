// REQUIRES: cuda-toolkit
// RUN: quant-opt %s --qc-gpu-codegen="format=isa toolkit=%cuda_toolkit" | FileCheck %s --check-prefix=SM80
// RUN: quant-opt %s --qc-gpu-codegen="chip=sm_90 format=isa toolkit=%cuda_toolkit" | FileCheck %s --check-prefix=SM90
// RUN: quant-opt %s --qc-gpu-codegen="toolkit=%cuda_toolkit" -o %t.mlir
// RUN: quant-translate %t.mlir --emit=llvm-ir -o - | FileCheck %s --check-prefix=HOST

!x = !quant.uniform<i8:f32, 0.5:-3>
!w = !quant.uniform<i8<-127:127>:f32:0, {0.25, 0.125}>
!y = !quant.uniform<i8:f32, 2.0:4>

// The whole GPU pipeline: kernels for the quantize, the im2col, the bias,
// and the tensor-core conv whose epilogue requantizes and dequantizes
// straight into the output, all in one module serialized by the toolkit
// for the chosen architecture; the host keeps only allocations and launches
// on one stream, and the artifact entry point.
// SM80: llvm.func internal @qc_model_main
// SM80: llvm.call @mgpuStreamCreate()
// SM80: gpu.launch_func <%{{.*}} : !llvm.ptr> @qc_kernels::@kernel_0
// SM80: gpu.launch_func <%{{.*}} : !llvm.ptr> @qc_kernels::@kernel_3
// SM80-NOT: gpu.launch_func
// SM80: llvm.call @mgpuStreamSynchronize
// SM80: gpu.binary @qc_kernels  [#gpu.object<#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">
// SM80-SAME: .target sm_80
// SM80-SAME: .entry kernel_3(
// SM80-SAME: mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32
// SM80-SAME: cvt.rn.f32.s32
// SM80-NOT: gpu.binary
// SM80: llvm.func @quantc_artifact_run(%{{.*}}: !llvm.ptr) -> i32
// SM90: gpu.binary @qc_kernels  [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">
// SM90-SAME: .target sm_90
// SM90-SAME: mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32
// The embedded fatbin loads through quantc's CUDA runtime (mgpu* calls)
// from a global constructor; launches go through mgpuLaunchKernel.
// HOST: @qc_kernels_binary = internal constant
// HOST: @llvm.global_ctors = {{.*}} @qc_kernels_load
// HOST: define {{.*}}i32 @quantc_artifact_run(ptr
// HOST: call ptr @mgpuStreamCreate()
// HOST: call void @mgpuLaunchKernel(
// HOST: call void @mgpuStreamSynchronize(
// HOST: define internal void @qc_kernels_load()
// HOST: call ptr @mgpuModuleLoad(ptr nonnull @qc_kernels_binary
func.func @main(%in: tensor<1x1x3x3xf32> {qc.name = "image"}) -> (tensor<1x2x3x3xf32> {qc.name = "out"}) {
  %x = qc.quantize %in : tensor<1x1x3x3xf32> -> tensor<1x1x3x3x!x>
  %wi = qc.constant dense<[[[[1]]], [[[-2]]]]> : tensor<2x1x1x1xi8>
  %w = quant.scast %wi : tensor<2x1x1x1xi8> to tensor<2x1x1x1x!w>
  %b = qc.constant dense<[10, 20]> : tensor<2xi32>
  %acc = qc.qconv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x1x3x3x!x>, tensor<2x1x1x1x!w>, tensor<2xi32>) -> tensor<1x2x3x3xi32>
  %y = qc.requantize %acc {multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 3, 4>, axis = 1} : tensor<1x2x3x3xi32> -> tensor<1x2x3x3x!y>
  %d = qc.dequantize %y : tensor<1x2x3x3x!y> -> tensor<1x2x3x3xf32>
  return %d : tensor<1x2x3x3xf32>
}
