//===- QCKernelOps.td - calls of runtime microkernels ------*- tablegen -*-===//
#ifndef QUANTC_DIALECT_QC_KERNEL_OPS
#define QUANTC_DIALECT_QC_KERNEL_OPS

include "QC/QCDialect.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def QC_MicrokernelOp : Op<QC_Dialect, "microkernel", [
    AttrSizedOperandSegments, DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>]> {
  let summary = "A call of a quantc runtime microkernel, destination style";
  let description = [{
    Calls `kernel` (a C function of libquantc_kernels, such as
    `quantc_qconv_avx512vnni`) with one pointer per operand: the `ins`, then
    the `outs`, which it writes. Operands are tensors before bufferization,
    when the op returns the written `outs`, and contiguous buffers after it.
    `convert-qc-to-linalg{microkernels}` creates it for integer layers with
    packed constant weights; `qc-lower-microkernels` turns it into a
    `func.call` once it has buffers.
    ```mlir
    %y = qc.microkernel "quantc_qgemm_avx512vnni"
        ins(%x, %packed, %bias, %params : tensor<1x768xi8>, tensor<49152xi8>,
            tensor<64xi32>, tensor<16xi64>)
        outs(%init : tensor<1x64xi8>) -> tensor<1x64xi8>
    ```
  }];
  let arguments = (ins StrAttr:$kernel, Variadic<AnyShaped>:$inputs,
                   Variadic<AnyShaped>:$outputs);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let assemblyFormat = [{
    $kernel `ins` `(` $inputs `:` type($inputs) `)`
    `outs` `(` $outputs `:` type($outputs) `)` attr-dict
    (`->` type($results)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return getOutputsMutable();
    }
  }];
}

#endif // QUANTC_DIALECT_QC_KERNEL_OPS
