"""Writes a llama decoder as a standard ONNX "decoder with past" model, the
layout of Hugging Face Optimum and ONNX Runtime GenAI exports:

    inputs:  input_ids [batch, sequence], attention_mask [batch, total],
             position_ids [batch, sequence],
             past_key_values.{i}.key / .value [batch, kv_heads, past, head_dim]
    outputs: logits [batch, sequence, vocab],
             present.{i}.key / .value [batch, kv_heads, total, head_dim]

with total = past + sequence (past = 0 on the first call). Only standard
operators are used (opset 17): the causal mask is built from
`attention_mask` with Range/LessOrEqual/And, RoPE from `position_ids` with
Cos/Sin, RMSNorm decomposed. Weights are stored as float32 or float16 (cast
to float32 where they are used) in an external data file.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from .gguf_model import GGUFError, LlamaWeights, load_llama_gguf, load_tokenizer

OPSET = 17


class _GraphBuilder:
    """Collects nodes and initializers with readable, unique names."""

    def __init__(self, weight_dtype):
        self.nodes, self.inits = [], []
        self.weight_dtype = weight_dtype
        self._const_cache = {}

    def node(self, op: str, inputs, name: str, outputs=1, **attrs):
        from onnx import helper
        outs = [f"{name}/output_{i}" for i in range(outputs)] if isinstance(outputs, int) else list(outputs)
        self.nodes.append(helper.make_node(op, list(inputs), outs, name=name, **attrs))
        return outs[0] if len(outs) == 1 else outs

    def const(self, value, dtype) -> str:
        """A small constant (shapes, axes, scalars), shared by value."""
        from onnx import numpy_helper
        arr = np.asarray(value, dtype=dtype)
        key = (arr.dtype.str, arr.shape, arr.tobytes())
        if key not in self._const_cache:
            name = f"/const/{len(self._const_cache)}"
            self.inits.append(numpy_helper.from_array(arr, name))
            self._const_cache[key] = name
        return self._const_cache[key]

    def weight(self, array: np.ndarray, name: str) -> str:
        """A weight initializer in the storage dtype, read as float32."""
        from onnx import numpy_helper
        stored = np.ascontiguousarray(array.astype(self.weight_dtype))
        self.inits.append(numpy_helper.from_array(stored, name))
        if self.weight_dtype == np.float32:
            return name
        from onnx import TensorProto
        return self.node("Cast", [name], name + "/Cast", to=TensorProto.FLOAT)


def _rms_norm(g: _GraphBuilder, x: str, weight: np.ndarray, eps: float, name: str) -> str:
    sq = g.node("Mul", [x, x], f"{name}/Mul_sq")
    mean = g.node("ReduceMean", [sq], f"{name}/ReduceMean", axes=[-1], keepdims=1)
    var = g.node("Add", [mean, g.const(eps, np.float32)], f"{name}/Add_eps")
    rms = g.node("Sqrt", [var], f"{name}/Sqrt")
    normed = g.node("Div", [x, rms], f"{name}/Div")
    return g.node("Mul", [normed, g.weight(weight, f"{name}.weight")], f"{name}/Mul_weight")


def _linear(g: _GraphBuilder, x: str, w: np.ndarray, name: str) -> str:
    """x @ w.T with w [out, in], stored transposed as [in, out]."""
    return g.node("MatMul", [x, g.weight(w.T, f"{name}.weight")], f"{name}/MatMul")


def _rope(g: _GraphBuilder, x: str, cos: str, sin: str, half: int, name: str) -> str:
    axes = g.const([3], np.int64)
    x1 = g.node("Slice", [x, g.const([0], np.int64), g.const([half], np.int64), axes], f"{name}/Slice_1")
    x2 = g.node("Slice", [x, g.const([half], np.int64), g.const([2 * half], np.int64), axes], f"{name}/Slice_2")
    rotated = g.node("Concat", [g.node("Neg", [x2], f"{name}/Neg"), x1], f"{name}/Concat", axis=3)
    return g.node("Add", [g.node("Mul", [x, cos], f"{name}/Mul_cos"),
                          g.node("Mul", [rotated, sin], f"{name}/Mul_sin")], f"{name}/Add")


def _heads(g: _GraphBuilder, x: str, heads: int, head_dim: int, name: str) -> str:
    """[B, T, heads*head_dim] -> [B, heads, T, head_dim]."""
    r = g.node("Reshape", [x, g.const([0, 0, heads, head_dim], np.int64)], f"{name}/Reshape")
    return g.node("Transpose", [r], f"{name}/Transpose", perm=[0, 2, 1, 3])


def _repeat_kv(g: _GraphBuilder, x: str, groups: int, heads: int, head_dim: int, name: str) -> str:
    """[B, kv, S, D] -> [B, kv*groups, S, D], each KV head serving `groups`
    query heads in a row (grouped-query attention)."""
    if groups == 1:
        return x
    u = g.node("Unsqueeze", [x, g.const([2], np.int64)], f"{name}/Unsqueeze")
    e = g.node("Expand", [u, g.const([1, 1, groups, 1, 1], np.int64)], f"{name}/Expand")
    return g.node("Reshape", [e, g.const([0, heads, -1, head_dim], np.int64)], f"{name}/Reshape")


def _position_tables(g: _GraphBuilder, cfg) -> tuple[str, str]:
    """cos/sin [B, 1, T, head_dim] of the rotate-halves RoPE."""
    from onnx import TensorProto
    d = cfg.head_dim
    inv_freq = 1.0 / (cfg.rope_base ** (np.arange(0, d, 2, dtype=np.float32) / d))
    pos = g.node("Cast", ["position_ids"], "/model/rotary/Cast", to=TensorProto.FLOAT)
    pos = g.node("Unsqueeze", [pos, g.const([-1], np.int64)], "/model/rotary/Unsqueeze")
    freqs = g.node("Mul", [pos, g.const(inv_freq.astype(np.float32), np.float32)], "/model/rotary/Mul")
    emb = g.node("Concat", [freqs, freqs], "/model/rotary/Concat", axis=-1)
    heads_axis = g.const([1], np.int64)
    cos = g.node("Unsqueeze", [g.node("Cos", [emb], "/model/rotary/Cos"), heads_axis], "/model/rotary/Unsqueeze_cos")
    sin = g.node("Unsqueeze", [g.node("Sin", [emb], "/model/rotary/Sin"), heads_axis], "/model/rotary/Unsqueeze_sin")
    return cos, sin


def _attention_keep_mask(g: _GraphBuilder) -> str:
    """bool [B, 1, T, S]: key j is visible to query t when j <= past + t
    (causal) and attention_mask[b, j] is set (padding)."""
    from onnx import TensorProto
    n = "/model/mask"
    i64 = np.int64
    total = g.node("Gather", [g.node("Shape", ["attention_mask"], f"{n}/Shape_total"), g.const(1, i64)],
                   f"{n}/Gather_total", axis=0)
    seq = g.node("Gather", [g.node("Shape", ["input_ids"], f"{n}/Shape_seq"), g.const(1, i64)],
                 f"{n}/Gather_seq", axis=0)
    past = g.node("Sub", [total, seq], f"{n}/Sub_past")
    keys = g.node("Range", [g.const(0, i64), total, g.const(1, i64)], f"{n}/Range_keys")
    queries = g.node("Range", [past, total, g.const(1, i64)], f"{n}/Range_queries")
    causal = g.node("LessOrEqual", [g.node("Unsqueeze", [keys, g.const([0], i64)], f"{n}/Unsqueeze_keys"),
                                    g.node("Unsqueeze", [queries, g.const([1], i64)], f"{n}/Unsqueeze_queries")],
                    f"{n}/LessOrEqual")
    padding = g.node("Cast", ["attention_mask"], f"{n}/Cast_padding", to=TensorProto.BOOL)
    padding = g.node("Unsqueeze", [padding, g.const([1, 2], i64)], f"{n}/Unsqueeze_padding")
    return g.node("And", [causal, padding], f"{n}/And")


def _attention(g, x, layer, i, cfg, cos, sin, keep):
    n = f"/model/layers.{i}/attn"
    d, heads, kv = cfg.head_dim, cfg.heads, cfg.kv_heads
    q = _heads(g, _linear(g, x, layer.wq, f"{n}/q_proj"), heads, d, f"{n}/q")
    k = _heads(g, _linear(g, x, layer.wk, f"{n}/k_proj"), kv, d, f"{n}/k")
    v = _heads(g, _linear(g, x, layer.wv, f"{n}/v_proj"), kv, d, f"{n}/v")
    q = _rope(g, q, cos, sin, d // 2, f"{n}/q_rotary")
    k = _rope(g, k, cos, sin, d // 2, f"{n}/k_rotary")
    present_k, present_v = f"present.{i}.key", f"present.{i}.value"
    g.node("Concat", [f"past_key_values.{i}.key", k], f"{n}/Concat_key", outputs=[present_k], axis=2)
    g.node("Concat", [f"past_key_values.{i}.value", v], f"{n}/Concat_value", outputs=[present_v], axis=2)
    groups = heads // kv
    k_all = _repeat_kv(g, present_k, groups, heads, d, f"{n}/repeat_key")
    v_all = _repeat_kv(g, present_v, groups, heads, d, f"{n}/repeat_value")
    kt = g.node("Transpose", [k_all], f"{n}/Transpose_key", perm=[0, 1, 3, 2])
    scores = g.node("MatMul", [q, kt], f"{n}/MatMul_scores")
    scores = g.node("Mul", [scores, g.const(1.0 / np.sqrt(d), np.float32)], f"{n}/Mul_scale")
    scores = g.node("Where", [keep, scores, g.const(np.finfo(np.float32).min, np.float32)], f"{n}/Where_mask")
    probs = g.node("Softmax", [scores], f"{n}/Softmax", axis=-1)
    ctx = g.node("MatMul", [probs, v_all], f"{n}/MatMul_context")
    ctx = g.node("Transpose", [ctx], f"{n}/Transpose_context", perm=[0, 2, 1, 3])
    ctx = g.node("Reshape", [ctx, g.const([0, 0, cfg.hidden], np.int64)], f"{n}/Reshape_context")
    return _linear(g, ctx, layer.wo, f"{n}/o_proj")


def _mlp(g, x, layer, i):
    n = f"/model/layers.{i}/mlp"
    gate = _linear(g, x, layer.w_gate, f"{n}/gate_proj")
    act = g.node("Mul", [gate, g.node("Sigmoid", [gate], f"{n}/Sigmoid")], f"{n}/Mul_silu")
    up = _linear(g, x, layer.w_up, f"{n}/up_proj")
    return _linear(g, g.node("Mul", [act, up], f"{n}/Mul_up"), layer.w_down, f"{n}/down_proj")


def build_decoder(weights: LlamaWeights, weight_dtype=np.float32, name="decoder"):
    """The ONNX ModelProto of the decoder (weights inside, not yet external)."""
    from onnx import TensorProto, helper
    cfg = weights.config
    g = _GraphBuilder(np.dtype(weight_dtype).type)
    cos, sin = _position_tables(g, cfg)
    keep = _attention_keep_mask(g)
    x = g.node("Gather", [g.weight(weights.embed, "model.embed_tokens.weight"), "input_ids"],
               "/model/embed_tokens/Gather", axis=0)
    for i, layer in enumerate(weights.layers):
        n = f"/model/layers.{i}"
        h = _rms_norm(g, x, layer.attn_norm, cfg.rms_eps, f"{n}/input_layernorm")
        x = g.node("Add", [x, _attention(g, h, layer, i, cfg, cos, sin, keep)], f"{n}/Add_attn")
        h = _rms_norm(g, x, layer.ffn_norm, cfg.rms_eps, f"{n}/post_attention_layernorm")
        x = g.node("Add", [x, _mlp(g, h, layer, i)], f"{n}/Add_mlp")
    x = _rms_norm(g, x, weights.final_norm, cfg.rms_eps, "/model/norm")
    if weights.lm_head is None:  # tied: reuse the embedding table
        head = g.node("Transpose", ["model.embed_tokens.weight"], "/lm_head/Transpose", perm=[1, 0])
        if g.weight_dtype != np.float32:
            head = g.node("Cast", [head], "/lm_head/Cast", to=TensorProto.FLOAT)
    else:
        head = g.weight(weights.lm_head.T, "lm_head.weight")
    g.node("MatMul", [x, head], "/lm_head/MatMul", outputs=["logits"])

    f32, i64 = TensorProto.FLOAT, TensorProto.INT64
    kv_shape = ["batch_size", cfg.kv_heads, "past_sequence_length", cfg.head_dim]
    present_shape = ["batch_size", cfg.kv_heads, "total_sequence_length", cfg.head_dim]
    inputs = [helper.make_tensor_value_info("input_ids", i64, ["batch_size", "sequence_length"]),
              helper.make_tensor_value_info("attention_mask", i64, ["batch_size", "total_sequence_length"]),
              helper.make_tensor_value_info("position_ids", i64, ["batch_size", "sequence_length"])]
    outputs = [helper.make_tensor_value_info("logits", f32, ["batch_size", "sequence_length", cfg.vocab])]
    for i in range(cfg.layers):
        for kind in ("key", "value"):
            inputs.append(helper.make_tensor_value_info(f"past_key_values.{i}.{kind}", f32, kv_shape))
            outputs.append(helper.make_tensor_value_info(f"present.{i}.{kind}", f32, present_shape))
    graph = helper.make_graph(g.nodes, name, inputs, outputs, initializer=g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="quantc.llm.export_onnx")
    model.ir_version = 8
    meta = {"model_type": "llama", "num_hidden_layers": cfg.layers, "hidden_size": cfg.hidden,
            "num_attention_heads": cfg.heads, "num_key_value_heads": cfg.kv_heads,
            "head_dim": cfg.head_dim, "intermediate_size": cfg.ffn, "vocab_size": cfg.vocab,
            "max_position_embeddings": cfg.context, "rms_norm_eps": cfg.rms_eps,
            "rope_theta": cfg.rope_base, "bos_token_id": cfg.bos_token_id,
            "eos_token_id": cfg.eos_token_id}
    for key, value in meta.items():
        if value is not None:
            model.metadata_props.add(key=key, value=str(value))
    return model


def export_decoder(weights: LlamaWeights, path: str | Path, weight_dtype=np.float32) -> Path:
    """Writes the decoder to `path` with its weights in `path`.data."""
    import onnx
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = build_decoder(weights, weight_dtype, name=path.stem)
    data = path.name + ".data"
    tmp = path.with_name(path.name + ".tmp")
    (path.parent / data).unlink(missing_ok=True)
    onnx.save_model(model, str(tmp), save_as_external_data=True,
                    all_tensors_to_one_file=True, location=data, size_threshold=1024)
    tmp.replace(path)  # no partial model under the final name
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m quantc.llm.export_onnx",
        description="Export a llama GGUF as an ONNX decoder with KV cache.")
    parser.add_argument("gguf", help="input .gguf file")
    parser.add_argument("-o", "--output", required=True, help="output .onnx file")
    parser.add_argument("--weights", choices=["f32", "f16"], default="f32",
                        help="storage type of the weights (computation is f32)")
    args = parser.parse_args(argv)
    try:
        weights = load_llama_gguf(args.gguf)
    except (GGUFError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    dtype = np.float32 if args.weights == "f32" else np.float16
    path = export_decoder(weights, args.output, dtype)
    # The tokenizer beside it, for quant-run --prompt and other tools.
    tokenizer_path = path.with_suffix(".tokenizer.json")
    load_tokenizer(args.gguf).save(str(tokenizer_path))
    print(f"wrote {args.output} ({weights.parameter_count()} parameters, {args.weights}) "
          f"and {tokenizer_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
