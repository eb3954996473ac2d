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


def main(argv=None) -> int:
    import argparse
    import sys

    from .gguf_model import GGUFError, load_llama_gguf, load_tokenizer
    parser = argparse.ArgumentParser(
        prog="python -m quantc.llm.generate",
        description="Generate text with a quantc generator library.")
    parser.add_argument("library", help="model.so from quantc --generator")
    parser.add_argument("--gguf", required=True, help="the GGUF the model came from (tokenizer)")
    parser.add_argument("--prompt", required=True)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--max-context", type=int, default=0,
                        help="tokens the cache may hold (default: the model's context)")
    parser.add_argument("--temperature", type=float, default=0.0)
    parser.add_argument("--top-k", type=int, default=0)
    parser.add_argument("--top-p", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        config = load_llama_gguf(args.gguf).config
        tokenizer = load_tokenizer(args.gguf)
        lm = LanguageModel(args.library, tokenizer, args.max_context or config.context,
                           args.threads, config.eos_token_id)
        sys.stdout.write(args.prompt)
        lm.generate(args.prompt, args.max_new_tokens, args.temperature, args.top_k, args.top_p,
                    args.seed, on_token=lambda text: (sys.stdout.write(text), sys.stdout.flush()))
    except (GGUFError, OSError, RuntimeError, ValueError) as e:
        print(f"\nerror: {e}", file=sys.stderr)
        return 1
    s = lm.last_stats
    print(f"\n[{s['prompt_tokens']} prompt tokens at {s['prefill_tokens_per_s']:.1f} tokens/s, "
          f"{s['new_tokens']} new tokens at {s['decode_tokens_per_s']:.1f} tokens/s]",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
