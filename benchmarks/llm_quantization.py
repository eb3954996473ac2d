"""Quantization quality of SmolLM2-135M-Instruct, every engine on the same
float weights, the same evaluation windows and the same context, in one run:

- quantc generator libraries: round to nearest (RTN), AWQ and GPTQ, int8
  per channel and int4 in groups of 32 / 64 along the input dimension, and
  mixed int4 / int8 under a size budget (qc-assign-precision); W8A8 (int8
  activations with one scale per token) without and with SmoothQuant; AWQ,
  GPTQ and SmoothQuant calibrate on 64 windows of 64 tokens of text that
  is not evaluated (Macbeth, and ABC news articles past the evaluated ones),
  and the rows marked "256 windows" on four times as many of the same texts;
  the KV cache in each of its formats;
- ONNX Runtime's MatMul4BitsQuantizer (symmetric, same group sizes), round
  to nearest and GPTQ (its GPTQ runs Intel Neural Compressor's, from another
  interpreter: see llm_ort_gptq.py; same calibration windows), evaluated in
  ONNX Runtime;
- llama.cpp's own Q8_0, Q5_K_M, Q4_K_M, Q4_0 and Q3_K_M quantizations of an
  F16 GGUF of the same weights, evaluated by llama-cpp-python (see
  llm_speed.py for building it) on the same token windows.

Bits per weight are counted the same way for every entry: the bytes of the
linear layers' weights (the output layer included, which is the tied
embedding table for llama.cpp), scales and minimums included, times 8, over
their parameters. The embedding lookup table of quantc and ONNX Runtime stays
f32 and is not counted.

    python benchmarks/llm_quantization.py [--windows 8] [--window 512] [--only a,b]
"""
import argparse
import json
import pathlib
import subprocess
import tempfile

import numpy as np
import onnxruntime as ort

from llm_common import (CACHE, abc_news_text, generator_library, llama_cpp_models, model,
                        ort_matmulnbits_model, shakespeare_text)
from llm_perplexity import STEP, perplexity, windows
from timing import ROOT
from quantc.llm.calibration import token_windows, write_calibration_set
from quantc.llm.decoding import decoder_feeds
from quantc.runtime import Generator, Model

RESULTS = ROOT / "benchmarks" / "results"
CALIBRATION = CACHE / f"calib-t{STEP}"
# Windows per text of each calibration set.
CALIBRATION_SETS = {CALIBRATION: 32, CACHE / f"calib-t{STEP}-256": 128}


def int4(group):
    return ["--weight", "i4", "--granularity", "per_group", "--group-size", str(group)]


# GPTQ with the settings that measured best here: least-squares scales,
# inputs by decreasing second moment (act-order).
GPTQ = ["--calib", str(CALIBRATION), "--gptq", "--gptq-act-order", "--weight-range", "mse"]
GPTQ_256 = ["--calib", str(CACHE / f"calib-t{STEP}-256"), *GPTQ[2:]]
MSE = ["--weight-range", "mse"]
ASYMMETRIC = ["--weight-scheme", "asymmetric"]
W8A8 = ["--dynamic-int8", "--dynamic-int8-block", "0"]
# Groups along the input dimension; 128 does not divide this model's 576.
GROUPS = (32, 64)
HEAD_INT8 = str(ROOT / "benchmarks" / "llm_output_layer_int8.json")


def per_channel(bits):
    return lambda k, head: bits + 32 / k


def grouped(group, head_bits=None, zero_bits=0):
    return (lambda k, head: head_bits + 32 / k if head and head_bits
            else 4 + (32 + zero_bits) / group)


