//===- Passes.td - qc transformation passes ----------------*- tablegen -*-===//
#ifndef QUANTC_TRANSFORMS_PASSES
#define QUANTC_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def QCDeduplicateConstants : Pass<"qc-deduplicate-constants", "::mlir::ModuleOp"> {
  let summary = "Merge constants of equal type and bytes";
  let description = [{
    Replaces every constant-like op (`qc.constant`, `arith.constant`) whose
    dense or resource value has the type and bytes of an earlier one by
    that one. CSE cannot: resources compare by handle, not by contents.
    Layers that share a weight get a copy each where a pass rewrites the
    weight per layer (transposed by `qc-fold-scales`, packed for a kernel
    by the lowering; a recurrent layer unrolled over its time steps has one
    layer per step), and one copy per weight keeps the library, and the
    cache its layers run from, the size of the model.
  }];
}

def QCTabulateRequantize : Pass<"qc-tabulate-requantize", "::mlir::ModuleOp"> {
  let summary = "Rescale 8-bit tensors through lookup tables";
  let description = [{
    Replaces each `qc.requantize` of an 8-bit quantized tensor with a single
    multiplier by a `qc.lookup_table` over the input's storage values. The
    table is the reference evaluator's requantize of every storage value, so
    the result is exact; on the CPU a table lookup costs a byte permute per
    64 values, where the rescale multiplies in 64 bits. Such rescales align
    the scales of a concatenation's inputs (CNN necks concatenate slices,
    sums and activations of different scales). Run by the CPU lowering
    before `convert-qc-to-linalg`.

    ```mlir
    %y = qc.requantize %x {multiplier = array<i32: 1073741824>, shift = array<i32: 0>}
        : tensor<8x!quant.uniform<i8:f32, 0.1>> -> tensor<8x!quant.uniform<i8:f32, 0.2>>
    // becomes
    %y = qc.lookup_table %x {table = dense<[-64, -64, -63, ...]> : tensor<256xi8>}
        : tensor<8x!quant.uniform<i8:f32, 0.1>> -> tensor<8x!quant.uniform<i8:f32, 0.2>>
    ```
  }];
  let dependentDialects = ["::quantc::qc::QCDialect"];
}

def QCSimplify : Pass<"qc-simplify", "::mlir::ModuleOp"> {
  let summary = "Fold constants, BatchNorm and identities in an imported model";
  let description = [{
    Cleans an imported graph before calibration:
    - evaluates every op whose operands are all constant (shape arithmetic,
      constant subgraphs) with the reference evaluator and replaces it by a
      `qc.constant`, unless the result exceeds `max-fold-elements`;
    - folds `qc.batch_norm` into a preceding `qc.conv`, `qc.conv_transpose`
      or `qc.gemm` whose weights are constant and that has no other user;
    - folds the addition of a per-channel constant into the bias of a
      preceding `qc.conv`, also through reshapes that keep the batch and
      channel dimensions (a 1-d convolution's bias added after its unit axis
      is squeezed);
    - removes `qc.identity`, no-op reshapes, transposes and slices;
    - removes dead ops and deduplicates equal constants.
  }];
  let dependentDialects = ["::quantc::qc::QCDialect"];
  let options = [
    Option<"maxFoldElements", "max-fold-elements", "int64_t",
           /*default=*/"1 << 22",
           "Largest constant (in elements) that folding may create">,
  ];
}

