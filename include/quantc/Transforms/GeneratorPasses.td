//===- GeneratorPasses.td - passes of decoder generators ---*- tablegen -*-===//
//
// Included by Passes.td: attention fusion and the passes that turn a
// decoder into a generator over a runtime KV cache.
//
//===----------------------------------------------------------------------===//

def QCFuseAttention : Pass<"qc-fuse-attention", "::mlir::ModuleOp"> {
  let summary = "Fuse matmul / softmax / matmul chains into qc.attention";
  let description = [{
    Recognises scaled dot-product attention as ONNX exports write it,

        matmul(softmax(where(mask, matmul(q, transpose(K)) * scale, lowest)), V)

    (the scale may be a division, the mask absent) where `K` and `V` may be
    the grouped-query "repeat" of fewer KV heads
    (`reshape(broadcast_to(reshape(kv)))`), and replaces it by one
    `qc.attention` on the unrepeated keys and values: no repeated KV tensor
    and no score tensor is materialised by the compiled code.
  }];
  let dependentDialects = ["::quantc::qc::QCDialect"];
}

def QCDecoderGenerator : Pass<"qc-decoder-generator", "::mlir::ModuleOp"> {
  let summary = "Turn a decoder with explicit KV cache into a generator step";
  let description = [{
    Rewrites a decoder-with-past model (Hugging Face Optimum / ONNX Runtime
    GenAI layout: `past_key_values.N.key/value` in, `present.N.key/value`
    out, `attention_mask` and `position_ids` in) whose attentions are
    `qc.attention` ops on `concat(past, new)` into one step of a generator:
    each attention becomes `qc.cached_attention` on the step's new keys and
    values, whose cache the runtime keeps (growing with the context, written
    in place, its length a run-time value), and the past inputs, the present
    outputs and the attention mask disappear from the signature. What stays
    is `input_ids` and `position_ids` `[1, T]` in and `logits` out; the
    module gets `qc.generator = {layers, kv_heads, head_dim}`.

    Batch 1 without padding is the generator's contract: the mask it drops
    is the causal one over all cached tokens. The static past length the
    model was imported with is a placeholder and must not be 0.

    `kv-cache` chooses how the cache stores keys and values (the `cache` of
    `qc.cached_attention`): `f32`, `f16`, `bf16`, `i8` (per token and head)
    or `i4` (per 32 values); it is recorded in `qc.generator`. With an
    integer cache, an attention's `qc.key_scale` (from
    `qc-calibrate-kv-keys`) becomes the `key_scale` of its cached attention,
    and `qc.generator` gets a unit `key_scale`.
  }];
  let dependentDialects = ["::quantc::qc::QCDialect"];
  let options = [
    Option<"kvCache", "kv-cache", "std::string", /*default=*/"\"f32\"",
           "KV cache storage: f32, f16, bf16, i8 or i4">,
  ];
}

def QCCalibrateKVKeys : Pass<"qc-calibrate-kv-keys", "::mlir::ModuleOp"> {
  let summary = "Measure per-channel key factors for an integer KV cache";
  let description = [{
    Runs the float model on calibration data and records on every
    `qc.attention`, as its `qc.key_scale`, a factor per KV head and channel:
    `r^alpha`, where `r` is the channel's largest |key| (at least 1/32 of
    the head's largest, so that a channel calibration saw near zero cannot
    become a row's outlier). The keys measured are the new ones of
    `concat(past, new)`: a decoder calibrated with a placeholder past.
    `qc-decoder-generator` with an `i8` or `i4` cache turns them into
    `qc.cached_attention`'s `key_scale`: the cache stores keys divided by
    their channel's factor and multiplies it back when reading, so the
    per-token scale no longer follows the few large channels (keys per
    channel, as KIVI and KVQuant quantize them, with the factors fixed
    before generation starts). `alpha` 1 evens the channels out fully, 0
    leaves them as they are; on SmolLM2-135M's int4 cache the default 0.7
    lost least of 0.3, 0.5, 0.6, 0.7, 0.8 and 1.
  }];
  let dependentDialects = ["::quantc::qc::QCDialect"];
  let options = [
    ListOption<"data", "data", "std::string",
               "Calibration .npz files or directories of them">,
    Option<"maxSamples", "max-samples", "int64_t", /*default=*/"0",
           "Samples read (0: all)">,
    Option<"alpha", "alpha", "double", /*default=*/"0.7",
           "Exponent of the channel ranges, in [0, 1]">,
  ];
}
