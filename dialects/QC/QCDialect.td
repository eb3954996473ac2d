//===- QCDialect.td - the qc dialect definition ------------*- tablegen -*-===//
#ifndef QUANTC_DIALECT_QC_DIALECT
#define QUANTC_DIALECT_QC_DIALECT

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def QC_Dialect : Dialect {
  let name = "qc";
  let cppNamespace = "::quantc::qc";
  let summary = "Tensor-level operations of the quantc quantization compiler";
  let description = [{
    The `qc` dialect holds a model as imported from ONNX: value-semantic
    operations on ranked tensors with static shapes. Every op carries the
    attributes of its ONNX counterpart in a normalized form (for example,
    `auto_pad` is resolved into explicit pads and all shape arguments are
    static attributes), so later passes never re-derive ONNX conventions.
    Weights are `qc.constant` ops holding `dense_resource` blobs. Branches
    and loops known only at run time are `scf.if` and `scf.while` on these
    tensors, their conditions read with `tensor.extract`.
  }];
  let hasConstantMaterializer = 1;
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::quant::QuantDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

class QC_Op<string mnemonic, list<Trait> traits = []>
    : Op<QC_Dialect, mnemonic, !listconcat([Pure], traits)>;

#endif // QUANTC_DIALECT_QC_DIALECT
