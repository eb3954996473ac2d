// RUN: quant-opt %s --split-input-file --convert-qc-to-gpu --verify-diagnostics

// A host access to device memory that no lowering moved into a kernel is
// an error on that op: the host cannot dereference device buffers.
func.func @host_load(%x: memref<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{cannot run on the GPU: no lowering moved it into a kernel}}
  %v = memref.load %x[%c0] : memref<4xf32>
  return %v : f32
}

// -----

// Ops on tensors are not bufferized yet: they cannot become kernels.
func.func @tensors(%x: tensor<4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  // expected-error @+1 {{cannot run on the GPU: no lowering moved it into a kernel}}
  %y = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// A call of a CPU runtime kernel (TopK's partial sort) has no device form:
// it is refused by name.
func.func @cpu_kernel(%x: memref<3x10xf32>, %p: memref<5xi64>, %y: memref<3x4xi64>) {
  // expected-error @+1 {{calls the CPU kernel 'quantc_top_k', which has no CUDA form}}
  qc.microkernel "quantc_top_k" ins(%x, %p : memref<3x10xf32>, memref<5xi64>) outs(%y : memref<3x4xi64>)
  return
}
