//===- QCControlFlowOps.td - what qc adds to scf regions ---*- tablegen -*-===//
//
// Branches and loops decided at run time are scf.if and scf.while on qc
// tensors; these ops serve them.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_DIALECT_QC_CONTROL_FLOW_OPS
#define QUANTC_DIALECT_QC_CONTROL_FLOW_OPS

include "QC/QCDialect.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def QC_FailOp : Op<QC_Dialect, "fail", [MemoryEffects<[MemWrite]>]> {
  let summary = "Fails the run: a branch that cannot run with the model's shapes";
  let description = [{
    Stands for a branch of a run-time `If` that does not import with the
    shapes the model is compiled for (ONNX Runtime fails on it too, at run
    time). The evaluator stops with `message`; a compiled model's run
    returns an error. Its region yields zeros after it, which nothing reads.

    ```mlir
    qc.fail "else_branch of 'If_0' cannot run with these input shapes"
    ```
  }];
  let arguments = (ins StrAttr:$message);
  let assemblyFormat = "$message attr-dict";
}

#endif // QUANTC_DIALECT_QC_CONTROL_FLOW_OPS
