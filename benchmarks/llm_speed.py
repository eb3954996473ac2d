"""Decode and prefill speed of SmolLM2-135M-Instruct: quantc generator
libraries (float, int8 and int4 weight-only) against llama.cpp (its own
Q8_0, Q4_0 and Q4_K_M quantizations of an F16 GGUF of the same float
weights) and ONNX Runtime (the float export and its MatMulNBits int4
model from MatMul4BitsQuantizer), one engine after another in one run.

Decode: tokens/s of single-token steps after a 16-token prompt, batch 1.
Prefill: tokens/s of one prompt of 128 and of 512 tokens from an empty
cache. Weight bytes per token are the bytes of the weights every step reads
(quantc: the linear layers' packed weights and scales, i.e. the library
minus the embedding table it gathers rows from; llama.cpp and ONNX Runtime:
all weights, their tied embedding being also their output layer), compared
with this machine's measured single-core read bandwidth.

llama.cpp runs from an interpreter with llama-cpp-python built from source:

    python3 -m venv build/llama-venv
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \\
      -DGGML_AVX512=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON" \\
      build/llama-venv/bin/pip install llama-cpp-python==0.3.16
    python benchmarks/llm_speed.py [--llama-python build/llama-venv/bin/python]
"""
import os

# numpy's BLAS threads would spin beside the engines' own (and in llama.cpp's
# worker process, which inherits this).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402

from llm_common import (FORMATS, generator_library, llama_cpp_models, model,  # noqa: E402
                        ort_matmulnbits_model)
from timing import ROOT, cpu_model  # noqa: E402
from weight_only_gemv import measure_read_bandwidth  # noqa: E402
from quantc.llm.decoding import decoder_feeds, present_cache  # noqa: E402
from quantc.runtime import Generator, Model  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
PROMPTS = [128, 512]
PROMPT_STEP = 64  # tokens per step of the libraries that time prefill


def median_time(fn, repeats=3):
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def time_quantc(step_lib, prompt_lib, threads, decode_tokens):
    prompt = [(7 * i + 11) % 40000 + 100 for i in range(max(PROMPTS))]
    g = Generator(Model(step_lib, threads=threads), 2048)
    runs = []
    for _ in range(3):
        g.reset()
        g.prefill(prompt[:16])
        start = time.perf_counter()
        for i in range(decode_tokens):
            g.step(prompt[i % 16])
        runs.append(time.perf_counter() - start)
    result = {"decode_tokens_per_s": decode_tokens / statistics.median(runs)}
    p = Generator(Model(prompt_lib, threads=threads), 2048)
    for n in PROMPTS:
        def prefill():
            p.reset()
            p.prefill(prompt[:n])
        result[f"prefill_{n}_tokens_per_s"] = n / median_time(prefill)
    return result