# name -> (quantc options, bits of one weight of a layer with k inputs,
# whether it is the output layer).
QUANTC = {
    "f32": ([], lambda k, head: 32.0),
    "int8 per channel, RTN": (["--weight", "i8"], per_channel(8)),
    "int8 per channel, GPTQ": (["--weight", "i8", *GPTQ], per_channel(8)),
    # W8A8: int8 weights per channel times int8 activations, one scale per
    # token rounded at run time, without and with SmoothQuant's migration.
    "W8A8 per token, RTN": (["--weight", "i8", *W8A8], per_channel(8)),
    **{f"W8A8 per token, SmoothQuant a={a}": (
        ["--weight", "i8", *W8A8, "--calib", str(CALIBRATION), "--smooth-quant",
         "--smooth-quant-alpha", str(a)], per_channel(8)) for a in (0.4, 0.5, 0.8)},
    "W8A8 per token, SmoothQuant a=0.5, GPTQ": (
        ["--weight", "i8", *W8A8, *GPTQ, "--smooth-quant"], per_channel(8)),
    **{f"int4 g{g}, {method}": (int4(g) + extra, grouped(g))
       for g in GROUPS
       for method, extra in (("RTN", []), ("RTN, mse scales", MSE), ("GPTQ", GPTQ))},
    # Asymmetric groups: a zero point per group next to each scale.
    **{f"int4 g{g} asymmetric, {method}": (int4(g) + ASYMMETRIC + extra, grouped(g, zero_bits=8))
       for g in GROUPS
       for method, extra in (("RTN, mse scales", MSE), ("GPTQ", GPTQ))},
    "int4 g64 asymmetric, GPTQ, 256 windows": (int4(64) + ASYMMETRIC + GPTQ_256,
                                               grouped(64, zero_bits=8)),
    "int4 g64, AWQ": (int4(64) + MSE + ["--calib", str(CALIBRATION), "--awq"], grouped(64)),
    "int4 g64, AWQ + GPTQ": (int4(64) + GPTQ + ["--awq"], grouped(64)),
    "int4 g64, AWQ with clipping": (int4(64) + MSE + ["--calib", str(CALIBRATION), "--awq",
                                                      "--awq-clip"], grouped(64)),
    "int4 g64, AWQ with clipping + GPTQ": (int4(64) + GPTQ + ["--awq", "--awq-clip"], grouped(64)),
    "int4 g64 asymmetric, AWQ with clipping + GPTQ, 256 windows": (
        int4(64) + ASYMMETRIC + GPTQ_256 + ["--awq", "--awq-clip"], grouped(64, zero_bits=8)),
    "int4 g64, GPTQ, output layer int8": (int4(64) + GPTQ + ["--overrides", HEAD_INT8],
                                          grouped(64, head_bits=8)),
    # Mixed w4g64 / w8 under a size budget (qc-assign-precision, proxy
    # sensitivity), then GPTQ; bits read from the chosen Pareto point.
    **{f"mixed w4g64/w8 at {b} bits, GPTQ": (
        int4(64) + GPTQ + ["--bits-per-weight", str(b), "--candidates", "w4g64,w8",
                           "--signal", "proxy", "--pareto", str(CACHE / f"smollm2-mixed-{b}.json")],
        None) for b in (5.0,)},
    # At the sizes of llama.cpp's Q4_K_M and Q3_K_M on this model (6.16 and
    # 5.45 bits: most of its tensors fall back to other types, 576 not being
    # a multiple of 256), from groups of 32 and 64 and int8.
    **{f"mixed w4g32/w4g64/w8 at {b} bits, GPTQ": (
        int4(64) + GPTQ + ["--bits-per-weight", str(b), "--candidates", "w4g32,w4g64,w8",
                           "--signal", "proxy", "--pareto", str(CACHE / f"smollm2-mixed3-{b}.json")],
        None) for b in (5.4, 6.1)},
    # The same with asymmetric groups (a zero point byte per scale), GPTQ on
    # 256 calibration windows.
    **{f"mixed w4g32/w4g64/w8 asymmetric at {b} bits, GPTQ, 256 windows": (
        int4(64) + ASYMMETRIC + GPTQ_256 + [
            "--bits-per-weight", str(b), "--candidates", "w4g32,w4g64,w8", "--signal", "proxy",
            "--pareto", str(CACHE / f"smollm2-mixed3-asymmetric-256-{b}.json")],
        None) for b in (5.45, 6.16)},
    # The KV cache's formats, on float weights and on GPTQ int4 weights.
    **{f"f32, KV cache {c}": (["--kv-cache", c], lambda k, head: 32.0)
       for c in ("f16", "bf16", "i8", "i4")},
    # Keys divided by their channel's range (measured on the calibration
    # windows) before the per-token or per-group scale.
    **{f"f32, KV cache {c}, keys per channel": (
        ["--kv-cache", c, "--kv-keys", "per-channel", "--calib", str(CALIBRATION)],
        lambda k, head: 32.0) for c in ("i8", "i4")},
}
LLAMA_CPP = ("Q8_0", "Q5_K_M", "Q4_K_M", "Q4_0", "Q3_K_M")


