"""Driving a decoder-with-past ONNX model (as written by export_onnx, or by
Optimum / ONNX Runtime GenAI) from any engine that maps a dict of input
arrays to a dict of output arrays: ONNX Runtime, quantc's reference
evaluator, a compiled quantc library."""
from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

Engine = Callable[[Mapping[str, np.ndarray]], Mapping[str, np.ndarray]]


def decoder_feeds(layers: int, kv_heads: int, head_dim: int, input_ids: np.ndarray,
                  past=None, attention_mask: np.ndarray | None = None,
                  dtype=np.float32) -> dict:
    """The inputs of one call: past is a list of (key, value) per layer or
    None (an empty cache); positions follow the attention mask."""
    b, t = input_ids.shape
    p = 0 if past is None else past[0][0].shape[2]
    if attention_mask is None:
        attention_mask = np.ones((b, p + t), np.int64)
    # Positions count the visible tokens (left padding gets position 0).
    positions = np.maximum(np.cumsum(attention_mask, axis=1) - 1, 0)[:, p:]
    feeds = {"input_ids": input_ids.astype(np.int64),
             "attention_mask": attention_mask.astype(np.int64),
             "position_ids": positions.astype(np.int64)}
    empty = np.zeros((b, kv_heads, 0, head_dim), dtype)
    for i in range(layers):
        feeds[f"past_key_values.{i}.key"] = empty if past is None else past[i][0]
        feeds[f"past_key_values.{i}.value"] = empty if past is None else past[i][1]
    return feeds


def present_cache(outputs: Mapping[str, np.ndarray], layers: int):
    return [(outputs[f"present.{i}.key"], outputs[f"present.{i}.value"])
            for i in range(layers)]


def greedy_generate(engine: Engine, layers: int, kv_heads: int, head_dim: int,
                    prompt_ids, new_tokens: int, eos_token_id: int | None = None):
    """Greedy decoding with the cache: one prefill call, then one call per
    token. Returns the new token ids and the logits of every call."""
    ids = np.asarray([prompt_ids], np.int64)
    out = engine(decoder_feeds(layers, kv_heads, head_dim, ids))
    tokens, logits = [], [out["logits"]]
    for _ in range(new_tokens):
        nxt = int(np.argmax(out["logits"][0, -1]))
        tokens.append(nxt)
        if nxt == eos_token_id or len(tokens) == new_tokens:
            break
        out = engine(decoder_feeds(layers, kv_heads, head_dim, np.asarray([[nxt]]),
                                   present_cache(out, layers)))
        logits.append(out["logits"])
    return tokens, logits
