"""Mixed precision against uniform precisions and ONNX Runtime's quantizer.

For each model: qc-assign-precision under a sweep of size budgets (bits per
weight over the layers it assigns), uniform int8, uniform int4 weight-only
(per channel) and uniform int4 in groups of 32 where it applies, and ONNX
Runtime's quantize_static QDQ model. Every configuration's error is the
relative output noise power sum (y - y_f)^2 / sum y_f^2 against the float
model on the same samples (quantc measures it on the quantized graph with
the reference evaluator; ONNX Runtime's by running both of its models).

Two comparisons follow from it: mixed precision with the size of each
uniform configuration as its budget (lower error at equal size?), and the
smallest budget of the sweep at which mixed precision is at most as wrong
as uniform int8 (how much smaller at equal error). Also times the
assignment, cold and with the sensitivity cache warm.

    python benchmarks/mixed_precision.py [--models digits_mlp digits_cnn ppocr-cls]
"""
import argparse
import json
import re
import subprocess
import tempfile
import time
import pathlib

import numpy as np
import onnxruntime as ort

from datasets import real_models
from quantization_accuracy import ort_quantize
from timing import BIN, ROOT

RESULTS = ROOT / "benchmarks" / "results"
REMARK = re.compile(r"assigned (\d+) bytes of weights \(([\d.]+) bits each\), "
                    r"predicted error (\S+), measured (\S+)")
CANDIDATES = "f32,i8,w8,w4,w4g32"


def assign(model, shape, calib, samples, budget, candidates, cache):
    """Runs qc-assign-precision; returns (bits per weight, measured error,
    seconds) or None when nothing fits."""
    pass_options = (f"data={calib} max-samples={samples} candidates={candidates} "
                    f"bits-per-weight={budget} cache={cache}")
    cmd = [BIN / "quant-opt", model.path, "--input-shape", shape, "--qc-simplify",
           f"--qc-calibrate=data={calib}", f"--qc-assign-precision={pass_options}",
           "-o", "/dev/null"]
    start = time.perf_counter()
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    match = REMARK.search(proc.stderr)
    if proc.returncode or not match:
        return None
    return float(match.group(2)), float(match.group(4)), seconds


