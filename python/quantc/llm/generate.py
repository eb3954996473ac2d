"""Text generation with a quantc generator library and a tokenizer."""
from __future__ import annotations

import time
from typing import Callable, Iterator

import numpy as np

from ..runtime import Generator, Model, sample_token


class LanguageModel:
    """A compiled decoder (`quantc --generator`) with its tokenizer (a
    `tokenizers.Tokenizer`, e.g. quantc.llm.gguf_model.load_tokenizer):

        lm = LanguageModel("smollm2.so", tokenizer, max_context=8192)
        print(lm.generate("The capital of France is", max_new_tokens=16))
    """

    def __init__(self, library, tokenizer, max_context: int, threads: int = 1,
                 eos_token_id: int | None = None):
        self.model = Model(library, threads=threads)
        self.tokenizer = tokenizer
        self.generator = Generator(self.model, max_context)
        self.eos_token_id = eos_token_id
        self.last_stats: dict = {}

    def stream(self, prompt: str, max_new_tokens: int, temperature: float = 0.0,
               top_k: int = 0, top_p: float = 1.0, seed: int | None = None) -> Iterator[int]:
        """Yields new token ids one at a time (the cache starts empty)."""
        rng = np.random.default_rng(seed)
        ids = self.tokenizer.encode(prompt).ids
        g = self.generator
        g.reset()
        start = time.perf_counter()
        logits = g.prefill(ids)
        prefilled = time.perf_counter()
        count = 0
        for _ in range(max_new_tokens):
            token = sample_token(logits, rng, temperature, top_k, top_p)
            count += 1
            yield token
            if token == self.eos_token_id or count == max_new_tokens:
                break
            logits = g.step(token)
        end = time.perf_counter()
        self.last_stats = {"prompt_tokens": len(ids), "new_tokens": count,
                           "prefill_s": prefilled - start, "decode_s": end - prefilled,
                           "prefill_tokens_per_s": len(ids) / max(prefilled - start, 1e-9),
                           "decode_tokens_per_s": max(count - 1, 0) / max(end - prefilled, 1e-9)}

    def generate(self, prompt: str, max_new_tokens: int = 32, temperature: float = 0.0,
                 top_k: int = 0, top_p: float = 1.0, seed: int | None = None,
                 on_token: Callable[[str], None] | None = None) -> str:
        """The completion of `prompt` as text (greedy at temperature 0)."""
        tokens = []
        for token in self.stream(prompt, max_new_tokens, temperature, top_k, top_p, seed):
            tokens.append(token)
            if on_token:
                on_token(self.tokenizer.decode([token]))
        return self.tokenizer.decode(tokens)
