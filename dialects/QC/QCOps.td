//===- QCOps.td - qc dialect operations --------------------*- tablegen -*-===//
#ifndef QUANTC_DIALECT_QC_OPS
#define QUANTC_DIALECT_QC_OPS

include "QC/QCDialect.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Dialect/Quant/IR/QuantBase.td"

def QC_Tensor : RankedTensorOf<[AnyType]>;
def QC_FloatTensor : RankedTensorOf<[F32, F16, BF16, F64]>;
def QC_IndexTensor : RankedTensorOf<[I32, I64]>;
def QC_BoolTensor : RankedTensorOf<[I1]>;
def QC_SignedNumberTensor : RankedTensorOf<[F32, F16, BF16, F64, I8, I16, I32, I64]>;
def QC_IntegerTensor : RankedTensorOf<[I8, I16, I32, I64, UI8, UI16, UI32, UI64]>;
def QC_F32Tensor : RankedTensorOf<[F32]>;
def QC_QuantTensor : RankedTensorOf<[quant_QuantizedType]>;
/// Float tensors, or quantized ones for ops that keep the scale.
def QC_FloatOrQuantTensor : AnyTypeOf<[QC_FloatTensor, QC_QuantTensor]>;
def QC_PoolableTensor : AnyTypeOf<[QC_FloatTensor, QC_QuantTensor, RankedTensorOf<[I8, UI8]>]>;

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def QC_ConstantOp : QC_Op<"constant", [ConstantLike, InferTypeOpAdaptor]> {
  let summary = "A constant tensor (weights, biases, folded shapes)";
  let description = [{
    Holds a constant tensor. Weights imported from a model are
    `dense_resource` blobs that reference the model's storage without
    copying it element by element; small constants are `dense` attributes.

    ```mlir
    %w = qc.constant dense_resource<conv1.weight> : tensor<8x3x3x3xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs QC_Tensor:$output);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

include "QC/QCElementwiseOps.td"

//===----------------------------------------------------------------------===//
// Linear algebra, convolution, pooling and normalization
//===----------------------------------------------------------------------===//

def QC_MatMulOp : QC_Op<"matmul", [InferTypeOpAdaptor]> {
  let summary = "Matrix product with numpy semantics";
  let description = [{
    `numpy.matmul`: 1-D operands are promoted to matrices, leading batch
    dimensions broadcast.

    With `dynamic_int8_block` = B, `lhs` is first rounded at run time to
    symmetric int8, one scale per B consecutive values of each row (along
    the reduced dimension, which B divides): for a block with largest
    magnitude a, q = round_half_even(x * (127 / a)) and x becomes
    q * (a / 127) (a block of zeros stays zero). This is how weight-only
    layers run on integer dot products (ONNX Runtime's MatMulNBits
    `accuracy_level = 4`, llama.cpp's 8-bit activation blocks).
  }];
  let arguments = (ins QC_FloatTensor:$lhs, QC_FloatTensor:$rhs,
                   OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$dynamic_int8_block);
  let results = (outs QC_FloatTensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def QC_GemmOp : QC_Op<"gemm", [InferTypeOpAdaptor]> {
  let summary = "General matrix multiply: alpha * op(a) * op(b) + beta * c";
  let description = [{
    ONNX `Gemm`: `op(x)` transposes `x` when the matching `trans_*` attribute
    is set; `c` is optional and broadcasts to the `[M, N]` result.
    `dynamic_int8_block` rounds `a` (not transposed) as in `qc.matmul`.
  }];
  let arguments = (ins QC_FloatTensor:$a, QC_FloatTensor:$b,
                   Optional<QC_FloatTensor>:$c,
                   DefaultValuedAttr<F32Attr, "1.0">:$alpha,
                   DefaultValuedAttr<F32Attr, "1.0">:$beta,
                   DefaultValuedAttr<BoolAttr, "false">:$trans_a,
                   DefaultValuedAttr<BoolAttr, "false">:$trans_b,
                   OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$dynamic_int8_block);
  let results = (outs QC_FloatTensor:$output);
  let assemblyFormat = [{
    $a `,` $b (`,` $c^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def QC_ConvOp : QC_Op<"conv", [InferTypeOpAdaptor]> {
  let summary = "N-d grouped convolution (NCHW, weights OIHW)";
  let description = [{
    ONNX `Conv` with `auto_pad` resolved: `pads` lists the begin padding of
    every spatial dimension followed by the end padding.
  }];
  let arguments = (ins QC_FloatTensor:$input, QC_FloatTensor:$weight,
                   Optional<QC_FloatTensor>:$bias,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                   DenseI64ArrayAttr:$pads,
                   DefaultValuedAttr<I64Attr, "1">:$group);
  let results = (outs QC_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def QC_ConvTransposeOp
    : QC_Op<"conv_transpose", [InferTypeOpAdaptor]> {
  let summary = "N-d grouped transposed convolution (weights IOHW)";
  let description = [{
    ONNX `ConvTranspose` with `auto_pad` and `output_shape` resolved into
    explicit `pads` and `output_padding`.
  }];
  let arguments = (ins QC_FloatTensor:$input, QC_FloatTensor:$weight,
                   Optional<QC_FloatTensor>:$bias,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                   DenseI64ArrayAttr:$pads, DenseI64ArrayAttr:$output_padding,
                   DefaultValuedAttr<I64Attr, "1">:$group);
  let results = (outs QC_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

include "QC/QCPoolingOps.td"

def QC_BatchNormOp : QC_Op<"batch_norm", [InferTypeOpAdaptor]> {
  let summary = "Inference-mode batch normalization over channel axis 1";
  let description = [{
    `scale * (x - mean) / sqrt(var + epsilon) + bias`, per channel.
    `qc-simplify` folds it into a preceding convolution or gemm.
  }];
  let arguments = (ins QC_FloatTensor:$input, QC_FloatTensor:$scale,
                   QC_FloatTensor:$bias, QC_FloatTensor:$mean,
                   QC_FloatTensor:$variance, F32Attr:$epsilon);
  let results = (outs QC_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $scale `,` $bias `,` $mean `,` $variance attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def QC_InstanceNormOp : QC_Op<"instance_norm", [InferTypeOpAdaptor]> {
  let summary = "Instance normalization over the spatial dimensions";
  let description = [{
    Normalizes every (n, c) slice over its spatial dimensions, then applies
    the per-channel `scale` and `bias`.
  }];
  let arguments = (ins QC_FloatTensor:$input, QC_FloatTensor:$scale,
                   QC_FloatTensor:$bias, F32Attr:$epsilon);
  let results = (outs QC_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $scale `,` $bias attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def QC_LayerNormOp
    : QC_Op<"layer_norm", [InferTypeOpAdaptor]> {
  let summary = "Layer normalization over the trailing dimensions from `axis`";
  let description = [{
    Normalizes over dimensions `axis..rank-1`, then multiplies by `scale` and
    adds the optional `bias` (both broadcast to the normalized shape).
  }];
  let arguments = (ins QC_FloatTensor:$input, QC_FloatTensor:$scale,
                   Optional<QC_FloatTensor>:$bias, I64Attr:$axis,
                   F32Attr:$epsilon);
  let results = (outs QC_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $scale (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

/// What a sum or product reduces: floats, and integers exactly in their own
/// type (wrapping around as two's complement, as ONNX Runtime does).
def QC_ArithmeticTensor : RankedTensorOf<[F32, F16, BF16, F64, I32, I64]>;
/// What a maximum or minimum reduces: those, and bools (any and all).
def QC_OrderedTensor : RankedTensorOf<[F32, F16, BF16, F64, I32, I64, I1]>;

class QC_ReduceOp<string mnemonic, string what, Type tensor = QC_FloatTensor>
    : QC_Op<mnemonic, [InferTypeOpAdaptor]> {
  let summary = "Reduction by " # what # " over `axes`";
  let description = [{
    Reduces over the listed axes (all axes when the list is empty); the
    reduced dimensions stay as size 1 when `keepdims` is set. Floats
    accumulate in double; integers in their own type.
  }];
  let arguments = (ins tensor:$input, DenseI64ArrayAttr:$axes,
                   DefaultValuedAttr<BoolAttr, "true">:$keepdims);
  let results = (outs tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location> loc,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return ::quantc::qc::inferReduceType(loc, adaptor.getInput(),
                                           adaptor.getAxes(),
                                           adaptor.getKeepdims(), types);
    }
  }];
}
def QC_ReduceMeanOp : QC_ReduceOp<"reduce_mean", "mean">;
def QC_ReduceSumOp : QC_ReduceOp<"reduce_sum", "sum", QC_ArithmeticTensor>;
def QC_ReduceMaxOp : QC_ReduceOp<"reduce_max", "maximum", QC_OrderedTensor>;
def QC_ReduceMinOp : QC_ReduceOp<"reduce_min", "minimum", QC_OrderedTensor>;
def QC_ReduceProdOp : QC_ReduceOp<"reduce_prod", "product", QC_ArithmeticTensor>;

class QC_ArgReduceOp<string mnemonic, string what>
    : QC_Op<mnemonic, [InferTypeOpAdaptor]> {
  let summary = "Index of the " # what # " along `axis`";
  let description = [{
    The i64 position along `axis` of the }] # what # [{ of every slice, the
    first of equal values (the last with `select_last_index`); `axis` stays
    as size 1 with `keepdims`.
  }];
  let arguments = (ins RankedTensorOf<[F32, F16, BF16, I8, I16, I32, I64]>:$input,
                   I64Attr:$axis, DefaultValuedAttr<BoolAttr, "true">:$keepdims,
                   DefaultValuedAttr<BoolAttr, "false">:$select_last_index);
  let results = (outs RankedTensorOf<[I64]>:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::verify() {
      return ::quantc::qc::verifyNonEmptyAxis(*this, getInput().getType(),
                                              static_cast<int64_t>(getAxis()));
    }
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *ctx, std::optional<::mlir::Location> loc,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      ::llvm::SmallVector<::mlir::Type, 1> reduced;
      if (::mlir::failed(::quantc::qc::inferReduceType(
              loc, adaptor.getInput(), {static_cast<int64_t>(adaptor.getAxis())},
              adaptor.getKeepdims(), reduced)))
        return ::mlir::failure();
      types.push_back(::llvm::cast<::mlir::RankedTensorType>(reduced[0]).clone(
          ::mlir::IntegerType::get(ctx, 64)));
      return ::mlir::success();
    }
  }];
}
def QC_ArgMaxOp : QC_ArgReduceOp<"arg_max", "maximum">;
def QC_ArgMinOp : QC_ArgReduceOp<"arg_min", "minimum">;

def QC_GridSampleOp : QC_Op<"grid_sample"> {
  let summary = "Samples an image at the positions of a grid";
  let description = [{
    ONNX `GridSample`: `input` [N, C, H, W] sampled at `grid` [N, Ho, Wo, 2]
    ((x, y) in [-1, 1]) gives [N, C, Ho, Wo]; in 3-d [N, C, D, H, W] at
    [N, Do, Ho, Wo, 3] ((x, y, z)). `mode` is `linear`, `nearest` or (2-d)
    `cubic`; `padding_mode` `zeros`, `border` or `reflection`; see
    `include/quantc/Runtime/GridSample.h`.
  }];
  let arguments = (ins QC_F32Tensor:$input, QC_F32Tensor:$grid, StrAttr:$mode,
                   StrAttr:$padding_mode, BoolAttr:$align_corners);
  let results = (outs QC_F32Tensor:$output);
  let assemblyFormat = [{
    $input `,` $grid attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def QC_RoiAlignOp : QC_Op<"roi_align"> {
  let summary = "Region of interest alignment (bilinear bins)";
  let description = [{
    ONNX `RoiAlign`: `input` [N, C, H, W], `rois` [R, 4] (x1, y1, x2, y2),
    `batch_indices` [R] give [R, C, oh, ow] (the result type): each bin the
    average (`max`: the largest weighted corner) of its bilinear samples;
    see `include/quantc/Runtime/Regions.h`.
  }];
  let arguments = (ins QC_F32Tensor:$input, QC_F32Tensor:$rois,
                   RankedTensorOf<[I64]>:$batch_indices, StrAttr:$mode,
                   I64Attr:$sampling_ratio, F32Attr:$spatial_scale, BoolAttr:$half_pixel);
  let results = (outs QC_F32Tensor:$output);
  let assemblyFormat = [{
    $input `,` $rois `,` $batch_indices attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def QC_MaxRoiPoolOp : QC_Op<"max_roi_pool"> {
  let summary = "Max pooling over regions of interest";
  let description = [{
    ONNX `MaxRoiPool`: `input` [N, C, H, W] and `rois` [R, 5] (batch, x1,
    y1, x2, y2) give [R, C, ph, pw] (the result type), each bin the maximum
    over its pixels of the rounded region (0 when empty).
  }];
  let arguments = (ins QC_F32Tensor:$input, QC_F32Tensor:$rois, F32Attr:$spatial_scale);
  let results = (outs QC_F32Tensor:$output);
  let assemblyFormat = [{
    $input `,` $rois attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def QC_DeformUnfoldOp : QC_Op<"deform_unfold"> {
  let summary = "The sampled columns of a deformable convolution";
  let description = [{
    ONNX `DeformConv`'s sampling: `input` [N, C, H, W] read bilinearly (zeros
    outside) at each kernel tap's position moved by `offset` [N, G x kH x kW
    x 2, oH, oW] and scaled by `mask` [N, G x kH x kW, oH, oW], as
    [N, oH x oW, C x kH x kW]; the convolution is then a matmul with the
    weights. See `include/quantc/Runtime/Regions.h`.
  }];
  let arguments = (ins QC_F32Tensor:$input, QC_F32Tensor:$offset,
                   QC_F32Tensor:$mask, DenseI64ArrayAttr:$kernel_shape,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   DenseI64ArrayAttr:$dilations, I64Attr:$offset_group);
  let results = (outs QC_F32Tensor:$output);
  let assemblyFormat = [{
    $input `,` $offset `,` $mask attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def QC_NonMaxSuppressionOp : QC_Op<"non_max_suppression"> {
  let summary = "Greedy non-maximum suppression with a static number of rows";
  let description = [{
    ONNX `NonMaxSuppression` on `boxes` [B, N, 4] and `scores` [B, C, N]. Its
    output size depends on the values, so the result [rows, 3] (the result
    type: B x C x min(max_output_boxes_per_class, N)) holds the selected
    (batch, class, box) triples first, in ONNX's order, then rows of -1.
  }];
  let arguments = (ins QC_F32Tensor:$boxes, QC_F32Tensor:$scores,
                   I64Attr:$max_output_boxes_per_class, F32Attr:$iou_threshold,
                   OptionalAttr<F32Attr>:$score_threshold, BoolAttr:$center_point_box);
  let results = (outs RankedTensorOf<[I64]>:$selected);
  let assemblyFormat = [{
    $boxes `,` $scores attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def QC_NonZeroOp : QC_Op<"non_zero"> {
  let summary = "Coordinates of the non-zero elements, with a static number of columns";
  let description = [{
    ONNX `NonZero` of a tensor known only at run time. Its output size
    depends on the values, so the result `[rank, numel]` holds the
    coordinates of the non-zero elements (NaN counts as non-zero) in
    row-major order in its first columns, then columns of -1, as
    `qc.non_max_suppression` pads its rows.

    ```mlir
    %c = qc.non_zero %x : (tensor<2x3xf32>) -> tensor<2x6xi64>
    ```
  }];
  let arguments = (ins QC_F32Tensor:$input);
  let results = (outs RankedTensorOf<[I64]>:$coordinates);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QC_DetOp : QC_Op<"det"> {
  let summary = "Determinants of square matrices";
  let description = [{
    ONNX `Det`: [..., M, M] gives [...], by LU decomposition with partial
    pivoting in double.
  }];
  let arguments = (ins QC_F32Tensor:$input);
  let results = (outs QC_F32Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QC_TopKOp : QC_Op<"top_k", [InferTypeOpAdaptor]> {
  let summary = "Positions of the `k` largest (or smallest) values along `axis`";
  let description = [{
    ONNX `TopK` with a static `k` gives the i64 positions of its values in
    order (largest first, or smallest first without `largest`); equal
    values keep the order of their positions, so results are always sorted.
    The values themselves are a `qc.gather_elements` of these positions.

    ```mlir
    %i = qc.top_k %x {axis = 1 : i64, k = 3 : i64, largest = true}
        : (tensor<2x10xf32>) -> tensor<2x3xi64>
    ```
  }];
  let arguments = (ins QC_F32Tensor:$input, I64Attr:$k, I64Attr:$axis,
                   DefaultValuedAttr<BoolAttr, "true">:$largest);
  let results = (outs RankedTensorOf<[I64]>:$indices);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def QC_ReshapeOp : QC_Op<"reshape"> {
  let summary = "Reinterprets a tensor with a new static shape";
  let description = [{
    ONNX `Reshape`, `Flatten`, `Squeeze` and `Unsqueeze` all import as this
    op: the new shape is the result type.
  }];
  let arguments = (ins QC_Tensor:$input);
  let results = (outs QC_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def QC_TransposeOp : QC_Op<"transpose", [InferTypeOpAdaptor]> {
  let summary = "Permutes the dimensions";
  let description = "Result dimension `i` is input dimension `perm[i]`.";
  let arguments = (ins QC_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs QC_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def QC_ConcatOp : QC_Op<"concat", [InferTypeOpAdaptor]> {
  let summary = "Concatenates tensors along `axis`";
  let description = "All inputs agree on every dimension but `axis`.";
  let arguments = (ins Variadic<QC_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs QC_Tensor:$output);
  let assemblyFormat = "$inputs attr-dict `:` functional-type(operands, results)";
}

def QC_SliceOp : QC_Op<"slice", [InferTypeOpAdaptor]> {
  let summary = "Strided slice with static bounds for every dimension";
  let description = [{
    ONNX `Slice` and `Split` import as this op. For each dimension `d` it
    takes indices `starts[d], starts[d] + steps[d], ...` stopping before
    `limits[d]`; negative steps walk backwards (a limit of -1 then means
    "through index 0"). Bounds are already clamped to the input shape.
  }];
  let arguments = (ins QC_Tensor:$input, DenseI64ArrayAttr:$starts,
                   DenseI64ArrayAttr:$limits, DenseI64ArrayAttr:$steps);
  let results = (outs QC_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def QC_GatherOp : QC_Op<"gather", [InferTypeOpAdaptor]> {
  let summary = "Gathers slices along `axis` by index";
  let description = [{
    ONNX `Gather`: the result shape is
    `data.shape[:axis] + indices.shape + data.shape[axis+1:]`; negative
    indices count from the end.
  }];
  let arguments = (ins QC_Tensor:$data, QC_IndexTensor:$indices, I64Attr:$axis);
  let results = (outs QC_Tensor:$output);
  let assemblyFormat = [{
    $data `,` $indices attr-dict `:` functional-type(operands, results)
  }];
}

def QC_GatherElementsOp : QC_Op<"gather_elements", [InferTypeOpAdaptor]> {
  let summary = "Gathers single elements along `axis` by index";
  let description = [{
    ONNX `GatherElements`: `out[i] = data[i with its axis coordinate replaced
    by indices[i]]`; the result has the shape of `indices`, negative indices
    count from the end. Out-of-range indices are an error in the evaluator
    and are clamped by the compiled code.
  }];
  let arguments = (ins QC_Tensor:$data, QC_IndexTensor:$indices, I64Attr:$axis);
  let results = (outs QC_Tensor:$output);
  let assemblyFormat = [{
    $data `,` $indices attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def QC_ScatterNDOp : QC_Op<"scatter_nd", [InferTypeOpAdaptor]> {
  let summary = "Writes slices of `updates` at the positions `indices` names";
  let description = [{
    ONNX `ScatterND`: a copy of `data` where, for every index tuple
    `indices[n, :]` (its last dimension `k` addresses the first `k`
    dimensions of `data`), the slice there is replaced by (`reduction` =
    `none`), or combined with (`add`, `mul`, `max`, `min`), `updates[n]`.
    Tuples apply in order, so with `none` the last one naming a slice wins.
    Decoder exports build their attention masks with it.
  }];
  let arguments = (ins QC_Tensor:$data, QC_IndexTensor:$indices, QC_Tensor:$updates,
                   DefaultValuedAttr<StrAttr, "\"none\"">:$reduction);
  let results = (outs QC_Tensor:$output);
  let assemblyFormat = [{
    $data `,` $indices `,` $updates attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def QC_BroadcastToOp : QC_Op<"broadcast_to"> {
  let summary = "Broadcasts a tensor to the result shape (ONNX Expand)";
  let description = "Numpy broadcasting of the input to the result type.";
  let arguments = (ins QC_Tensor:$input);
  let results = (outs QC_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def QC_TileOp : QC_Op<"tile", [InferTypeOpAdaptor]> {
  let summary = "Repeats the tensor `repeats[d]` times along each dimension";
  let description = "ONNX `Tile` with constant repeats.";
  let arguments = (ins QC_Tensor:$input, DenseI64ArrayAttr:$repeats);
  let results = (outs QC_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def QC_PadOp : QC_Op<"pad", [InferTypeOpAdaptor]> {
  let summary = "Pads every dimension (constant, reflect or edge)";
  let description = [{
    `pads` lists the begin padding of every dimension followed by the end
    padding. `mode` is `constant` (filling with `value`), `reflect` or `edge`.
  }];
  let arguments = (ins QC_Tensor:$input, DenseI64ArrayAttr:$pads,
                   StrAttr:$mode, DefaultValuedAttr<F32Attr, "0.0">:$value);
  let results = (outs QC_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QC_ResizeOp : QC_Op<"resize"> {
  let summary = "Resizes the tensor by nearest, linear or cubic interpolation";
  let description = [{
    ONNX `Resize` on static shapes. The result type gives the output size,
    `scales` the scale factors used to map output to input coordinates,
    `coordinate_transformation_mode` and `nearest_mode` follow ONNX.
    Nearest resizing also applies to quantized tensors, keeping the type.

    `cubic` interpolates four neighbours with Keys' kernel of parameter
    `cubic_coeff_a`; with `exclude_outside`, neighbours outside the tensor
    weigh nothing and the others are renormalized. With `antialias`, linear
    and cubic downsampling widen their kernel by the inverse of the scale
    (a low-pass filter). `tf_crop_and_resize` samples the region `roi`
    (its starts, then its ends, one per dimension, as fractions of the
    input) and gives `extrapolation_value` outside the input. An output
    with a filter (cubic, antialias, tf_crop_and_resize) sums its weighted
    neighbours in order, in f32, with the weights ONNX's reference computes
    (in double, rounded once).
  }];
  let arguments = (ins QC_FloatOrQuantTensor:$input, DenseF32ArrayAttr:$scales,
                   StrAttr:$mode, StrAttr:$coordinate_transformation_mode,
                   StrAttr:$nearest_mode,
                   DefaultValuedAttr<F32Attr, "-0.75f">:$cubic_coeff_a,
                   DefaultValuedAttr<BoolAttr, "false">:$exclude_outside,
                   DefaultValuedAttr<BoolAttr, "false">:$antialias,
                   DefaultValuedAttr<DenseF32ArrayAttr, "{}">:$roi,
                   DefaultValuedAttr<F32Attr, "0.0f">:$extrapolation_value);
  let results = (outs QC_FloatOrQuantTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def QC_TriluOp : QC_Op<"trilu", [SameOperandsAndResultType, InferTypeOpInterface]> {
  let summary = "Keeps the upper or lower triangle of every matrix";
  let description = [{
    ONNX `Trilu` on the last two dimensions: element `(i, j)` is kept when
    `j - i >= k` (`upper`) or `j - i <= k` (lower) and is zero otherwise.
    Causal attention masks are built this way.

    ```mlir
    %m = qc.trilu %x {k = 1 : i64, upper = true} : tensor<4x4xf32>
    ```
  }];
  let arguments = (ins QC_Tensor:$input, BoolAttr:$upper, I64Attr:$k);
  let results = (outs QC_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def QC_CumSumOp : QC_Op<"cumsum", [SameOperandsAndResultType, InferTypeOpInterface]> {
  let summary = "Cumulative sum along `axis`";
  let description = [{
    ONNX `CumSum`: `y[.., i, ..] = sum of x[.., j, ..]` over `j <= i`
    (`j < i` when `exclusive`; `j >= i` and `j > i` when `reverse`). Float
    sums run in order along the axis; integer sums wrap like the element
    type. Exports compute position ids from attention masks this way.
  }];
  let arguments = (ins RankedTensorOf<[F32, F64, I32, I64]>:$input, I64Attr:$axis,
                   DefaultValuedAttr<BoolAttr, "false">:$exclusive,
                   DefaultValuedAttr<BoolAttr, "false">:$reverse);
  let results = (outs RankedTensorOf<[F32, F64, I32, I64]>:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def QC_EinsumOp : QC_Op<"einsum", [InferTypeOpAdaptor]> {
  let summary = "Einstein summation";
  let description = [{
    ONNX `Einsum` with an explicit or implicit output; every operand
    subscript is one letter per dimension (no ellipsis).
  }];
  let arguments = (ins Variadic<QC_FloatTensor>:$inputs, StrAttr:$equation);
  let results = (outs QC_FloatTensor:$output);
  let assemblyFormat = "$inputs attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def QC_AttentionOp : QC_Op<"attention", [InferTypeOpAdaptor]> {
  let summary = "Scaled dot-product attention with grouped KV heads";
  let description = [{
    `softmax(scale * q @ k^T, masked) @ v` per head, without materialising
    repeated keys and values: `q` is `[B, Hq, T, D]`, `k` and `v` are
    `[B, Hkv, S, D]` with `Hq` a multiple of `Hkv` (query head `h` reads KV
    head `h / (Hq / Hkv)`, grouped-query attention). Where the optional
    boolean `mask` (broadcastable to `[B, Hq, T, S]`) is false, the score is
    replaced by the lowest f32 before the softmax, as ONNX exports write it.
    `qc-fuse-attention` forms it from the matmul/softmax/matmul chain.

    ```mlir
    %o = qc.attention %q, %k, %v, %keep {scale = 1.250000e-01 : f32}
        : (tensor<1x9x1x64xf32>, tensor<1x3x8x64xf32>, tensor<1x3x8x64xf32>,
           tensor<1x1x1x8xi1>) -> tensor<1x9x1x64xf32>
    ```
  }];
  let arguments = (ins QC_F32Tensor:$query, QC_F32Tensor:$key, QC_F32Tensor:$value,
                   Optional<QC_BoolTensor>:$mask, F32Attr:$scale);
  let results = (outs QC_F32Tensor:$output);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`,` $mask^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def QC_CachedAttentionOp : QC_Op<"cached_attention", [InferTypeOpAdaptor]> {
  let summary = "Causal attention over a run-time KV cache (generator form)";
  let description = [{
    The attention of layer `layer` of a decoder compiled as a generator
    (`qc-decoder-generator`): appends this step's keys and values
    (`[1, Hkv, T, D]`) to the layer's cache after its `L` entries, then
    attends causally (query `t` sees cache positions `0 .. L + t`) with
    grouped KV heads, like `qc.attention`. The cache lives in the
    generator's state, outside the tensors of the program: its length `L`
    is a run-time value, its memory grows with the context in use, and it
    is written in place. The runtime binds the state of the calling
    generator for the duration of a step and advances `L` by `T` after it.
    The reference evaluator has no such state: generator programs are
    checked against the decoder they were made from.

    `cache` is how the cache stores each key and value row (`D` values of
    one position and KV head): `f32`; `f16` or `bf16` (rounded to nearest
    even); `i8`, symmetric levels with one f32 scale per row (|x| max / 127,
    round half to even); `i4`, levels in [-7, 7] with one scale per 32
    values (per row when `D` is not a multiple of 32). Attention reads rows
    back as level times scale; the step's own keys and values are stored
    before they are attended, so every position sees the same rounding.

    `key_scale` (`Hkv * D` positive factors, KV head-major; `i8` and `i4`
    only) scales keys per channel as well: the cache stores the levels of
    `k[h, d] / key_scale[h * D + d]` and reads back level times scale times
    the factor. Keys have a few channels far larger than the rest, which a
    per-token scale would otherwise follow; `qc-calibrate-kv-keys` measures
    the factors.

    ```mlir
    %o = qc.cached_attention %q, %k, %v {cache = "i8", layer = 0 : i64, scale = 1.250000e-01 : f32}
        : (tensor<1x9x1x64xf32>, tensor<1x3x1x64xf32>, tensor<1x3x1x64xf32>)
        -> tensor<1x9x1x64xf32>
    ```
  }];
  let arguments = (ins QC_F32Tensor:$query, QC_F32Tensor:$key, QC_F32Tensor:$value,
                   I64Attr:$layer, F32Attr:$scale,
                   DefaultValuedStrAttr<StrAttr, "f32">:$cache,
                   OptionalAttr<DenseF32ArrayAttr>:$key_scale);
  let results = (outs QC_F32Tensor:$output);
  let assemblyFormat = [{
    $query `,` $key `,` $value attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

include "QC/QCControlFlowOps.td"
include "QC/QCQuantOps.td"
include "QC/QCKernelOps.td"

#endif // QUANTC_DIALECT_QC_OPS