def time_ort(onnx_path, cfg, threads, decode_tokens):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    sess = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
    dims = (cfg.layers, cfg.kv_heads, cfg.head_dim)
    prompt = np.asarray([[(7 * i + 11) % 40000 + 100 for i in range(max(PROMPTS))]])

    def run(ids, past):
        out = dict(zip([o.name for o in sess.get_outputs()],
                       sess.run(None, decoder_feeds(*dims, ids, past))))
        return present_cache(out, cfg.layers)
    runs = []
    for _ in range(3):
        past = run(prompt[:, :16], None)
        start = time.perf_counter()
        for i in range(decode_tokens):
            past = run(prompt[:, i % 16:i % 16 + 1], past)
        runs.append(time.perf_counter() - start)
    result = {"decode_tokens_per_s": decode_tokens / statistics.median(runs)}
    for n in PROMPTS:
        result[f"prefill_{n}_tokens_per_s"] = n / median_time(lambda: run(prompt[:, :n], None))
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--decode-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--llama-python", default=str(ROOT / "build" / "llama-venv" / "bin" / "python"))
    args = parser.parse_args()
    gguf_path, weights, _, onnx_path = model()
    cfg = weights.config
    embed_bytes = weights.embed.size * 4
    params = weights.parameter_count()
    bandwidth = measure_read_bandwidth()
    print(f"single-core read bandwidth: {bandwidth:.1f} GB/s", flush=True)
    rows = []

    def record(engine, fmt, size_bytes, per_token_bytes, threads, timing, compile_s=None, peak=None):
        row = {"engine": engine, "format": fmt, "threads": threads,
               "bits_per_weight": 8 * size_bytes / params,
               "weight_bytes_per_token": per_token_bytes, **timing}
        row["weight_GB_per_s"] = per_token_bytes * timing["decode_tokens_per_s"] / 1e9
        if compile_s is not None:
            row["compile_s"], row["compile_peak_MiB"] = compile_s, peak
        rows.append(row)
        print(json.dumps(row), flush=True)

    for fmt in FORMATS:
        step_lib, compile_s, peak = generator_library(onnx_path, fmt, 1)
        prompt_lib, _, _ = generator_library(onnx_path, fmt, PROMPT_STEP)
        size = os.path.getsize(step_lib)
        for t in args.threads:
            record("quantc", fmt, size - embed_bytes, size - embed_bytes, t,
                   time_quantc(step_lib, prompt_lib, t, args.decode_tokens), compile_s, peak)
    script = str(ROOT / "benchmarks" / "llm_llamacpp.py")
    if os.path.exists(args.llama_python):
        for kind, path in llama_cpp_models(gguf_path, args.llama_python, script).items():
            size = os.path.getsize(path)
            for t in args.threads:
                out = subprocess.run([args.llama_python, script, "time", str(path), str(t),
                                      str(args.decode_tokens), *map(str, PROMPTS)],
                                     check=True, capture_output=True, text=True).stdout
                timing = json.loads(out.strip().splitlines()[-1])
                timing.pop("threads")
                record("llama.cpp", kind, size, size, t, timing)
    else:
        print(f"llama.cpp skipped: no interpreter at {args.llama_python}", flush=True)
    for name, path in [("f32", onnx_path), ("MatMulNBits int4 g32", ort_matmulnbits_model(onnx_path, 32))]:
        data = [p for p in path.parent.glob(path.name + "*")]
        size = sum(os.path.getsize(p) for p in data)
        for t in args.threads:
            record("ONNX Runtime 1.20.1", name, size, size, t,
                   time_ort(path, cfg, t, args.decode_tokens // 2))
    RESULTS.mkdir(exist_ok=True)
    cpu = cpu_model()
    (RESULTS / "llm_speed.json").write_text(json.dumps(
        {"read_bandwidth_GB_per_s": bandwidth, "cpu": cpu, "rows": rows}, indent=2))
    def bit_class(fmt):
        weights = fmt.split(",")[0]  # "int4 g64, int8 inputs": 4-bit weights
        return 8 if "8" in weights else 4 if "4" in weights else None

    best, best_prefill = {}, {}
    for r in rows:
        if r["engine"] == "llama.cpp":
            key = (bit_class(r["format"]), r["threads"])
            best[key] = max(best.get(key, 0), r["decode_tokens_per_s"])
            best_prefill[key] = max(best_prefill.get(key, 0), r["prefill_512_tokens_per_s"])
    lines = ["# SmolLM2-135M-Instruct decode and prefill speed", "",
             f"{cpu}. Batch 1. Single-core read bandwidth measured here: {bandwidth:.1f} GB/s. "
             "Weight GB/s = weight bytes read per token x decode tokens/s. "
             "'vs llama.cpp' divides decode tokens/s by llama.cpp's best format of the same "
             "bit class of the weights (8: Q8_0; 4: Q4_0, Q4_K_M) at the same thread count; "
             "'prefill vs llama.cpp' does the same for prefill of 512 tokens. 'int8 inputs': "
             "--dynamic-int8 (activations rounded to int8 blocks of 32, integer dot products, "
             "as llama.cpp's formats do).", "",
             "| engine | weights | bits/weight | threads | decode tok/s | prefill 128 tok/s "
             "| prefill 512 tok/s | weight GB/s | of bandwidth | vs llama.cpp | prefill vs llama.cpp |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        key = (bit_class(r["format"]), r["threads"])
        theirs = r["engine"] == "llama.cpp"
        ratio = f"{r['decode_tokens_per_s'] / best[key]:.2f}x" if key in best and not theirs else ""
        prefill = (f"{r['prefill_512_tokens_per_s'] / best_prefill[key]:.2f}x"
                   if key in best_prefill and not theirs else "")
        lines.append(
            f"| {r['engine']} | {r['format']} | {r['bits_per_weight']:.2f} | {r['threads']} | "
            f"{r['decode_tokens_per_s']:.1f} | {r['prefill_128_tokens_per_s']:.0f} | "
            f"{r['prefill_512_tokens_per_s']:.0f} | {r['weight_GB_per_s']:.1f} | "
            f"{r['weight_GB_per_s'] / bandwidth:.0%} | {ratio} | {prefill} |")
    compiled = [r for r in rows if "compile_s" in r and r["threads"] == args.threads[0]]
    lines += ["", "Compile time (quantc --generator, one step of 1 token): " +
              ", ".join(f"{r['format']} {r['compile_s']:.0f} s / {r['compile_peak_MiB']:.0f} MiB peak"
                        for r in compiled)]
    (RESULTS / "llm_speed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
