"""Calibration samples for a decoder compiled as a generator
(`quantc --generator --step-tokens T --calib DIR --gptq`): each sample is one
call of the decoder-with-past as the generator library was imported, T new
tokens after a past of one position that the attention mask hides, so the
tokens see only each other, as a window of text from an empty cache."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .decoding import decoder_feeds


def token_windows(ids: Sequence[int], size: int, count: int, offset: int = 0) -> list[list[int]]:
    """`count` consecutive windows of `size` tokens from `offset` on."""
    ids = list(ids)[offset:]
    return [ids[i * size:(i + 1) * size] for i in range(min(count, len(ids) // size))]


def write_calibration_set(directory: str | Path, windows: Iterable[Sequence[int]], layers: int,
                          kv_heads: int, head_dim: int) -> list[Path]:
    """One .npz per window (all of one length, the library's step), named in
    order; returns the paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, window in enumerate(windows):
        ids = np.asarray([window], np.int64)
        past = [(np.zeros((1, kv_heads, 1, head_dim), np.float32),) * 2] * layers
        mask = np.concatenate([[[0]], np.ones_like(ids)], axis=1)
        path = directory / f"sample-{i:04d}.npz"
        np.savez(path, **decoder_feeds(layers, kv_heads, head_dim, ids, past, mask))
        paths.append(path)
    if not paths:
        raise ValueError("no calibration windows: the text is shorter than one window")
    return paths
