//===- QCQuantOps.td - qc quantized operations -------------*- tablegen -*-===//
//
// Operations of the integer graph. Quantized values are tensors of upstream
// `!quant.uniform` types (per-tensor, per-axis, or sub-channel), so other MLIR
// stacks can read them. Integer layers accumulate in i32 and hand their
// accumulators to one `qc.requantize`.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_DIALECT_QC_QUANT_OPS
#define QUANTC_DIALECT_QC_QUANT_OPS

include "QC/QCAttrs.td"
include "mlir/Dialect/Quant/IR/QuantBase.td"

def QC_AccumulatorTensor : RankedTensorOf<[I32]>;

def QC_QuantizeOp : QC_Op<"quantize"> {
  let summary = "Quantizes a float tensor";
  let description = [{
    `q = clamp(round(x / scale) + zero_point, qmin, qmax)` with the scale and
    zero point of the result's `!quant.uniform` type: one pair for the
    tensor, one per slice along the quantized axis, or one per block of a
    sub-channel type. `rounding` is `half_to_even` (ONNX `QuantizeLinear`) or
    `half_away_from_zero`.

    ```mlir
    %q = qc.quantize %x : tensor<1x8xf32> -> tensor<1x8x!quant.uniform<i8:f32, 0.05:-3>>
    ```
  }];
  let arguments = (ins QC_FloatTensor:$input,
                   DefaultValuedAttr<QC_RoundingModeAttr,
                                     "RoundingMode::HalfToEven">:$rounding);
  let results = (outs QC_QuantTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def QC_DequantizeOp : QC_Op<"dequantize"> {
  let summary = "Converts a quantized tensor back to float";
  let description = [{
    `x = scale * (q - zero_point)`, computed in the result's float type, with
    the parameters of the operand's quantized type.

    ```mlir
    %x = qc.dequantize %q : tensor<1x8x!quant.uniform<i8:f32, 0.05:-3>> -> tensor<1x8xf32>
    ```
  }];
  let arguments = (ins QC_QuantTensor:$input);
  let results = (outs QC_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def QC_RequantizeOp : QC_Op<"requantize"> {
  let summary = "Rescales integers with a fixed-point multiplier";
  let description = [{
    The integer-only rescaling at the end of every integer layer. For an i32
    accumulator `v` (or `v = q - zero_point` of a quantized operand), channel
    `c` along `axis` (or the one pair when there is a single multiplier):

    ```
    y   = round(v * multiplier[c] * 2^-(31 + shift[c]))
    out = clamp(y + zero_point_out, max(qmin, clamp_min), min(qmax, clamp_max))
    ```

    `multiplier` is a 31-bit fixed-point value in `[2^30, 2^31)` (or 0), so
    the real scale `s_in / s_out` is `multiplier * 2^-(31 + shift)`; `shift`
    may be negative for scales above one. The product is formed exactly in 64
    bits and rounded once as `rounding` says, except `double_round`, which
    follows gemmlowp (a rounding doubling high multiply, then a rounding
    shift). `clamp_min` / `clamp_max` (in the result's storage units) fold a
    following Relu or Clip.

    ```mlir
    %y = qc.requantize %acc {multiplier = array<i32: 1518500250>, shift = array<i32: 7>}
        : tensor<1x8xi32> -> tensor<1x8x!quant.uniform<i8:f32, 0.1>>
    ```
  }];
  let arguments = (ins AnyTypeOf<[QC_AccumulatorTensor, QC_QuantTensor]>:$input,
                   DenseI32ArrayAttr:$multiplier, DenseI32ArrayAttr:$shift,
                   OptionalAttr<I64Attr>:$axis,
                   DefaultValuedAttr<QC_RoundingModeAttr,
                                     "RoundingMode::HalfToEven">:$rounding,
                   OptionalAttr<I64Attr>:$clamp_min,
                   OptionalAttr<I64Attr>:$clamp_max);
  let results = (outs QC_QuantTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def QC_QMatMulOp : QC_Op<"qmatmul", [InferTypeOpAdaptor]> {
  let summary = "Integer matrix product with i32 accumulation";
  let description = [{
    `acc[..., m, n] = bias[n] + sum_k (lhs[..., m, k] - zl) * (rhs[k, n] - zr[n])`
    in exact i32 arithmetic, where `zl` is the per-tensor zero point of `lhs`
    and `zr` the zero point of `rhs` (per tensor or per column, axis 1). The
    batch dimensions of `lhs` are kept; `rhs` is a matrix, or has the same
    batch dimensions as `lhs`. ONNX `Gemm` with constant weights becomes this
    op with its weights transposed at compile time.

    When `zero_point_folded` is set, the term `-zl * sum_k (rhs[k, n] - zr[n])`
    is already part of `bias` and `lhs` is accumulated as stored: the form
    that u8 x s8 dot-product instructions want. `qc-fold-scales` sets it when
    `rhs` is constant.

    Accumulation is exact i32: `qc-fold-scales` only creates this op when
    `K * max|lhs - zl| * max|rhs - zr| + max|bias|` fits (and the folded form
    when `K * max|lhs| * max|rhs| + max|bias|` does), e.g. K up to 66 311 for
    u8 x s8 on the narrow weight range. On x86, VNNI's `vpdpbusd` multiplies
    u8 x s8 into i32 without intermediate saturation, so s8 activations only
    need the +128 offset (and `-128 * sum_k rhs` in the bias); the older
    `vpmaddubsw` saturates pairs at i16, which is why other tools offer a
    "reduce range" mode that quantc does not need.
  }];
  let arguments = (ins QC_QuantTensor:$lhs, QC_QuantTensor:$rhs,
                   Optional<QC_AccumulatorTensor>:$bias,
                   DefaultValuedAttr<BoolAttr, "false">:$zero_point_folded);
  let results = (outs QC_AccumulatorTensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def QC_QConvOp : QC_Op<"qconv", [InferTypeOpAdaptor]> {
  let summary = "Integer N-d grouped convolution with i32 accumulation";
  let description = [{
    `qc.conv` on quantized input (per-tensor) and weight (per-tensor or per
    output channel, axis 0): each output is
    `bias[o] + sum (input - zi) * (weight - zw[o])` in exact i32 arithmetic.
    Padding holds `zi`, the input's real zero. `zero_point_folded` means, as
    for `qc.qmatmul`, that `-zi * sum (weight - zw[o])` over the whole kernel
    window is part of `bias` and the input is accumulated as stored (padding
    then contributes `zi * weight`, which the folded term cancels exactly).
  }];
  let arguments = (ins QC_QuantTensor:$input, QC_QuantTensor:$weight,
                   Optional<QC_AccumulatorTensor>:$bias,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                   DenseI64ArrayAttr:$pads,
                   DefaultValuedAttr<I64Attr, "1">:$group,
                   DefaultValuedAttr<BoolAttr, "false">:$zero_point_folded);
  let results = (outs QC_AccumulatorTensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def QC_LookupTableOp : QC_Op<"lookup_table"> {
  let summary = "Maps every quantized value through a table";
  let description = [{
    `out = table[q - qmin]` for inputs of at most 8 bits, where `qmin` is
    the least value of the input's storage type (the table has one entry per
    storage value, `2^bits`). `qc-fold-scales` tabulates element-wise float
    functions between a dequantize and a quantize (sigmoid, tanh, SiLU,
    hard-swish, GELU, ...) this way: exact for every input, and cheaper than
    computing them.

    ```mlir
    %y = qc.lookup_table %x {table = dense<...> : tensor<256xi8>}
        : tensor<1x8x!quant.uniform<i8:f32, 0.1>> -> tensor<1x8x!quant.uniform<i8:f32, 0.004:-128>>
    ```
  }];
  let arguments = (ins QC_QuantTensor:$input, ElementsAttr:$table);
  let results = (outs QC_QuantTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def QC_QAddOp : QC_Op<"qadd"> {
  let summary = "Integer addition of two quantized tensors with rescaling";
  let description = [{
    Adds tensors of different scales in integers (numpy broadcasting), the
    TFLite way: each centred input is shifted left by `left_shift` bits and
    rescaled to a common scale, the sum is rescaled to the output:

    ```
    a'  = apply((a - za) << left_shift, multiplier[0], shift[0])
    b'  = apply((b - zb) << left_shift, multiplier[1], shift[1])
    out = clamp(zo + apply(a' + b', multiplier[2], shift[2]), qmin, qmax)
    ```

    where `apply(v, m, s) = round(v * m * 2^-(31 + s))` as `rounding` says.
    Residual connections take this form after `qc-fold-scales`.
  }];
  let arguments = (ins QC_QuantTensor:$lhs, QC_QuantTensor:$rhs,
                   DenseI32ArrayAttr:$multiplier, DenseI32ArrayAttr:$shift,
                   I64Attr:$left_shift,
                   DefaultValuedAttr<QC_RoundingModeAttr,
                                     "RoundingMode::HalfToEven">:$rounding);
  let results = (outs QC_QuantTensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def QC_QMulOp : QC_Op<"qmul"> {
  let summary = "Integer multiplication of two quantized tensors";
  let description = [{
    Multiplies tensors of up to 8 bits (numpy broadcasting) in integers:

    ```
    out = clamp(zo + apply((a - za) * (b - zb), multiplier, shift), qmin, qmax)
    ```

    with `apply(v, m, s) = round(v * m * 2^-(31 + s))` as `rounding` says and
    the real rescale `s_a * s_b / s_out`. Gating products (squeeze-and-excite,
    attention weights) take this form after `qc-fold-scales`.
  }];
  let arguments = (ins QC_QuantTensor:$lhs, QC_QuantTensor:$rhs,
                   I32Attr:$multiplier, I32Attr:$shift,
                   DefaultValuedAttr<QC_RoundingModeAttr,
                                     "RoundingMode::HalfToEven">:$rounding);
  let results = (outs QC_QuantTensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // QUANTC_DIALECT_QC_QUANT_OPS