def QCCalibrate : Pass<"qc-calibrate", "::mlir::ModuleOp"> {
  let summary = "Record the range of every float tensor on calibration data";
  let description = [{
    Runs the float graph with the reference evaluator on the calibration set
    (`data`: `.npz` files or directories of them) and sets a clipping range
    `qc.range = array<f64: lo, hi>` on every op with a float result (and on
    float graph inputs, as an argument attribute). The range comes from the
    chosen estimator:

    - `minmax`: the extremes over the whole set;
    - `moving-average`: the mean of the per-sample extremes;
    - `percentile`: the `percentile`-th percentile of each tail;
    - `entropy`: the threshold of least KL divergence between the clipped
      and the quantized histograms of `|x|` (TensorRT's method);
    - `mse`: the threshold of least expected squared quantization error.

    The histogram estimators quantize to `bits` bits. Statistics can be
    written with `statistics-out` and read back with `statistics-in`, which
    skips evaluation: a model is run once and re-estimated at will. On a
    terminal a progress bar is shown.
  }];
  let dependentDialects = ["::quantc::qc::QCDialect"];
  let options = [
    ListOption<"data", "data", "std::string",
               "Calibration .npz files or directories of them">,
    Option<"estimator", "estimator", "std::string", /*default=*/"\"minmax\"",
           "Range estimator: minmax, moving-average, percentile, entropy, mse">,
    Option<"percentile", "percentile", "double", /*default=*/"99.99",
           "Percentile kept in each tail by the percentile estimator">,
    Option<"bits", "bits", "unsigned", /*default=*/"8",
           "Bit width the entropy and mse estimators optimize for">,
    Option<"numBins", "num-bins", "int64_t", /*default=*/"4096",
           "Histogram bins over [-max|x|, max|x|]">,
    Option<"maxSamples", "max-samples", "int64_t", /*default=*/"0",
           "Use at most this many samples (0: all)">,
    Option<"statisticsIn", "statistics-in", "std::string", /*default=*/"\"\"",
           "Read statistics from this file instead of running the graph">,
    Option<"statisticsOut", "statistics-out", "std::string", /*default=*/"\"\"",
           "Write the collected statistics to this file">,
  ];
}

def QCActivationAwareScaling : Pass<"qc-awq", "::mlir::ModuleOp"> {
  let summary = "Activation-aware weight scaling (AWQ) of matmuls before quantization";
  let description = [{
    Scales the input channels of matmuls whose weights will be quantized so
    that the channels carrying large activations lose less to rounding, and
    folds the inverse scales into what produces the input, so the float
    model computes the same function:

    - matmuls reading `qc.mul(x, w)` with `w` a constant vector over the
      last dimension (an RMSNorm's or LayerNorm's weight): the rows of every
      such matmul's weight are multiplied by `s` and `w` is divided by `s`;
      matmuls sharing the input (q/k/v, gate/up) share `s`;
    - a matmul reading `qc.mul(a, up)` where `up` is a matmul with constant
      weights used only there (the gated MLP's down projection): the rows of
      its weight are multiplied by `s` and the columns of `up`'s weight
      divided by `s`.

    `s = a^alpha` (normalized so that max(s) min(s) = 1), where `a` is the
    RMS of each input channel on the calibration `data`, and `alpha` is
    searched on a grid of `grid` points in [0, 1) for the least output error
    of the quantized layers, `sum tr(dW^T E[x x^T] dW)` with `dW` the
    quantized-and-unscaled minus the float weight; `alpha = 0` (no scaling)
    is a candidate, so the error never rises. Quantization is emulated as
    `qc-quantize` will do it with the same `weight`, `granularity`,
    `group-size`, `weight-range` and `weight-scheme` (per output channel
    or per group along the input dimension). A remark reports the groups scaled
    and the output error before and after.

    With `clip`, each group of the (scaled) weights, per output channel, is
    then clipped to `+-r max|w|` with `r` in {1, 0.95, ..., 0.55} (AWQ's
    clipping search; for an asymmetric `weight-scheme` also to
    `[r min(w, 0), r max(w, 0)]`, the range its grid spans), chosen for the
    least `dW^T E[x x^T] dW` over the group's inputs (`r = 1` is a
    candidate). Unlike the scaling, clipping changes the
    float model; a second remark reports the groups clipped and the error.
  }];
  let dependentDialects = ["::quantc::qc::QCDialect"];
  let options = [
    ListOption<"data", "data", "std::string", "Calibration .npz files or directories">,
    Option<"maxSamples", "max-samples", "int64_t", /*default=*/"0",
           "Samples measured (0: all)">,
    Option<"weight", "weight", "std::string", /*default=*/"\"i4\"",
           "Weight precision the layers will be quantized to: i8 or i4">,
    Option<"granularity", "granularity", "std::string", /*default=*/"\"per_group\"",
           "Weight scales: per_channel or per_group">,
    Option<"groupSize", "group-size", "int64_t", /*default=*/"128",
           "Input elements per weight scale (per_group)">,
    Option<"weightRange", "weight-range", "std::string", /*default=*/"\"minmax\"",
           "Weight scales: minmax or mse">,
    Option<"weightScheme", "weight-scheme", "std::string", /*default=*/"\"symmetric\"",
           "Weights: symmetric or asymmetric">,
    Option<"grid", "grid", "int64_t", /*default=*/"20",
           "Points of the alpha grid in [0, 1)">,
    Option<"clip", "clip", "bool", /*default=*/"false",
           "Also search a clipping range per weight group">,
  ];
}

def QCSmoothQuant : Pass<"qc-smooth-quant", "::mlir::ModuleOp"> {
  let summary = "Migrate activation outliers into matmul weights (SmoothQuant)";
  let description = [{
    For int8 activations in the linear layers (W8A8): a few input channels
    of a transformer's matmuls carry values far larger than the rest, and
    one int8 scale per row of activations then leaves the others only a few
    levels. SmoothQuant (Xiao et al., 2023) divides input channel j by

        s_j = max|x_j|^alpha / max|w_j|^(1 - alpha)

    and multiplies row j of the weights by it, which moves the outliers'
    range into the weights (quantized per output channel, where it costs
    little). `max|x_j|` is the largest magnitude of channel j on the
    calibration `data`, `max|w_j|` that of row j over the group's weights;
    a channel that is zero in either keeps s = 1. The groups and the fold
    of 1 / s are those of `qc-awq` (a normalization's weight before q/k/v or
    gate/up, the up projection's columns before down), so the float model
    computes the same function. A remark reports the groups scaled and the
    largest ratio of a channel's range to the mean range, before and after.
  }];
  let dependentDialects = ["::quantc::qc::QCDialect"];
  let options = [
    ListOption<"data", "data", "std::string", "Calibration .npz files or directories">,
    Option<"maxSamples", "max-samples", "int64_t", /*default=*/"0",
           "Samples measured (0: all)">,
    Option<"alpha", "alpha", "double", /*default=*/"0.5",
           "Migration strength in [0, 1]: 0 leaves the activations, 1 moves "
           "their whole range into the weights">,
  ];
}

def QCEqualize : Pass<"qc-equalize", "::mlir::ModuleOp"> {
  let summary = "Cross-layer equalization of consecutive layers' channels";
  let description = [{
    Finds pairs of layers (conv to conv, or matmul/gemm to matmul/gemm,
    constant weights) where the first layer's output reaches only the second,
    directly or through one positively homogeneous function (`qc.relu`,
    `qc.leaky_relu`, `qc.prelu`). Dividing output channel `c` of the first
    layer (its weights and bias) by `s_c > 0` and multiplying the second
    layer's weights that read channel `c` by `s_c` computes the same model,
    exactly: every `s_c` is a power of two, so the rescaled weights and
    biases keep their significands. It changes how well the pair quantizes.
    Depthwise
    layers take part like any other (their groups are respected).

    `method` chooses the scales:

    - `weights` (the default; Nagel et al., "Data-Free Quantization", 2019):
      `s_c = sqrt(r1_c / r2_c)` (to the nearest power of two) with `r1_c`
      the range of the first layer's row `c` and `r2_c` that of the second
      layer's weights reading `c`, so both become about `sqrt(r1_c r2_c)`;
      repeated over all pairs (chains share
      layers) until the scales settle or `max-rounds`.
    - `noise` (needs `data`, calibration samples): the tensor between the layers is
      measured per channel (range and mean square), and for each pair the
      pass predicts the quantization noise at the second layer's output
      (8-bit rounding of the middle tensor with one scale, and of the
      second layer's weights with one scale per output channel) for three
      candidates: the data-free scales, scales that give every middle
      channel the same range, and scales that make the middle channels'
      ranges meet the second layer's weight ranges. The best candidate is
      applied only when it predicts at least 5 % less noise than the pair
      as it is, so the pass changes only the pairs it measures to gain.
    - `auto` (needs `data`): equalizes copies of the model not at all, by
      `weights` and by `noise`, quantizes each with `quantize-pipeline`
      (default `qc-calibrate{data=...},qc-quantize`) and keeps the one whose
      outputs are closest to the float model's (relative noise power) on
      `score-data`, held-out samples (default: `data`, where every
      candidate looks better than it is). A remark gives the three
      measurements. This is what
      `quantc` runs by default with `--calib`.

    Run it on the float model after `qc-simplify` (BatchNorm folded) and
    before `qc-calibrate`. A remark says how many pairs were rescaled.
  }];
  let dependentDialects = ["::quantc::qc::QCDialect"];
  let options = [
    Option<"method", "method", "std::string", /*default=*/"\"weights\"",
           "weights (data-free), noise (predicted noise) or auto (measured)">,
    ListOption<"data", "data", "std::string",
               "Calibration .npz files or directories (noise, auto)">,
    Option<"maxSamples", "max-samples", "int64_t", /*default=*/"16",
           "Samples measured">,
    Option<"quantizePipeline", "quantize-pipeline", "std::string", /*default=*/"\"\"",
           "auto: how each candidate is quantized (a pass pipeline on the "
           "module)">,
    ListOption<"scoreData", "score-data", "std::string",
               "auto: held-out .npz samples the candidates are scored on "
               "(default: data)">,
    Option<"maxRounds", "max-rounds", "int64_t", /*default=*/"16",
           "Passes over all pairs">,
  ];
}

def QCQuantize : Pass<"qc-quantize", "::mlir::ModuleOp"> {
  let summary = "Quantize layers as their precision says";
  let description = [{
    Gives every layer (`qc.conv`, `qc.matmul`, `qc.gemm`) without one a
    `qc.precision` from the pass options, refined by an override file, then
    materializes it:

    - integer activations: the layer's inputs and its output (after a
      following Relu or Clip) pass through `qc.quantize` / `qc.dequantize`
      with the scale and zero point of their calibrated `qc.range`; values
      that are already quantized keep their type;
    - integer weights: constant weights are quantized once, here, into a
      `qc.constant` of the storage type (i4 packed two per byte) viewed
      through `quant.scast` with a per-tensor, per-channel or per-group
      `!quant.uniform` type, and dequantized for the layer. Symmetric
      weights map |w| max onto the largest level of the narrow range
      `[-(2^(b-1) - 1), 2^(b-1) - 1]` (`weight-range=minmax`); asymmetric
      ones (`weight-scheme`, weight-only layers) map [min(w, 0), max(w, 0)]
      onto the full range with a zero point per block; `mse` picks the least
      squared error (weighted by the inputs' mean squares where `gptq` or
      `rounding-search` measured them), which may clip outliers;
    - `bf16` / `f16`: the layer computes in that type between `qc.cast`s.

    With `scope=all` (the default) the ops between integer layers are
    quantized too, with the default activation precision, so that
    `qc-fold-scales` makes them integer: reshape, transpose, slice, max
    pooling and nearest resizing keep their input's type; concat inputs and
    output share one type (from the output's range), as do the inputs of a
    scale-preserving op and its output; additions and (8-bit) products of
    two tensors get their own output type; and a chain of element-wise
    functions of one quantized tensor (sigmoid, SiLU, hard-swish, GELU, ...)
    is quantized where it ends, to become a lookup table (products and sums
    of the tensor with itself inside it stay float until then). Where only
    float ops read such a function its end gets 16 bits, and cheap
    arithmetic (add, mul, ...) for float readers stays float.

    A MatMul with integer activations whose product only feeds the addition
    of a per-column constant (a dense layer's bias) becomes a `qc.gemm` over
    the rows of its input with that bias, between reshapes. `onnx-exportable`
    turns this and the 16-bit ends off.

    The result is a graph in QDQ form, numerically what it will compute;
    `qc-fold-scales` then turns it into integer arithmetic.

    Three adjustments of integer weights first measure the layers' inputs
    on the float model with calibration `data`:
    - `rounding-search` (learned rounding, after AdaRound): each weight
      takes the level just below or above it so that the layer's output
      error `sum_p ((W_q - W) p)^2` over the measured patches `p` is least;
      a coordinate search from round-to-nearest moves one level at a time
      while that error (second moment damped by 1 % of its mean diagonal)
      falls, so it never ends worse on the data. Scales do not change.
    - `bias-correction`: each output channel's expected shift
      `(W_q - W) E[p]` (padding counted as zeros) is subtracted from the
      bias; a convolution without one gets one; MatMul is left alone.
    - `gptq` (Frantar et al.): each output row is rounded one input at a
      time, each rounding error fed into the weights not yet rounded
      through the upper Cholesky factor of `H^-1`, `H = E[x x^T]` damped by
      `gptq-damping` times its mean diagonal (always-zero inputs get weight
      0); `gptq-act-order` rounds inputs by decreasing `H_ii`. Scales are
      round-to-nearest's on the original weights (static groups), so the
      types, and everything downstream, are unchanged. Meant for language
      models' matmuls, where `rounding-search` is too slow; works on any
      layer with integer weights.

    All three report what they did as remarks.

    The override file is JSON: a list of rules applied in order, each naming
    layers by `"name"` (a glob over ONNX node names) or `"op_type"` (`Conv`,
    `MatMul`, `Gemm`) and setting any of `activation`, `weight`,
    `granularity`, `scheme`, `group_size`:

    ```json
    {"rules": [{"op_type": "Gemm", "activation": "f32"},
               {"name": "conv1*", "activation": "i16"} ]}
    ```
  }];
  let dependentDialects = ["::quantc::qc::QCDialect",
                           "::mlir::quant::QuantDialect"];
  let options = [
    Option<"activation", "activation", "std::string", /*default=*/"\"i8\"",
           "Activation precision: i8, i16, f32, bf16, f16">,
    Option<"weight", "weight", "std::string", /*default=*/"\"i8\"",
           "Weight precision: i8, i4, f32, bf16, f16">,
    Option<"granularity", "granularity", "std::string",
           /*default=*/"\"per_channel\"",
           "Weight scales: per_tensor, per_channel, per_group">,
    Option<"scheme", "scheme", "std::string", /*default=*/"\"asymmetric\"",
           "Activations: symmetric or asymmetric">,
    Option<"groupSize", "group-size", "int64_t", /*default=*/"0",
           "Elements of the reduction dimension per weight scale (per_group)">,
    Option<"overrides", "overrides", "std::string", /*default=*/"\"\"",
           "JSON file of per-layer precision rules">,
    Option<"scope", "scope", "std::string", /*default=*/"\"all\"",
           "What else is quantized around integer layers: layers (nothing) "
           "or all (movement ops, concat, add, element-wise functions)">,
    Option<"onnxExportable", "onnx-exportable", "bool", /*default=*/"false",
           "Keep the imported ops and 8-bit activations so that the result "
           "maps back onto the ONNX graph (QDQ export): no dense-layer "
           "biases folded into gemms, no 16-bit tables for float readers">,
    Option<"weightRange", "weight-range", "std::string", /*default=*/"\"minmax\"",
           "Weight scales: minmax (|w| max maps to the largest level, narrow "
           "range) or mse (least squared error per scale over the full range, "
           "may clip outliers)">,
    Option<"weightScheme", "weight-scheme", "std::string", /*default=*/"\"symmetric\"",
           "Weights of weight-only layers: symmetric or asymmetric">,
    Option<"roundingSearch", "rounding-search", "bool", /*default=*/"false",
           "Choose each integer weight's rounding direction for the least "
           "layer output error on data (learned rounding)">,
    Option<"biasCorrection", "bias-correction", "bool", /*default=*/"false",
           "Subtract the expected output shift of quantized weights (on "
           "data) from the layer's bias">,
    Option<"gptq", "gptq", "bool", /*default=*/"false",
           "Round integer weights by GPTQ (error feedback through the inverse "
           "second moment of the layer's inputs on data)">,
    Option<"gptqDamping", "gptq-damping", "double", /*default=*/"0.01",
           "GPTQ: damping added to the second moment's diagonal, as a "
           "fraction of its mean">,
    Option<"gptqActOrder", "gptq-act-order", "bool", /*default=*/"false",
           "GPTQ: round inputs in order of decreasing second moment "
           "(desc-act)">,
    ListOption<"data", "data", "std::string",
               "Calibration .npz files or directories (rounding-search, "
               "bias-correction, gptq)">,
    Option<"maxSamples", "max-samples", "int64_t", /*default=*/"16",
           "Samples that rounding-search, bias-correction and gptq measure">,
  ];
}

def QCFoldScales : Pass<"qc-fold-scales", "::mlir::ModuleOp"> {
  let summary = "Turn QDQ chains into integer layers with one requantization";
  let description = [{
    Rewrites `qc.quantize(layer(qc.dequantize(x), qc.dequantize(w), bias))`,
    with an optional Relu or Clip before the quantize, into
    `qc.requantize(qc.qconv / qc.qmatmul(x, w, bias_i32))`:

    - the rescale `s_x * s_w / s_out` (per output channel) becomes a
      fixed-point multiplier and shift with the `rounding` mode;
    - the float bias becomes i32 with scale `s_x * s_w`;
    - Relu and Clip become the requantization's clamp bounds;
    - Gemm's `alpha` folds into the multiplier, `beta * c` into the bias, a
      transposed constant `b` is transposed at compile time;
    - `-z_x * sum(w - z_w)` is precomputed into the bias of layers with
      constant weights (`zero_point_folded`);
    - `quantize(dequantize(q))` becomes `q` or one `qc.requantize`;
    - between layers: movement ops run on quantized tensors, additions
      become `qc.qadd`, products `qc.qmul`, and element-wise functions of
      one 8-bit tensor `qc.lookup_table`.

    A layer is left in QDQ form, with a remark, when its accumulator could
    overflow i32 (`K * max|x - z_x| * max|w - z_w| + max|bias| >= 2^31`) or
    its rescale is not representable; integer overflow is impossible in what
    this pass produces.
  }];
  let dependentDialects = ["::quantc::qc::QCDialect",
                           "::mlir::quant::QuantDialect"];
  let options = [
    Option<"rounding", "rounding", "std::string", /*default=*/"\"half_to_even\"",
           "Requantization rounding: half_to_even, half_away_from_zero, "
           "double_round, half_up (TOSA's SINGLE_ROUND)">,
  ];
}

def QCDynamicInt8Activations : Pass<"qc-dynamic-int8-activations", "::mlir::func::FuncOp"> {
  let summary = "Run weight-only layers on int8 activations rounded at run time";
  let description = [{
    Sets `dynamic_int8_block` on every float `qc.matmul` and `qc.gemm`
    (alpha 1, `a` not transposed) whose weight is a dequantized constant of
    4 or 8 bits: its input is then rounded at run time to int8 with one
    scale per `block-size` values of each row, and the CPU kernel computes
    the product with integer dot products (AVX-512 VNNI), about four times
    fewer instructions per weight than dequantizing to float. This is what
    llama.cpp does for its 4- and 8-bit formats and ONNX Runtime for
    MatMulNBits with `accuracy_level = 4`; it costs some accuracy, which
    the perplexity benchmark reports.

    `block-size=0` gives each row one scale (per-token int8 activations,
    W8A8 as SmoothQuant evaluates it; see `qc-smooth-quant`).

    A layer is left as it is, with a remark, when `block-size` does not
    divide its weight groups (or its reduced dimension, per channel) or
    is not a multiple of the values one 32-bit word of its weights holds
    (8 for 4 bits, 4 for 8 bits).
  }];
  let dependentDialects = ["::quantc::qc::QCDialect"];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"32",
           "Activation values per int8 scale, along each row (0: the whole "
           "row, one scale per token)">,
  ];
}

def QCFastFloat : Pass<"qc-fast-float", "::mlir::func::FuncOp"> {
  let summary = "Run float layers on bf16 operands (the fast float mode)";
  let description = [{
    The fast float mode's narrowing, as OpenVINO's default precision hint
    does on CPUs with bf16 matrix units: every float `qc.conv`, `qc.matmul`
    and `qc.gemm` with a constant weight and no precision of its own gets
    its input rounded to bf16 and its weight stored in bf16 (round to
    nearest even), both widened back to f32 by `qc.cast`, and the precision
    `bf16`/`bf16` (`qc.precision`) that reports and manifests show. The
    layer's sums and result stay f32; the evaluator computes exactly this
    graph, and the CPU kernels differ from it only in the order of the sums
    (`convert-qc-to-linalg{float-mode=fast bf16-tiles}`: the tile layout on
    AMX-BF16 or AVX-512 BF16, the targets the CPU pipeline runs it for).

    It also rewrites a hard-swish spelled out in element-wise ops (x *
    clip(x + 3, 0, 6) / 6, the sixth as a division or a product by 1/6,
    taken of the product or of the clip, or x * hard_sigmoid(x) with alpha
    1/6 and beta 1/2) as one `qc.hard_swish`, which the tile convolutions
    apply in their epilogue; in f32 the two may differ in the last bit.

    Left in f32, where bf16 tiles would be mostly padding: layers whose
    reduction has fewer than `min-reduction` steps or that have fewer than
    `min-outputs` output channels (columns) per group, so depthwise
    convolutions, and layers already given a precision (by `qc-quantize`,
    its overrides or mixed precision).
  }];
  let dependentDialects = ["::quantc::qc::QCDialect"];
  let options = [
    Option<"minReduction", "min-reduction", "int64_t", /*default=*/"16",
           "Fewest reduction steps of a narrowed layer">,
    Option<"minOutputs", "min-outputs", "int64_t", /*default=*/"16",
           "Fewest output channels (columns) per group of a narrowed layer">,
  ];
}

def QCApproximateMath : Pass<"qc-approximate-math"> {
  let summary = "Polynomial f32 math functions (the fast float mode)";
  let description = [{
    Replaces f32 `math.exp`, `expm1`, `log`, `log1p`, `log2`, `tanh`, `erf`,
    `sin` and `cos` (scalars and vectors) by upstream MLIR's polynomial
    approximations, plain arithmetic that the loops around them vectorize,
    instead of libm calls that round correctly but one element at a time.
    Their error is a few ulps; the fast float mode's tests bound what it
    does to whole models.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect", "::mlir::x86vector::X86VectorDialect"];
}

def QCReport : Pass<"qc-report", "::mlir::ModuleOp"> {
  let summary = "Per-layer precision, size and accuracy report";
  let description = [{
    Runs the quantized model and its float `reference` (a `.mlir` or
    `.mlirbc` file of the same model, for example the output of
    `qc-simplify`, with its locations) on `data` and reports, for every
    layer with a `qc.precision`:

    - the precision and the bytes of its weights;
    - the SQNR (dB) of the layer's output against the float model, where
      tensors are matched by ONNX node name;

    and for the whole model the SQNR and cosine similarity of every output,
    top-1 agreement for outputs that look like class scores, and the total
    weight bytes against the float model's. The table is printed to stderr
    and written as JSON (`json`), Markdown (`markdown`) and an SVG bar chart
    of per-layer SQNR (`svg`) when those are given. The IR is not changed.
  }];
  let dependentDialects = ["::quantc::qc::QCDialect",
                           "::mlir::quant::QuantDialect"];
  let options = [
    Option<"reference", "reference", "std::string", /*default=*/"\"\"",
           "The float model (.mlir or .mlirbc) to compare against">,
    ListOption<"data", "data", "std::string",
               "Input .npz files or directories of them">,
    Option<"maxSamples", "max-samples", "int64_t", /*default=*/"0",
           "Use at most this many samples (0: all)">,
    Option<"json", "json", "std::string", /*default=*/"\"\"",
           "Write the report as JSON to this file">,
    Option<"markdown", "markdown", "std::string", /*default=*/"\"\"",
           "Write the report as Markdown to this file">,
    Option<"svg", "svg", "std::string", /*default=*/"\"\"",
           "Write a bar chart of per-layer SQNR to this file">,
  ];
}

def QCAssignPrecision : Pass<"qc-assign-precision", "::mlir::ModuleOp"> {
  let summary = "Choose every layer's precision under a size budget";
  let description = [{
    Measures how much each candidate precision of each layer (Conv, MatMul,
    Gemm with constant weights) costs in accuracy, and picks the assignment of
    least total error whose weights fit the budget; writes it as
    `qc.precision` for `qc-quantize`.

    - Sensitivity (`signal`): `output` (the default) quantizes only that
      layer (all others in f32) and measures the relative noise power
      `sum (y - y_f)^2 / sum y_f^2` of the model's outputs on `data` (up to
      `max-samples` samples). `kl` measures the same trials by what a
      language model's perplexity feels: the mean KL divergence
      `KL(softmax(y_f) || softmax(y))` over the rows of the first output
      (logits over its last dimension); `max-error` is then a KL bound. `proxy` needs no trial runs: the layer's own
      relative output noise predicted from its weight error, weighted by the
      energy of the input channel each weight multiplies (measured once on
      the float model), plus the uniform rounding noise of 8-bit activations
      and outputs (`step^2 / 12` over the calibrated ranges). Errors of
      different layers add up in the prediction.
    - Cost: the exact bytes of the layer's weights and scales; or, with a
      latency budget, the layer's multiply-accumulates times the time per
      MAC of its precision, from `cost-table` (a JSON file
      `{"ns_per_mac": {"i8": 0.004, "w4g32": 0.03, ...}}` that
      `benchmarks/precision_cost_table.py` measures by running the
      generated kernels on this machine) or, without one, from an op-count
      model (the same table with built-in values).
    - Budget: `budget-bytes`, or `bits-per-weight` over all layer weights
      (least predicted error within the size), or `latency-us` (least error
      within the predicted time), or `max-error`, the largest relative
      output noise power (smallest weights within the error).
    - Solver: the exact Pareto front over all layers (quantc/Precision/Solver.h),
      not a greedy choice.
    - Refinement: the chosen assignment is quantized as a whole and its true
      error measured. Under a size or latency budget, the `refine-points`
      points of the front that fit with the least predicted error are all
      measured, and the one of least measured error is chosen (predictions
      only add the layers' errors). Under `max-error`, an assignment whose measured error
      misses the budget (errors of layers do not add exactly) is repaired by
      solving again with the target scaled by the miss, up to `refine-rounds`
      times; an assignment that still misses is an error. The measured error
      is reported as a remark and kept in `qc.assigned_error` on the module.
    - `cache`: a JSON file of measured sensitivities, keyed by a fingerprint
      of the layers' weights, the calibration ranges and the samples, so
      changing budgets re-solves without re-measuring.
    - `pareto`: writes the Pareto front (weight bytes, bits per weight,
      predicted error and every layer's precision for each point, the chosen
      one marked) as JSON, and a plot of it as SVG next to it.

    - Accuracy budget (`max-drop`): the model is quantized as a whole by
      `quantize-pipeline` (the quantization the user will run, e.g.
      `qc-quantize{rounding-search=true data=...}`) and scored against the
      float model on `data` with `metric`: `agreement`, the fraction of
      positions along the first output's last axis (classes) whose top-1
      class changes, or `sqnr`, the relative output noise power (0.01 is
      20 dB). When the drop exceeds `max-drop`, layers are kept at a
      fallback precision: the first of `fallback` (default `i16,f32`; `i16`
      is 16-bit activations with 8-bit weights; also `bf16`, `w8`, ...) with
      which keeping every layer meets the budget. The most sensitive
      layers are kept first (each layer's output
      noise quantized alone), the fewest that meet the budget (bisection),
      then each kept layer that the budget does not need is released. The
      budget is scored on every sample of `data` (hold-out data, ideally);
      `max-samples` of them rank the layers. The
      kept layers get `qc.precision`, `qc.sensitivity` and a `qc.choice`
      saying why; the others keep the pipeline's default. A remark gives
      the drop before and after and names the kept layers; the module gets
      `qc.accuracy_drop`. It is an error when every layer at every fallback
      misses the budget.

    Each chosen layer gets `qc.sensitivity` (its predicted error) and
    `qc.choice`, a sentence saying what the alternatives would have cost;
    `qc-report` prints both.

    Candidates (`candidates`, default `f32,bf16,i8,w8,w4,w4g32`): `f32`, `bf16`,
    `i8` (i8 asymmetric activations, i8 per-channel weights), `w8` (f32
    activations, i8 weights), `w4` (f32 activations, i4 weights per
    channel), `w4gN` (f32 activations, i4 weights in groups of N along K:
    a matmul's rows, a convolution's input channels; where N does not divide
    K, the largest size down to N/2 that does, so K = 120 takes groups of 30
    for `w4g32`). Layers that already carry a
    `qc.precision` keep it. Needs calibrated ranges (`qc-calibrate`).
  }];
  let dependentDialects = ["::quantc::qc::QCDialect",
                           "::mlir::quant::QuantDialect"];
  let options = [
    ListOption<"data", "data", "std::string",
               "Sample .npz files or directories of them">,
    Option<"maxSamples", "max-samples", "int64_t", /*default=*/"16",
           "Samples per sensitivity measurement">,
    Option<"signal", "signal", "std::string", /*default=*/"\"output\"",
           "Sensitivity signal: output (measured noise), kl (measured KL "
           "divergence of the first output's softmax) or proxy (weight error x "
           "activation energy)">,
    Option<"budgetBytes", "budget-bytes", "int64_t", /*default=*/"0",
           "Largest total size of the layer weights, in bytes">,
    Option<"bitsPerWeight", "bits-per-weight", "double", /*default=*/"0",
           "Largest average size of a layer weight, in bits">,
    Option<"weightScheme", "weight-scheme", "std::string", /*default=*/"\"symmetric\"",
           "qc-quantize's weight-scheme (asymmetric: a zero point byte per scale)">,
    Option<"latencyUs", "latency-us", "double", /*default=*/"0",
           "Largest predicted time of the chosen layers, in microseconds">,
    Option<"costTable", "cost-table", "std::string", /*default=*/"\"\"",
           "Measured nanoseconds per MAC of each candidate (JSON)">,
    Option<"maxError", "max-error", "double", /*default=*/"0",
           "Largest relative output noise power (then the smallest weights)">,
    Option<"refineRounds", "refine-rounds", "int64_t", /*default=*/"3",
           "Re-solves when the measured error misses max-error">,
    Option<"refinePoints", "refine-points", "int64_t", /*default=*/"16",
           "Pareto points within a size or latency budget whose true error "
           "is measured (the least measured wins)">,
    Option<"cache", "cache", "std::string", /*default=*/"\"\"",
           "Sensitivity cache file (JSON), read and updated">,
    Option<"pareto", "pareto", "std::string", /*default=*/"\"\"",
           "Write the Pareto front here (JSON, and an SVG plot beside it)">,
    ListOption<"candidates", "candidates", "std::string",
               "Candidate precisions (f32, bf16, i8, w8, w4, w4g32, ...)">,
    Option<"maxDrop", "max-drop", "double", /*default=*/"0",
           "Largest drop of `metric` against the float model (then the "
           "fewest layers at `fallback`)">,
    Option<"metric", "metric", "std::string", /*default=*/"\"agreement\"",
           "max-drop metric: agreement (top-1 along the first output's last "
           "axis) or sqnr (relative output noise power)">,
    ListOption<"fallback", "fallback", "std::string",
               "max-drop: precisions of layers kept out of the default, in "
               "order (default i16,f32)">,
    Option<"quantizePipeline", "quantize-pipeline", "std::string",
           /*default=*/"\"qc-quantize\"",
           "max-drop: the quantization every trial runs (a pass pipeline)">,
  ];
}

include "quantc/Transforms/DecompositionPasses.td"
include "quantc/Transforms/GeneratorPasses.td"

#endif // QUANTC_TRANSFORMS_PASSES
