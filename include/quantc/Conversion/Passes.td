//===- Passes.td - qc conversion passes --------------------*- tablegen -*-===//
#ifndef QUANTC_CONVERSION_PASSES
#define QUANTC_CONVERSION_PASSES

include "mlir/Pass/PassBase.td"

def ConvertQCToLinalg : Pass<"convert-qc-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower qc ops to linalg, tensor, arith and math on tensors";
  let description = [{
    Rewrites every `qc` op into upstream ops on builtin tensors, so that the
    upstream bufferization and code generation passes take over:

    - quantized tensors become tensors of their storage integers, and
      `quant.scast` disappears;
    - element-wise ops become `linalg.generic` with numpy broadcasting in the
      indexing maps; `qc.requantize`, `qc.qadd` and `qc.qmul` compute the
      fixed-point rescaling exactly in 64-bit integers with the op's rounding
      mode, so the generated code agrees bit for bit with the reference
      evaluator;
    - matmul, gemm and conv become `linalg.batch_matmul`, `linalg.matmul` and
      `linalg.conv_2d_ngchw_gfchw` (padding as `tensor.pad`);
      `qc.qmatmul` / `qc.qconv` do the same in i32 after subtracting their
      zero points, unless `microkernels` is set and the weights are constant
      signed 8-bit with zero zero points: then the layer and the
      `qc.requantize` that follows it become one call of a packed-weight
      microkernel of the quantc runtime (weights repacked here, once, into the
      layout the kernel reads, with the column-sum correction of the u8 x s8
      product folded into the bias);
    - pooling, normalization, softmax, reductions and data movement become
      linalg reductions, `tensor` slices and gathers.

    The func signature keeps its order; `@main`'s arguments and results keep
    their `qc.name` attributes, and the module records the original tensor
    types in `qc.signature` for packaging.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
  let options = [
    Option<"microkernels", "microkernels", "bool", /*default=*/"false",
           "Lower 8-bit integer layers with constant weights to runtime "
           "microkernel calls">,
    Option<"kernelSuffix", "kernel-suffix", "std::string",
           /*default=*/"\"generic\"",
           "Instruction-set variant of the microkernels to call "
           "(avx512vnni, avx2, generic)">,
  ];
}

def QCCPUEntryPoint : Pass<"qc-cpu-entry-point", "::mlir::ModuleOp"> {
  let summary = "Add the artifact's C entry point and signature tables";
  let description = [{
    Runs on the LLVM dialect after `@main` was lowered with the bare-pointer
    calling convention. Renames `@main` to an internal function and adds:

    - `int32_t quantc_artifact_run(void **buffers)`: inputs then outputs, each a
      caller-owned contiguous row-major buffer;
    - `quantc_artifact_signature`: an `i64` table `[#inputs, #outputs, then per
      tensor: element code, rank, dims...]` built from the module's
      `qc.signature` attribute;
    - `quantc_artifact_names`: the tensors' names, each NUL-terminated.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def QCLowerMicrokernels : Pass<"qc-lower-microkernels", "::mlir::ModuleOp"> {
  let summary = "Turn bufferized qc.microkernel ops into C calls";
  let description = [{
    Replaces each `qc.microkernel` on buffers by a `func.call` of its kernel
    with one `!llvm.ptr` per operand (the first element of the buffer,
    offset included) and declares the kernel. Operands that are not
    contiguous are first copied into (and outputs back from) contiguous
    buffers, since kernels read dense row-major memory.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect"];
}

#endif // QUANTC_CONVERSION_PASSES