def calibration_set(tok, cfg):
    for path, count in CALIBRATION_SETS.items():
        if not path.exists():
            ids = (token_windows(tok.encode(shakespeare_text("macbeth_gut")).ids, STEP, count) +
                   token_windows(tok.encode(abc_news_text()).ids, STEP, count, offset=8192))
            write_calibration_set(path, ids, cfg.layers, cfg.kv_heads, cfg.head_dim)


def linear_shapes(weights):
    """(in, out) of every linear layer, the output layer last."""
    shapes = [m.shape[::-1] for layer in weights.layers for m in
              (layer.wq, layer.wk, layer.wv, layer.wo, layer.w_gate, layer.w_up, layer.w_down)]
    head = weights.embed if weights.lm_head is None else weights.lm_head
    return shapes + [head.shape[::-1]]


def bits_per_weight(shapes, bits_of):
    last = len(shapes) - 1
    return (sum(k * n * bits_of(k, i == last) for i, (k, n) in enumerate(shapes)) /
            sum(k * n for k, n in shapes))


def ort_bits(path, shapes):
    """MatMulNBits layers: 4-bit blocks with f32 scales; other MatMuls f32."""
    import onnx
    proto = onnx.load(str(path), load_external_data=False)
    block = next(a.i for n in proto.graph.node if n.op_type == "MatMulNBits"
                 for a in n.attribute if a.name == "block_size")
    quantized = sum(n.op_type == "MatMulNBits" for n in proto.graph.node)
    per = [4 + 32 / block] * quantized + [32.0] * (len(shapes) - quantized)
    return sum(k * n * b for (k, n), b in zip(shapes, per)) / sum(k * n for k, n in shapes)


def evaluate(logits_of, chunks):
    return {name: perplexity(logits_of, c) for name, c in chunks.items()}


def quantc_rows(onnx_path, shapes, chunks, only=None):
    for name, (options, bits_of) in QUANTC.items():
        if only and not any(part in name for part in only.split(",")):
            continue
        library, seconds, peak = generator_library(onnx_path, name, STEP, options)
        if bits_of is None:  # mixed: the chosen point's size
            chosen = next(p for p in json.loads(pathlib.Path(options[-1]).read_text())
                          if p.get("chosen"))
            bits_of = (lambda b: lambda k, head: b)(chosen["bits_per_weight"])
        g = Generator(Model(library), max_context=max(len(w) for c in chunks.values() for w in c))

        def logits(window):
            g.reset()
            return g.prefill_logits(window)
        yield {"engine": "quantc", "format": name, "bits_per_weight": bits_per_weight(shapes, bits_of),
               "compile_s": seconds, "compile_peak_MiB": peak, **evaluate(logits, chunks)}


def ort_gptq_model(onnx_path, block, inc_python):
    target = CACHE / f"smollm2-135m-matmulnbits-gptq-b{block}.onnx"
    if not target.exists():
        subprocess.run([inc_python, str(ROOT / "benchmarks" / "llm_ort_gptq.py"), str(onnx_path),
                        str(target), str(block), str(CALIBRATION)], check=True)
    return target


