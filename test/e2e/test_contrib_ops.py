"""ONNX Runtime's language-model contrib ops (as its GenAI model builder
emits them) through quantc's importer and reference evaluator against ONNX
Runtime itself, and compiled."""
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import BIN, assert_parity
from test_compiled import check_float_library

RNG = np.random.default_rng(7)
F = TensorProto.FLOAT


def contrib_model(node, inputs, outputs, inits=()):
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape)
         for k, v in inputs.items()],
        [helper.make_tensor_value_info(o, F, None) for o in outputs],
        [numpy_helper.from_array(v, k) for k, v in inits])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    return model


def rope_cache(positions, rotary):
    freqs = np.arange(positions)[:, None] / (10000 ** (np.arange(0, rotary, 2) / rotary))[None]
    return np.cos(freqs).astype(np.float32), np.sin(freqs).astype(np.float32)


def rotary_case(shape, positions, heads=0, interleaved=0, rotary=None):
    head = shape[-1] if len(shape) == 4 else shape[-1] // heads
    if rotary and not heads:
        heads = shape[1]  # ONNX Runtime wants num_heads with a rotary dimension
    rotary = rotary or head
    cos, sin = rope_cache(32, rotary)
    attrs = {"interleaved": interleaved}
    if heads:
        attrs["num_heads"] = heads
    if rotary != head:
        attrs["rotary_embedding_dim"] = rotary
    node = helper.make_node("RotaryEmbedding", ["x", "pos", "cos", "sin"], ["Y"],
                            domain="com.microsoft", **attrs)
    inputs = {"x": RNG.standard_normal(shape).astype(np.float32), "pos": positions}
    return contrib_model(node, inputs, ["Y"], [("cos", cos), ("sin", sin)]), inputs


def norm_case(node, names, outputs, weights):
    inputs = {k: RNG.standard_normal((2, 3, 16)).astype(np.float32) for k in names}
    inits = [(k, RNG.standard_normal(16).astype(np.float32)) for k in weights]
    return contrib_model(node, inputs, outputs, inits), inputs


CASES = {
    "SimplifiedLayerNormalization": norm_case(
        helper.make_node("SimplifiedLayerNormalization", ["x", "w"], ["Y"], epsilon=1e-6, axis=-1),
        ["x"], ["Y"], ["w"]),
    "SkipSimplifiedLayerNormalization": norm_case(
        helper.make_node("SkipSimplifiedLayerNormalization", ["x", "skip", "w", "b"],
                         ["Y", "", "", "S"], domain="com.microsoft", epsilon=1e-5),
        ["x", "skip"], ["Y", "S"], ["w", "b"]),
    "RotaryEmbedding3D": rotary_case((2, 3, 32), np.array([[0, 1, 2], [5, 6, 7]], np.int64), heads=4),
    "RotaryEmbedding3DInterleaved": rotary_case((1, 4, 32), np.array([[3, 4, 5, 6]], np.int64),
                                                heads=2, interleaved=1),
    "RotaryEmbedding4D": rotary_case((1, 2, 3, 8), np.array([[9, 10, 11]], np.int64)),
    "RotaryEmbeddingOffset": rotary_case((1, 3, 16), np.array([4], np.int64), heads=2),
    "RotaryEmbeddingPartial": rotary_case((1, 2, 3, 16), np.array([[1, 2, 3]], np.int64), rotary=8),
}


def check_parity(model, inputs, tmp_path):
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    assert_parity(path, inputs, tmp_path, tol=1e-5)


@pytest.mark.parametrize("case", sorted(CASES))
def test_contrib_op_matches_onnxruntime(case, tmp_path):
    check_parity(*CASES[case], tmp_path)


@pytest.mark.parametrize("case", sorted(CASES))
def test_contrib_op_compiles(case, tmp_path):
    check_float_library(*CASES[case], tmp_path)


