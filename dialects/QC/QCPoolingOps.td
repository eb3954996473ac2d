//===- QCPoolingOps.td - qc pooling operations -----------*- tablegen -*-===//
//
// Included by QCOps.td after the tensor type constraints.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_DIALECT_QC_POOLING_OPS
#define QUANTC_DIALECT_QC_POOLING_OPS

def QC_MaxPoolOp : QC_Op<"max_pool", [InferTypeOpAdaptor]> {
  let summary = "N-d max pooling";
  let description = [{
    ONNX `MaxPool` (first output) with explicit pads, of floats or 8-bit
    integers. On a per-tensor quantized input it works on the stored
    integers (the maximum commutes with a positive scale), keeping the type.
  }];
  let arguments = (ins QC_PoolableTensor:$input,
                   DenseI64ArrayAttr:$kernel_shape, DenseI64ArrayAttr:$strides,
                   DenseI64ArrayAttr:$dilations, DenseI64ArrayAttr:$pads,
                   DefaultValuedAttr<BoolAttr, "false">:$ceil_mode);
  let results = (outs QC_PoolableTensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def QC_MaxPoolIndicesOp : QC_Op<"max_pool_indices", [InferTypeOpAdaptor]> {
  let summary = "Positions of N-d max pooling's maxima";
  let description = [{
    ONNX `MaxPool`'s second output, `Indices`: for each window of the
    `qc.max_pool` with the same attributes, the position in the input of the
    window's first largest value (taps in row-major window order, pads
    excluded), flattened over all of the input's dimensions, batch and
    channel included. With `storage_order` 1 the spatial dimensions are
    flattened column-major (the first varies fastest).
  }];
  let arguments = (ins QC_PoolableTensor:$input,
                   DenseI64ArrayAttr:$kernel_shape, DenseI64ArrayAttr:$strides,
                   DenseI64ArrayAttr:$dilations, DenseI64ArrayAttr:$pads,
                   DefaultValuedAttr<BoolAttr, "false">:$ceil_mode,
                   DefaultValuedAttr<I64Attr, "0">:$storage_order);
  let results = (outs RankedTensorOf<[I64]>:$indices);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QC_AvgPoolOp : QC_Op<"avg_pool", [InferTypeOpAdaptor]> {
  let summary = "N-d average pooling";
  let description = [{
    ONNX `AveragePool` with explicit pads. The divisor counts the window's
    taps inside the input, or with `count_include_pad` all its taps (also
    those a `ceil_mode` window reaches past the padding, as ONNX Runtime
    does). `dilations` spaces the taps (none: 1 in every dimension).
  }];
  let arguments = (ins QC_FloatTensor:$input,
                   DenseI64ArrayAttr:$kernel_shape, DenseI64ArrayAttr:$strides,
                   DenseI64ArrayAttr:$pads,
                   DefaultValuedAttr<BoolAttr, "false">:$ceil_mode,
                   DefaultValuedAttr<BoolAttr, "false">:$count_include_pad,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$dilations);
  let results = (outs QC_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

class QC_GlobalPoolOp<string mnemonic, string what>
    : QC_Op<mnemonic, [InferTypeOpAdaptor]> {
  let summary = "Global " # what # " pooling over all spatial dimensions";
  let description = "Reduces every spatial dimension of an NC... tensor to 1.";
  let arguments = (ins QC_FloatTensor:$input);
  let results = (outs QC_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location> loc,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return ::quantc::qc::inferGlobalPoolType(loc, adaptor.getInput(), types);
    }
  }];
}
def QC_GlobalAvgPoolOp : QC_GlobalPoolOp<"global_avg_pool", "average">;
def QC_GlobalMaxPoolOp : QC_GlobalPoolOp<"global_max_pool", "max">;

#endif // QUANTC_DIALECT_QC_POOLING_OPS