def ort_rows(onnx_path, shapes, cfg, chunks, inc_python):
    models = [("f32", onnx_path)]
    for b in GROUPS:
        models.append((f"MatMulNBits int4 g{b}, RTN", ort_matmulnbits_model(onnx_path, b)))
        if pathlib.Path(inc_python).exists():
            try:
                models.append((f"MatMulNBits int4 g{b}, GPTQ",
                               ort_gptq_model(onnx_path, b, inc_python)))
            except subprocess.CalledProcessError as e:
                print(f"ONNX Runtime GPTQ g{b} failed: {e}", flush=True)
    for name, path in models:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])

        def logits(window):
            feeds = decoder_feeds(cfg.layers, cfg.kv_heads, cfg.head_dim, np.asarray([window]))
            return session.run(["logits"], feeds)[0][0]
        bits = 32.0 if path == onnx_path else ort_bits(path, shapes)
        yield {"engine": "ONNX Runtime 1.20.1", "format": name, "bits_per_weight": bits,
               **evaluate(logits, chunks)}


def llama_cpp_rows(gguf_path, llama_python, chunks):
    script = str(ROOT / "benchmarks" / "llm_llamacpp.py")
    for kind, path in llama_cpp_models(gguf_path, llama_python, script, LLAMA_CPP).items():
        row = {"engine": "llama.cpp (llama-cpp-python 0.3.16)", "format": kind}
        for name, c in chunks.items():
            with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
                json.dump(c, f)
                f.flush()
                out = json.loads(subprocess.run([llama_python, script, "perplexity", str(path), f.name],
                                                check=True, capture_output=True, text=True).stdout)
            row[name] = float(np.exp(sum(out["nll"]) / sum(out["tokens"])))
            row["bits_per_weight"] = out["bits_per_weight"]
        yield row


def table(rows, names, window, tokens):
    float_row = next(r for r in rows if r["engine"] == "quantc" and r["format"] == "f32")
    lines = ["# SmolLM2-135M-Instruct: perplexity after quantization", "",
             f"Windows of {window} tokens, stride {window}, each from an empty cache; tokens "
             "scored: " + ", ".join(f"{n}: {tokens[n]}" for n in names) + ". Same float weights "
             "(the GGUF's Q4_1 weights dequantized) and the same token windows for every engine. "
             "Bits per weight: linear layers and the output layer, scales included. "
             "Δ: perplexity change against quantc f32. Compile: seconds and peak MiB of "
             "`quantc` (GPTQ: calibration on 64 windows of 64 tokens included).", "",
             "| engine | weights | bits/weight | " + " | ".join(f"{n} | Δ" for n in names) +
             " | compile |", "|---|---|---|" + "---|---|" * len(names) + "---|"]
    for r in rows:
        cells = " | ".join(f"{r[n]:.3f} | {100 * (r[n] / float_row[n] - 1):+.1f} %" for n in names)
        compile_cell = (f"{r['compile_s']:.0f} s, {r['compile_peak_MiB']:.0f} MiB"
                        if "compile_s" in r else "")
        lines.append(f"| {r['engine']} | {r['format']} | {r['bits_per_weight']:.2f} | {cells} | "
                     f"{compile_cell} |")
    return "\n".join(lines) + "\n"


COLORS = {"quantc": "#1f77b4", "ONNX Runtime 1.20.1": "#2ca02c"}


