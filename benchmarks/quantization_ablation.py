"""Ablation of quantc's int8 accuracy techniques on every real model, with
the task metrics of the OCR models (benchmarks/task_metrics.py).

Rows per model: the float model, ONNX Runtime's quantize_static (QDQ,
per-channel, minmax, same calibration data), and quantc int8 (minmax
calibration, per-channel weights, every op it can quantize) with:
minmax alone; cross-layer equalization (auto: kept only where measured to
help); bias correction; learned rounding; all three; all three plus the
accuracy budget (--max-drop 0.5 % of top-1 agreement, 0.25 % for
ppocr-rec; classifiers and the recognizer only). Equalization's choice and the budget are scored on
held-out images that are neither calibration nor evaluation data (for the
digits models, which have no third split, on calibration images).

Columns: output SQNR against the float model, top-1 agreement with it,
the task metric (recognizer: character error rate; orientation classifier:
accuracy; detector: box F1; digits: accuracy) and the compile time (import
to folded integer graph). The OCR models are evaluated on more images than
quantization_accuracy.py uses, for finer task metrics.

usage: python benchmarks/quantization_ablation.py [--models a,b] [--out DIR]
"""
import argparse
import json
import pathlib
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from datasets import ROOT, Photo, Text, photo_crops, real_models  # noqa: E402
from quantization_accuracy import (BIN, agreement, accuracy, fmt,  # noqa: E402
                                   ort_quantize, ort_run, quantc_run, shape_option,
                                   sqnr)
from task_metrics import task_metric  # noqa: E402
from timing import cpu_model  # noqa: E402

# Evaluation images for the task metrics (photo 1, a seed of their own).
TASK_IMAGES = {"ppocr-rec": 128, "ppocr-cls": 256, "ppocr-det": 32}
# Held-out images for choices judged on the quantized model: enough that a
# budget of 0.5 % of top-1 agreement means something (ppocr-rec scores 20
# positions per image).
BUDGET_IMAGES = {"ppocr-cls": 256, "ppocr-rec": 64}

CONFIGS = [
    ("minmax", "equalize=false"),
    ("+ CLE", "equalize=true"),
    ("+ bias correction", "equalize=false bias-correction=true"),
    ("+ learned rounding", "equalize=false rounding-search=true"),
    ("CLE + BC + LR", "equalize=true bias-correction=true rounding-search=true"),
    ("CLE + BC + LR + budget",
     "equalize=true bias-correction=true rounding-search=true max-drop={budget}"),
]
# The budget of top-1 agreement (fraction) scored on the held-out images:
# tighter for ppocr-rec, whose held-out agreement carries over less.
MAX_DROP = {"ppocr-rec": 0.0025}


def evaluation_set(model):
    """Inputs and a task-metric function for `model`."""
    if isinstance(model, Text):
        x, truth = model.images(1, TASK_IMAGES[model.name], seed=2)
        return x, lambda outputs: task_metric_of(model, outputs, truth)
    x = model.evaluation()
    if model.labels is not None:
        return x, lambda outputs: {"metric": "accuracy", "accuracy": accuracy(model, outputs)}
    return x, lambda outputs: None


def task_metric_of(model, outputs, truth):
    model.ground_truth = lambda: truth
    return task_metric(model, outputs)


def headline(metric):
    if not metric:
        return None
    return metric[metric["metric"]]


def held_out(model):
    """Images that are neither calibration nor evaluation data (the digits
    models have no third split: their calibration images, reversed)."""
    count = BUDGET_IMAGES.get(model.name, 32)
    if isinstance(model, Text):
        return model.images(1, count, seed=3)[0]
    if isinstance(model, Photo):
        return photo_crops(1, 8, model.shape[2:], seed=3)
    return model.calibration()[::-1][:count]


