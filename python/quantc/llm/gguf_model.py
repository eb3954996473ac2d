"""Reads a llama-architecture GGUF file into float weights and a tokenizer.

The GGUF's quantized tensors (Q4_1, Q8_0, ...) are dequantized with the
`gguf` package; those values are the model's float weights. llama.cpp stores
the Q and K projection rows permuted for its adjacent-pair rotary embedding;
`LlamaWeights` holds them in the Hugging Face order (rotate halves), which is
what the ONNX exporter and the numpy reference use.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np


class GGUFError(ValueError):
    """The file is not a GGUF llama decoder this exporter understands."""


@dataclasses.dataclass(frozen=True)
class LlamaConfig:
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    ffn: int
    vocab: int
    context: int
    rms_eps: float
    rope_base: float
    bos_token_id: int | None = None
    eos_token_id: int | None = None

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads


@dataclasses.dataclass
class LlamaLayer:
    attn_norm: np.ndarray   # [hidden]
    wq: np.ndarray          # [heads*head_dim, hidden] (out, in)
    wk: np.ndarray          # [kv_heads*head_dim, hidden]
    wv: np.ndarray          # [kv_heads*head_dim, hidden]
    wo: np.ndarray          # [hidden, heads*head_dim]
    ffn_norm: np.ndarray    # [hidden]
    w_gate: np.ndarray      # [ffn, hidden]
    w_up: np.ndarray        # [ffn, hidden]
    w_down: np.ndarray      # [hidden, ffn]


@dataclasses.dataclass
class LlamaWeights:
    config: LlamaConfig
    embed: np.ndarray       # [vocab, hidden]
    layers: list[LlamaLayer]
    final_norm: np.ndarray  # [hidden]
    lm_head: np.ndarray | None = None  # [vocab, hidden]; None when tied

    @property
    def output_weight(self) -> np.ndarray:
        return self.embed if self.lm_head is None else self.lm_head

    def parameter_count(self) -> int:
        arrays = [self.embed, self.final_norm]
        if self.lm_head is not None:
            arrays.append(self.lm_head)
        for layer in self.layers:
            arrays += list(dataclasses.astuple(layer))
        return sum(a.size for a in arrays)


def unpermute_rope_rows(w: np.ndarray, heads: int) -> np.ndarray:
    """Undoes llama.cpp's Q/K row permutation: within each head it stores
    the rows interleaved (pairs rotate together); Hugging Face keeps the
    first and second halves apart."""
    out, inp = w.shape
    d = out // heads
    return w.reshape(heads, d // 2, 2, inp).swapaxes(1, 2).reshape(out, inp)


def _field(reader, key: str, required: bool = True):
    field = reader.fields.get(key)
    if field is None:
        if required:
            raise GGUFError(f"GGUF metadata '{key}' is missing")
        return None
    return field.contents()


def _tensor(reader, tensors, name: str) -> np.ndarray:
    import gguf
    t = tensors.get(name)
    if t is None:
        raise GGUFError(f"GGUF tensor '{name}' is missing")
    shape = tuple(int(s) for s in reversed(t.shape))  # GGUF lists ne0 first
    try:
        values = gguf.quants.dequantize(t.data, t.tensor_type)
    except NotImplementedError as e:
        raise GGUFError(f"GGUF tensor '{name}': type {t.tensor_type.name} "
                        f"cannot be dequantized ({e})") from None
    return np.ascontiguousarray(values.reshape(shape), dtype=np.float32)


def load_llama_gguf(path: str | Path) -> LlamaWeights:
    """Loads a llama-architecture GGUF as float32 weights."""
    import gguf
    path = Path(path)
    try:
        reader = gguf.GGUFReader(str(path))
    except Exception as e:  # the reader raises bare errors on bad files
        raise GGUFError(f"{path}: not a readable GGUF file ({e})") from None
    arch = _field(reader, "general.architecture")
    if arch != "llama":
        raise GGUFError(f"{path}: architecture '{arch}' is not a llama decoder")
    p = "llama."
    tensors = {t.name: t for t in reader.tensors}
    config = LlamaConfig(
        layers=int(_field(reader, p + "block_count")),
        hidden=int(_field(reader, p + "embedding_length")),
        heads=int(_field(reader, p + "attention.head_count")),
        kv_heads=int(_field(reader, p + "attention.head_count_kv", False)
                     or _field(reader, p + "attention.head_count")),
        ffn=int(_field(reader, p + "feed_forward_length")),
        vocab=int(_field(reader, p + "vocab_size", False)
                  or len(reader.fields["tokenizer.ggml.tokens"].data)),
        context=int(_field(reader, p + "context_length")),
        rms_eps=float(_field(reader, p + "attention.layer_norm_rms_epsilon")),
        rope_base=float(_field(reader, p + "rope.freq_base", False) or 10000.0),
        bos_token_id=_field(reader, "tokenizer.ggml.bos_token_id", False),
        eos_token_id=_field(reader, "tokenizer.ggml.eos_token_id", False),
    )
    get = lambda name: _tensor(reader, tensors, name)
    layers = []
    for i in range(config.layers):
        b = f"blk.{i}."
        layers.append(LlamaLayer(
            attn_norm=get(b + "attn_norm.weight"),
            wq=unpermute_rope_rows(get(b + "attn_q.weight"), config.heads),
            wk=unpermute_rope_rows(get(b + "attn_k.weight"), config.kv_heads),
            wv=get(b + "attn_v.weight"),
            wo=get(b + "attn_output.weight"),
            ffn_norm=get(b + "ffn_norm.weight"),
            w_gate=get(b + "ffn_gate.weight"),
            w_up=get(b + "ffn_up.weight"),
            w_down=get(b + "ffn_down.weight"),
        ))
    weights = LlamaWeights(
        config=config, embed=get("token_embd.weight"), layers=layers,
        final_norm=get("output_norm.weight"),
        lm_head=get("output.weight") if "output.weight" in tensors else None)
    _check_shapes(weights, path)
    return weights


def _check_shapes(w: LlamaWeights, path: Path) -> None:
    c = w.config
    if c.hidden % c.heads or c.heads % c.kv_heads:
        raise GGUFError(f"{path}: {c.heads} heads / {c.kv_heads} KV heads do "
                        f"not divide hidden size {c.hidden}")
    kv = c.kv_heads * c.head_dim
    expected = {"wq": (c.hidden, c.hidden), "wk": (kv, c.hidden),
                "wv": (kv, c.hidden), "wo": (c.hidden, c.hidden),
                "w_gate": (c.ffn, c.hidden), "w_up": (c.ffn, c.hidden),
                "w_down": (c.hidden, c.ffn)}
    for i, layer in enumerate(w.layers):
        for name, shape in expected.items():
            if getattr(layer, name).shape != shape:
                raise GGUFError(f"{path}: layer {i} {name} has shape "
                                f"{getattr(layer, name).shape}, expected {shape}")
    if w.embed.shape != (c.vocab, c.hidden):
        raise GGUFError(f"{path}: embedding has shape {w.embed.shape}")


def load_tokenizer(path: str | Path):
    """Builds the GGUF's byte-level BPE tokenizer with the `tokenizers`
    package (vocabulary and merges come from the file)."""
    import gguf
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    reader = gguf.GGUFReader(str(path))
    kind = _field(reader, "tokenizer.ggml.model")
    if kind != "gpt2":
        raise GGUFError(f"{path}: tokenizer '{kind}' is not byte-level BPE")
    tokens = _field(reader, "tokenizer.ggml.tokens")
    merges = [tuple(m.split(" ", 1)) for m in _field(reader, "tokenizer.ggml.merges")]
    types = _field(reader, "tokenizer.ggml.token_type", False) or []
    vocab = {tok: i for i, tok in enumerate(tokens)}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    tok.decoder = decoders.ByteLevel()
    # Control tokens (type 3) such as <|im_start|> are matched whole.
    special = [t for t, ty in zip(tokens, types) if ty == 3]
    tok.add_special_tokens(special)
    return tok