def plot(rows, text, path, width=760, height=460, pad=60):
    """Perplexity on `text` against bits per weight, one dot per entry (f32
    and the KV cache rows left out), the lower-left front joined: SVG."""
    points = [r for r in rows if r["bits_per_weight"] < 16 and "KV cache" not in r["format"]]
    xs = [r["bits_per_weight"] for r in points]
    ys = [r[text] for r in points]
    x0, x1 = min(xs) - 0.2, max(xs) + 0.2
    y0, y1 = min(ys) * 0.95, max(ys) * 1.02

    def at(x, y):
        return (pad + (x - x0) / (x1 - x0) * (width - 2 * pad),
                height - pad - (y - y0) / (y1 - y0) * (height - 2 * pad))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           'font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">SmolLM2-135M: '
           f'perplexity ({text}) against bits per weight</text>',
           f'<text x="{width / 2}" y="{height - 15}" text-anchor="middle">bits per weight '
           '(linear layers and output layer, scales included)</text>']
    for i in range(6):
        x, y = x0 + (x1 - x0) * i / 5, y0 + (y1 - y0) * i / 5
        px, _ = at(x, y0)
        _, py = at(x0, y)
        out += [f'<text x="{px:.0f}" y="{height - pad + 15}" text-anchor="middle">{x:.1f}</text>',
                f'<text x="{pad - 5}" y="{py:.0f}" text-anchor="end">{y:.1f}</text>',
                f'<line x1="{pad}" x2="{width - pad}" y1="{py:.0f}" y2="{py:.0f}" stroke="#eee"/>']
    front, best = [], float("inf")
    for r in sorted(points, key=lambda r: r["bits_per_weight"]):
        if r[text] < best:
            best = r[text]
            front.append(at(r["bits_per_weight"], r[text]))
    out.append('<polyline fill="none" stroke="#999" stroke-dasharray="4 3" points="' +
               " ".join(f"{x:.1f},{y:.1f}" for x, y in front) + '"/>')
    for r in points:
        x, y = at(r["bits_per_weight"], r[text])
        color = COLORS.get(r["engine"], "#d62728")
        out += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}"/>',
                f'<text x="{x + 6:.1f}" y="{y - 4:.1f}" fill="{color}">{r["format"]}</text>']
    out.append("</svg>")
    pathlib.Path(path).write_text("\n".join(out) + "\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--windows", type=int, default=8)
    parser.add_argument("--window", type=int, default=512)
    parser.add_argument("--llama-python", default=str(ROOT / "build" / "llama-venv" / "bin" / "python"))
    parser.add_argument("--inc-python", default=str(ROOT / "build" / "inc-venv" / "bin" / "python"))
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite the table and plots from the last run's JSON")
    parser.add_argument("--only", help="run only the quantc entries whose name contains one "
                        "of these comma-separated parts, and merge them into the last run's rows "
                        "(same windows)")
    args = parser.parse_args()
    if args.report_only:
        saved = json.loads((RESULTS / "llm_quantization.json").read_text())
        return report(saved["rows"], list(saved["tokens"]), saved["window"], saved["tokens"])
    gguf_path, weights, tok, onnx_path = model()
    cfg = weights.config
    calibration_set(tok, cfg)
    texts = {"ABC news": abc_news_text(), "Hamlet": shakespeare_text("hamlet_gut")}
    chunks = {name: windows(tok, text, args.window, args.windows) for name, text in texts.items()}
    shapes = linear_shapes(weights)
    rows = []
    sources = [quantc_rows(onnx_path, shapes, chunks, args.only)]
    if args.only:
        saved = json.loads((RESULTS / "llm_quantization.json").read_text())
        assert saved["window"] == args.window, "merging needs the last run's --window"
        new = {(r["engine"], r["format"]): r for r in sources[0]}
        rows = [new.pop((r["engine"], r["format"]), r) for r in saved["rows"]]
        rows += list(new.values())
        # quantc's entries in QUANTC's order, the other engines after them.
        order = {name: i for i, name in enumerate(QUANTC)}
        rows.sort(key=lambda r: (r["engine"] != "quantc", order.get(r["format"], 0)
                                 if r["engine"] == "quantc" else 0))
        sources = []
    else:
        sources += [ort_rows(onnx_path, shapes, cfg, chunks, args.inc_python),
                    llama_cpp_rows(gguf_path, args.llama_python, chunks)]
    for source in sources:
        for row in source:
            rows.append(row)
            print(row, flush=True)
    tokens = {name: sum(len(w) - 1 for w in c) for name, c in chunks.items()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "llm_quantization.json").write_text(json.dumps(
        {"window": args.window, "tokens": tokens, "rows": rows}, indent=2))
    report(rows, list(chunks), args.window, tokens)


def report(rows, names, window, tokens):
    text = table(rows, names, window, tokens)
    for i, name in enumerate(names):
        plot(rows, name, RESULTS / f"llm_quantization_{i}.svg")
    text += "".join(f"\n![{n}](llm_quantization_{i}.svg)\n" for i, n in enumerate(names))
    (RESULTS / "llm_quantization.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