def quantize(model, options, calib, budget, workdir):
    out = workdir / "q.mlirbc"
    pipeline = f"data={calib} budget-data={budget} {options}"
    start = time.perf_counter()
    proc = subprocess.run(
        [str(BIN / "quant-opt"), str(model.path), shape_option(model),
         f"--qc-quantize-pipeline={pipeline}", "--emit-bytecode", "-o", str(out)],
        capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode:
        raise RuntimeError(proc.stderr[-2000:])
    kept = re.search(r"with (\d+) of (\d+) layers at (\w+)", proc.stderr)
    return out, seconds, (f"{kept[1]}/{kept[2]} at {kept[3]}" if kept else None)


def evaluate(model, workdir):
    calib = workdir / "calib.npz"
    np.savez(calib, **{model.input_name: model.calibration()})
    budget = workdir / "budget.npz"
    classifier = model.task in ("classification", "sequence")
    np.savez(budget, **{model.input_name: held_out(model)})
    x, metric_of = evaluation_set(model)
    reference = ort_run(model.path, model.input_name, x)
    rows = [{"config": "float", "task": metric_of(reference)}]
    try:
        qdq = ort_quantize(model, model.calibration(), workdir / "ort.onnx", "minmax", None)
        theirs = ort_run(qdq, model.input_name, x)
        rows.append({"config": "ONNX Runtime", "sqnr": sqnr(reference, theirs),
                     "agreement": agreement(model, reference, theirs),
                     "task": metric_of(theirs)})
    except Exception as error:  # ONNX Runtime's calibrator can fail.
        rows.append({"config": "ONNX Runtime", "error": str(error).splitlines()[0][:160]})
    for label, options in CONFIGS:
        if "max-drop" in options and not classifier:
            continue
        max_drop = MAX_DROP.get(model.name, 0.005)
        if "max-drop" in options:
            options = options.format(budget=max_drop)
            label = f"{label} {100 * max_drop:g} %"
        try:
            out, seconds, kept = quantize(model, options, calib, budget, workdir)
        except RuntimeError as error:
            rows.append({"config": label, "error": str(error).strip().splitlines()[-1][:200]})
            continue
        outputs = quantc_run(out, model.input_name, x, workdir)
        rows.append({"config": label, "sqnr": sqnr(reference, outputs),
                     "agreement": agreement(model, reference, outputs),
                     "task": metric_of(outputs), "compile_s": seconds, "kept": kept})
        print(model.name, json.dumps(rows[-1]), flush=True)
    return {"model": model.name, "images": len(x), "rows": rows}


def percent(value):
    return None if value is None else 100 * value


def markdown(results, cpu):
    lines = ["# int8 accuracy: ablation of quantc's techniques", "",
             f"Measured on {cpu}. " + __doc__.split("\n\n")[1].replace("\n", " "), ""]
    for result in results:
        lines += [f"## {result['model']} ({result['images']} evaluation images)", "",
                  "| config | SQNR (dB) | agreement (%) | task metric | compile (s) | kept layers |",
                  "|---|---|---|---|---|---|"]
        for row in result["rows"]:
            if "error" in row:
                lines.append(f"| {row['config']} | failed: {row['error']} | | | | |")
                continue
            task = row.get("task")
            task_text = "–" if not task else f"{task['metric']} {100 * headline(task):.2f} %"
            lines.append(f"| {row['config']} | {fmt(row.get('sqnr'))} | "
                         f"{fmt(percent(row.get('agreement')), 2)} | {task_text} | "
                         f"{fmt(row.get('compile_s'))} | {row.get('kept') or '–'} |")
        lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument("--merge", action="store_true",
                        help="replace only the models measured now in the results file")
    args = parser.parse_args()
    wanted = set(filter(None, args.models.split(",")))
    results = []
    for model in real_models():
        if wanted and model.name not in wanted:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            results.append(evaluate(model, pathlib.Path(tmp)))
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    previous = out / "quantization_ablation.json"
    if args.merge and previous.exists():
        fresh = {r["model"]: r for r in results}
        results = [fresh.pop(r["model"], r) for r in json.loads(previous.read_text())]
        results += list(fresh.values())
    (out / "quantization_ablation.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "quantization_ablation.md").write_text(markdown(results, cpu_model()))
    print(markdown(results, cpu_model()))


if __name__ == "__main__":
    main()