def test_rotary_embedding_rejects_unknown_layouts(tmp_path):
    model, inputs = rotary_case((1, 3, 16), np.array([[0, 1, 2]], np.int64), heads=2)
    model.graph.node[0].attribute.append(helper.make_attribute("is_packed_batching", 1))
    onnx.save(model, tmp_path / "m.onnx")
    proc = subprocess.run([str(BIN / "quant-opt"), str(tmp_path / "m.onnx")],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "(RotaryEmbedding): packed batching is not supported" in proc.stderr


def gqa_case(past, seq=3, heads=4, kv_heads=2, head=8, rotary=False, packed=False, batch=1):
    """GroupQueryAttention over a past cache of `past` entries that every
    sequence fills (seqlens_k = past + seq - 1)."""
    q = RNG.standard_normal((batch, seq, heads * head)).astype(np.float32)
    k = RNG.standard_normal((batch, seq, kv_heads * head)).astype(np.float32)
    v = RNG.standard_normal((batch, seq, kv_heads * head)).astype(np.float32)
    inputs = {"q": np.concatenate([q, k, v], axis=2) if packed else q}
    if not packed:
        inputs.update(k=k, v=v)
    inputs.update(
        pk=RNG.standard_normal((batch, kv_heads, past, head)).astype(np.float32),
        pv=RNG.standard_normal((batch, kv_heads, past, head)).astype(np.float32),
        seqlens=np.full(batch, past + seq - 1, np.int32),
        total=np.array(past + seq, np.int32))
    names = ["q", "" if packed else "k", "" if packed else "v", "pk", "pv", "seqlens", "total"]
    inits = []
    attrs = {"num_heads": heads, "kv_num_heads": kv_heads}
    if rotary:
        cos, sin = rope_cache(64, head)
        names += ["cos", "sin"]
        inits = [("cos", cos), ("sin", sin)]
        attrs["do_rotary"] = 1
    node = helper.make_node("GroupQueryAttention", names, ["Y", "PK", "PV"],
                            domain="com.microsoft", **attrs)
    return contrib_model(node, inputs, ["Y", "PK", "PV"], inits), inputs


GQA_CASES = {
    "decode": gqa_case(past=5, seq=1),
    "first-prompt": gqa_case(past=0, seq=4),
    "prompt-after-past": gqa_case(past=2, seq=3),
    "rotary": gqa_case(past=4, seq=2, head=16, rotary=True),
    "packed-batch": gqa_case(past=3, seq=1, packed=True, batch=2),
}


@pytest.mark.parametrize("case", sorted(GQA_CASES))
def test_group_query_attention_matches_onnxruntime(case, tmp_path):
    check_parity(*GQA_CASES[case], tmp_path)


def mha_case(seq, past=0, batch=2, heads=2, head=8, causal=0, bias=False, padding=False):
    hidden = heads * head
    inputs = {n: RNG.standard_normal((batch, seq, hidden)).astype(np.float32) for n in "qkv"}
    names = ["q", "k", "v", "", "", "", "", ""]
    inits = []
    if bias:
        names[3] = "b"
        inits.append(("b", RNG.standard_normal(3 * hidden).astype(np.float32)))
    if padding:
        names[4] = "mask"
        mask = np.ones((batch, past + seq), np.int32)
        mask[0, :2] = 0
        inputs["mask"] = mask
    if past:
        names[6:8] = ["pk", "pv"]
        for n in ("pk", "pv"):
            inputs[n] = RNG.standard_normal((batch, heads, past, head)).astype(np.float32)
    while names[-1] == "":
        names.pop()
    node = helper.make_node("MultiHeadAttention", names, ["Y", "PK", "PV"] if past else ["Y"],
                            domain="com.microsoft", num_heads=heads, unidirectional=causal)
    return contrib_model(node, inputs, ["Y", "PK", "PV"] if past else ["Y"], inits), inputs


MHA_CASES = {
    "self": mha_case(seq=4),
    "causal-bias": mha_case(seq=5, causal=1, bias=True),
    "decode-past": mha_case(seq=1, past=3, batch=1, causal=1),
    "padding": mha_case(seq=4, padding=True),
}


@pytest.mark.parametrize("case", sorted(MHA_CASES))
def test_multi_head_attention_matches_onnxruntime(case, tmp_path):
    check_parity(*MHA_CASES[case], tmp_path)


# Head sizes that are not a multiple of 16 (the kernel's masked last vector)
# and one that is.
COMPILED_ATTENTION = {"mha-head-8": mha_case(seq=4), "mha-head-24": mha_case(seq=5, head=24),
                      "mha-head-40-causal": mha_case(seq=6, head=40, causal=1),
                      "mha-head-32": mha_case(seq=3, head=32, bias=True),
                      "gqa-head-8": GQA_CASES["prompt-after-past"],
                      "gqa-head-16-rotary": GQA_CASES["rotary"]}


@pytest.mark.parametrize("case", sorted(COMPILED_ATTENTION))
def test_attention_compiles(case, tmp_path):
    """The attention kernel (vectorized scores, softmax and weighted sums)
    within 1e-5 of the evaluator."""
    check_float_library(*COMPILED_ATTENTION[case], tmp_path)
