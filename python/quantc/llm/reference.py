"""A plain numpy forward pass of a llama decoder with a KV cache: the float
baseline that the exported ONNX model, ONNX Runtime and quantc are checked
against. Written for clarity, not speed; it computes in float32 (float64 for
the RMS statistics only where numpy promotes)."""
from __future__ import annotations

import numpy as np

from .gguf_model import LlamaWeights


def rope_tables(positions: np.ndarray, head_dim: int, base: float):
    """cos/sin [..., head_dim] for the rotate-halves ("NeoX") form."""
    inv_freq = 1.0 / (base ** (np.arange(0, head_dim, 2, dtype=np.float32) / head_dim))
    freqs = positions.astype(np.float32)[..., None] * inv_freq.astype(np.float32)
    emb = np.concatenate([freqs, freqs], axis=-1)
    return np.cos(emb).astype(np.float32), np.sin(emb).astype(np.float32)


def rms_norm(x: np.ndarray, w: np.ndarray, eps: float) -> np.ndarray:
    var = np.mean(x * x, axis=-1, keepdims=True)
    return (x / np.sqrt(var + np.float32(eps)) * w).astype(np.float32)


def rotate_half(x: np.ndarray) -> np.ndarray:
    h = x.shape[-1] // 2
    return np.concatenate([-x[..., h:], x[..., :h]], axis=-1)


def forward(w: LlamaWeights, input_ids: np.ndarray, past=None,
            attention_mask: np.ndarray | None = None,
            position_ids: np.ndarray | None = None, linear=None):
    """One decoder call. input_ids [B, T]; past: list of (key, value) per
    layer, each [B, kv_heads, P, head_dim] (None for P = 0). Returns logits
    [B, T, vocab] and the present cache (P + T entries). `linear(x, w)`
    computes each linear layer (default x @ w.T), for variants that round
    its input."""
    c = w.config
    if linear is None:
        def linear(x, weight):
            return x @ weight.T
    b, t = input_ids.shape
    p = 0 if past is None else past[0][0].shape[2]
    if attention_mask is None:
        attention_mask = np.ones((b, p + t), np.int64)
    if position_ids is None:
        position_ids = np.broadcast_to(np.arange(p, p + t), (b, t))
    d, g = c.head_dim, c.heads // c.kv_heads
    cos, sin = rope_tables(position_ids, d, c.rope_base)  # [B, T, D]
    cos, sin = cos[:, None], sin[:, None]
    causal = np.arange(p + t)[None, :] <= (p + np.arange(t))[:, None]  # [T, S]
    keep = causal[None, None] & (attention_mask[:, None, None, :] != 0)
    x = w.embed[input_ids]
    present = []
    for i, layer in enumerate(w.layers):
        h = rms_norm(x, layer.attn_norm, c.rms_eps)
        q = linear(h, layer.wq).reshape(b, t, c.heads, d).transpose(0, 2, 1, 3)
        k = linear(h, layer.wk).reshape(b, t, c.kv_heads, d).transpose(0, 2, 1, 3)
        v = linear(h, layer.wv).reshape(b, t, c.kv_heads, d).transpose(0, 2, 1, 3)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past is not None:
            k = np.concatenate([past[i][0], k], axis=2)
            v = np.concatenate([past[i][1], v], axis=2)
        present.append((k, v))
        kr, vr = np.repeat(k, g, axis=1), np.repeat(v, g, axis=1)
        scores = q @ kr.transpose(0, 1, 3, 2) / np.float32(np.sqrt(d))
        scores = np.where(keep, scores, np.float32(np.finfo(np.float32).min))
        scores = scores - scores.max(-1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(-1, keepdims=True)
        attn = (probs @ vr).transpose(0, 2, 1, 3).reshape(b, t, c.hidden)
        x = x + linear(attn, layer.wo)
        h = rms_norm(x, layer.ffn_norm, c.rms_eps)
        gate = linear(h, layer.w_gate)
        x = x + linear((gate / (1 + np.exp(-gate))) * linear(h, layer.w_up), layer.w_down)
    x = rms_norm(x, w.final_norm, c.rms_eps)
    return linear(x, w.output_weight).astype(np.float32), present


def greedy(w: LlamaWeights, prompt_ids, new_tokens: int) -> list[int]:
    """Greedy generation with the cache: prefill, then one token per call."""
    logits, past = forward(w, np.asarray([prompt_ids], np.int64))
    out = []
    for _ in range(new_tokens):
        nxt = int(np.argmax(logits[0, -1]))
        out.append(nxt)
        logits, past = forward(w, np.asarray([[nxt]], np.int64), past)
    return out