def ort_error(model, calib, samples, tmp):
    quantized = ort_quantize(model, calib, tmp / f"{model.name}_ort.onnx", "minmax", None)
    feeds = calib[:samples]
    reference = ort.InferenceSession(str(model.path), providers=["CPUExecutionProvider"])
    ours = ort.InferenceSession(str(quantized), providers=["CPUExecutionProvider"])
    signal = noise = 0.0
    for x in feeds:
        want = np.concatenate([o.ravel() for o in reference.run(None, {model.input_name: x[None]})])
        got = np.concatenate([o.ravel() for o in ours.run(None, {model.input_name: x[None]})])
        signal += float(np.sum(want.astype(np.float64) ** 2))
        noise += float(np.sum((got.astype(np.float64) - want) ** 2))
    return noise / signal


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", nargs="+", default=["digits_mlp", "digits_cnn", "ppocr-cls"])
    parser.add_argument("--budgets", type=float, nargs="+",
                        default=[4.5, 5, 5.5, 6, 6.5, 7, 7.5, 8])
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--timed-budget", type=float, default=6.0,
                        help="bits per weight of the timed assignment")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        for model in [m for m in real_models() if m.name in args.models]:
            shape = "x".join(map(str, model.shape))
            calib = model.calibration().astype(np.float32)
            np.savez(tmp / "calib.npz", **{model.input_name: calib})
            cache = tmp / f"{model.name}.cache.json"
            configs = []
            for budget in args.budgets:
                result = assign(model, f"{model.input_name}={shape}", tmp / "calib.npz",
                                args.samples, budget, CANDIDATES, cache)
                if result:
                    configs.append(("mixed", *result))
            for name in ["i8", "w4", "w4g32"]:
                result = assign(model, f"{model.input_name}={shape}", tmp / "calib.npz",
                                args.samples, 32, name, cache)
                if result:
                    configs.append((f"uniform {name}", *result))
                    # Mixed precision in the same size (the bits round down).
                    matched = assign(model, f"{model.input_name}={shape}", tmp / "calib.npz",
                                     args.samples, result[0] + 0.005, CANDIDATES, cache)
                    if matched:
                        configs.append((f"mixed at the size of uniform {name}", *matched))
            try:
                configs.append(("ONNX Runtime int8", 8.0, ort_error(model, calib, args.samples, tmp), 0.0))
            except Exception as error:  # noqa: BLE001 - reported
                print(f"{model.name}: ONNX Runtime quantizer failed: {error}")
            fresh = tmp / "fresh.cache.json"
            cold = assign(model, f"{model.input_name}={shape}", tmp / "calib.npz", args.samples,
                          args.timed_budget, CANDIDATES, fresh)
            fresh.unlink(missing_ok=True)
            warm = assign(model, f"{model.input_name}={shape}", tmp / "calib.npz", args.samples,
                          args.timed_budget, CANDIDATES, cache)
            for config, bits, error, _ in configs:
                rows.append({"model": model.name, "config": config, "bits_per_weight": bits,
                             "error": error,
                             "sqnr_db": float(10 * np.log10(1 / error)) if error > 0 else None})
            rows.append({"model": model.name, "config": "assignment time",
                         "cold_s": cold[2] if cold else None, "warm_s": warm[2] if warm else None})
            print(json.dumps(rows[-len(configs) - 1:], indent=1))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "mixed_precision.json").write_text(json.dumps(rows, indent=1) + "\n")
    lines = ["| model | configuration | bits / weight | relative error | SQNR (dB) |",
             "|---|---|---|---|---|"]
    times, verdicts, equal_error = [], [], []
    for name in dict.fromkeys(r["model"] for r in rows):
        ours = [r for r in rows if r["model"] == name and "bits_per_weight" in r]
        i8 = next((r for r in ours if r["config"] == "uniform i8"), None)
        sweep = sorted((r for r in ours if r["config"] == "mixed"),
                       key=lambda r: r["bits_per_weight"])
        for uniform in (r for r in ours if r["config"].startswith("uniform")):
            matched = next((r for r in ours if r["config"] == "mixed at the size of "
                            + uniform["config"]), None)
            if matched:
                verdicts.append(f"| {name} | {uniform['config']} | {uniform['bits_per_weight']:.2f} "
                                f"| {uniform['error']:.2e} | {matched['error']:.2e} "
                                f"| {uniform['error'] / max(matched['error'], 1e-12):.1f}x |")
        if i8:
            smallest = next((r for r in sweep if r["error"] <= i8["error"]), None)
            if smallest:
                saving = 1 - smallest["bits_per_weight"] / i8["bits_per_weight"]
                equal_error.append(
                    f"- {name}: mixed at {smallest['bits_per_weight']:.2f} bits per weight "
                    f"({saving:.0%} smaller than uniform int8's {i8['bits_per_weight']:.2f}) "
                    f"is within its error ({smallest['error']:.2e} against {i8['error']:.2e})")
            else:
                equal_error.append(f"- {name}: no budget of the sweep reaches uniform int8's error")
    for r in rows:
        if r["config"] == "assignment time":
            times.append(f"- {r['model']}: {(r['cold_s'] or 0):.2f} s cold, "
                         f"{(r['warm_s'] or 0):.2f} s with the sensitivity cache warm")
            continue
        sqnr = f"{r['sqnr_db']:.1f}" if r["sqnr_db"] is not None else "inf"
        lines.append(f"| {r['model']} | {r['config']} | {r['bits_per_weight']:.2f} | "
                     f"{r['error']:.2e} | {sqnr} |")
    text = "\n".join(
        lines
        + ["", "At equal size: mixed precision with each uniform configuration's size as "
           "its budget.", "",
           "| model | uniform | bits / weight | its error | mixed error | error ratio |",
           "|---|---|---|---|---|---|", *verdicts,
           "", "At equal error (the smallest budget of the sweep within uniform int8's "
           "error):", *equal_error,
           "", f"Assignment time at {args.timed_budget} bits per weight "
           "(import, calibration and assignment):", *times]) + "\n"
    (RESULTS / "mixed_precision.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
