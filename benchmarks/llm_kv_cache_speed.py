"""Decode speed of SmolLM2-135M-Instruct's generator with each KV cache
format, at short and long contexts: the cache's storage and read-back
cost against the f32 cache, in one run.

Weights int4 in groups of 64 on int8 inputs (the fastest decode format), so
that the cache is a visible part of each step. Decode: tokens/s of
single-token steps after a prompt of C tokens (C = 16, 512, 1536), batch 1,
the median of three runs of 32 steps one after another (the context grows
by 96 over them). Cache bytes per token: the stored rows of one
position (keys and values of every layer and KV head, scales included).
Keys per channel need the calibration windows of llm_quantization.py
(built there, or here if missing).

    python benchmarks/llm_kv_cache_speed.py [--threads 1 2]
"""
import os

# numpy's BLAS threads would spin beside the generator's own.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

from llm_common import generator_library, model  # noqa: E402
from llm_quantization import CALIBRATION, calibration_set  # noqa: E402
from timing import ROOT, cpu_model  # noqa: E402
from quantc.runtime import Generator, Model  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
CONTEXTS = [16, 512, 1536]
DECODE_TOKENS = 32
WEIGHTS = ["--weight", "i4", "--granularity", "per_group", "--group-size", "64",
           "--dynamic-int8"]
CACHES = {
    "f32": ["--kv-cache", "f32"],
    "i8": ["--kv-cache", "i8"],
    "i8, keys per channel": ["--kv-cache", "i8", "--kv-keys", "per-channel",
                             "--calib", str(CALIBRATION)],
    "i4": ["--kv-cache", "i4"],
    "i4, keys per channel": ["--kv-cache", "i4", "--kv-keys", "per-channel",
                             "--calib", str(CALIBRATION)],
}


def row_bytes(cache, dim):
    """Bytes of one stored key or value row (qc_kv_cache_format)."""
    if cache.startswith("i8"):
        return 4 + dim
    if cache.startswith("i4"):
        return 4 * (dim // 32 if dim % 32 == 0 else 1) + (dim + 1) // 2
    return 4 * dim


def time_decode(library, threads, context):
    prompt = [(7 * i + 11) % 40000 + 100 for i in range(context)]
    g = Generator(Model(library, threads=threads), context + 3 * DECODE_TOKENS + 1)
    g.prefill(prompt)
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        for i in range(DECODE_TOKENS):
            g.step(prompt[i % context])
        runs.append(time.perf_counter() - start)
    return DECODE_TOKENS / statistics.median(runs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    _, weights, tok, onnx_path = model()
    cfg = weights.config
    calibration_set(tok, cfg)
    cpu = cpu_model()
    rows = []
    for name, options in CACHES.items():
        library, _, _ = generator_library(onnx_path, f"int4 g64, int8 inputs, KV cache {name}",
                                          1, WEIGHTS + options)
        for threads in args.threads:
            for context in CONTEXTS:
                per_token = 2 * cfg.layers * cfg.kv_heads * row_bytes(name, cfg.head_dim)
                rows.append({"cache": name, "threads": threads, "context": context,
                             "decode_tokens_per_s": time_decode(library, threads, context),
                             "cache_bytes_per_token": per_token})
                print(json.dumps(rows[-1]), flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "llm_kv_cache_speed.json").write_text(json.dumps({"cpu": cpu, "rows": rows},
                                                               indent=2))
    base = {(r["threads"], r["context"]): r["decode_tokens_per_s"]
            for r in rows if r["cache"] == "f32"}
    lines = ["# SmolLM2-135M-Instruct: decode speed by KV cache format", "",
             f"{cpu}. Weights int4 g64 on int8 inputs, batch 1; decode tokens/s after a prompt "
             "of the given context, "
             "and the ratio to the f32 cache at the same context and threads. Cache bytes: "
             "the stored rows of one position (keys and values of every layer and KV head, "
             "scales included).", "",
             "| cache | threads | context | decode tok/s | vs f32 cache | cache bytes/token |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        ratio = r["decode_tokens_per_s"] / base[(r["threads"], r["context"])]
        lines.append(f"| {r['cache']} | {r['threads']} | {r['context']} | "
                     f"{r['decode_tokens_per_s']:.1f} | {ratio:.2f}x | "
                     f"{r['cache_bytes_per_token']:.0f} |")
    (RESULTS / "llm_kv_cache_speed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
