"""Accuracy of int8 per-channel quantization: quantc against ONNX Runtime's
quantize_static on the same calibration data with the same range estimator.

For every real model (benchmarks/datasets.py) it reports, on held-out data:
- output SQNR (dB) of the quantized model against the float model;
- top-1 agreement with the float model (classifiers, per time step for the
  text recognizer) and accuracy where labels exist;
- for ONNX Runtime's own QDQ model imported by quantc and folded to integers,
  the largest difference from ONNX Runtime running it, in output LSBs.

ONNX Runtime runs twice: quantizing every op it supports (its default) and
only Conv/MatMul/Gemm, the layers quantc quantizes.

usage: python benchmarks/quantization_accuracy.py [--estimator minmax]
           [--models digits_cnn,...] [--out benchmarks/results]
"""
import argparse
import json
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime import quantization as ortq

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from datasets import ROOT, real_models  # noqa: E402
from task_metrics import task_metric  # noqa: E402

BIN = ROOT / "build" / "bin"
ORT_METHODS = {"minmax": ortq.CalibrationMethod.MinMax,
               "entropy": ortq.CalibrationMethod.Entropy,
               "percentile": ortq.CalibrationMethod.Percentile}


def run(cmd):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(map(str, cmd))}\n{proc.stderr}")
    return proc


def shape_option(model):
    return f"--input-shape={model.input_name}=" + "x".join(map(str, model.shape))


def quantc_run(mlir, input_name, x, workdir):
    inputs, outputs = workdir / "in.npz", workdir / "out.npz"
    np.savez(inputs, **{input_name: x})
    run([BIN / "quant-run", mlir, "--inputs", inputs, "--outputs", outputs])
    with np.load(outputs) as data:
        return [data[k] for k in data.files]


def ort_run(path, input_name, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    parts = [session.run(None, {input_name: x[i:i + 1]}) for i in range(len(x))]
    return [np.concatenate([p[j] for p in parts]) for j in range(len(parts[0]))]


class Reader(ortq.CalibrationDataReader):
    def __init__(self, input_name, samples):
        self.items = iter([{input_name: s[None]} for s in samples])

    def get_next(self):
        return next(self.items, None)


def ort_quantize(model, calib, out, estimator, op_types):
    ortq.quantize_static(
        str(model.path), str(out), Reader(model.input_name, calib),
        quant_format=ortq.QuantFormat.QDQ, per_channel=True,
        activation_type=ortq.QuantType.QInt8, weight_type=ortq.QuantType.QInt8,
        op_types_to_quantize=op_types, calibrate_method=ORT_METHODS[estimator])
    return out


def sqnr(reference, actual):
    reference = np.concatenate([r.astype(np.float64).ravel() for r in reference])
    actual = np.concatenate([a.astype(np.float64).ravel() for a in actual])
    noise = np.sum((reference - actual) ** 2)
    return float("inf") if noise == 0 else float(10 * np.log10(np.sum(reference ** 2) / noise))


def agreement(model, reference, actual):
    if model.task not in ("classification", "sequence"):
        return None
    return float(np.mean(reference[0].argmax(-1) == actual[0].argmax(-1)))


def accuracy(model, outputs):
    if model.labels is None:
        return None
    return float(np.mean(outputs[0].argmax(-1) == model.labels))


def output_lsb(qdq_path):
    """The scale of the last QuantizeLinear feeding each graph output."""
    graph = onnx.load(str(qdq_path)).graph
    producers = {o: n for n in graph.node for o in n.output}
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in graph.initializer}
    scales = []
    for output in graph.output:
        node = producers.get(output.name)
        while node is not None and node.op_type != "DequantizeLinear":
            node = producers.get(node.input[0]) if node.input else None
        scales.append(float(inits[node.input[1]].max()) if node else None)
    return scales


def imported_difference(ours, theirs, lsbs):
    """The largest difference between quantc and ONNX Runtime running the same
    QDQ model: in LSBs of the output scale where an output is dequantized,
    else relative to the output's largest magnitude."""
    lsb_diff, rel_diff = [], []
    for o, t, lsb in zip(ours, theirs, lsbs):
        diff = float(np.max(np.abs(o.astype(np.float64) - t)))
        if lsb:
            lsb_diff.append(diff / lsb)
        else:
            rel_diff.append(diff / max(float(np.max(np.abs(t))), 1e-12))
    return {"imported_max_lsb": max(lsb_diff) if lsb_diff else None,
            "imported_max_rel": max(rel_diff) if rel_diff else None}


def evaluate(model, estimator, workdir):
    calib, evaluation = model.calibration(), model.evaluation()
    calib_npz = workdir / "calib.npz"
    np.savez(calib_npz, **{model.input_name: calib})
    shape = shape_option(model)
    reference = ort_run(model.path, model.input_name, evaluation)
    row = {"model": model.name, "float_accuracy": accuracy(model, reference),
           "float_task": task_metric(model, reference)}

    for label, scope in (("quantc", "all"), ("quantc_layers", "layers")):
        start = time.perf_counter()
        ours = workdir / f"{label}.mlirbc"
        run([BIN / "quant-opt", model.path, shape,
             f"--qc-quantize-pipeline=data={calib_npz} estimator={estimator} scope={scope}",
             "--emit-bytecode", "-o", ours])
        row[f"{label}_compile_s"] = time.perf_counter() - start
        outputs = quantc_run(ours, model.input_name, evaluation, workdir)
        row.update({f"{label}_sqnr": sqnr(reference, outputs),
                    f"{label}_agreement": agreement(model, reference, outputs),
                    f"{label}_accuracy": accuracy(model, outputs),
                    f"{label}_task": task_metric(model, outputs)})

    for label, op_types in (("ort", None), ("ort_layers", ["Conv", "MatMul", "Gemm"])):
        try:
            qdq = ort_quantize(model, calib, workdir / f"{label}.onnx", estimator,
                               op_types)
        except Exception as error:  # ONNX Runtime's calibrator can fail.
            row[f"{label}_error"] = str(error).splitlines()[0][:200]
            row.update({f"{label}_sqnr": None, f"{label}_agreement": None,
                        f"{label}_accuracy": None, f"{label}_task": None})
            continue
        theirs = ort_run(qdq, model.input_name, evaluation)
        row.update({f"{label}_sqnr": sqnr(reference, theirs),
                    f"{label}_agreement": agreement(model, reference, theirs),
                    f"{label}_accuracy": accuracy(model, theirs),
                    f"{label}_task": task_metric(model, theirs)})
        if label == "ort_layers":
            # ONNX Runtime's QDQ model, imported and folded by quantc.
            imported = workdir / "imported.mlirbc"
            run([BIN / "quant-opt", qdq, shape, "--qc-simplify", "--qc-fold-scales",
                 "--emit-bytecode", "-o", imported])
            folded = quantc_run(imported, model.input_name, evaluation, workdir)
            row.update(imported_difference(folded, theirs, output_lsb(qdq)))
    return row


def fmt(value, digits=1):
    if value is None:
        return "–"
    return f"{value:.{digits}f}"


def task_text(row):
    """"cer 4.2 / 4.9 / 6.3" (%) or "–"."""
    values = [row.get(f"{k}_task") for k in ("float", "quantc", "ort")]
    if not values[0]:
        return "–"
    name = values[0]["metric"]
    return name + " " + " / ".join(
        "–" if not v else f"{100 * v[name]:.1f}" for v in values)


def markdown(rows, estimator):
    lines = [
        f"# int8 per-channel quantization accuracy ({estimator} calibration)",
        "",
        "Output SQNR (dB) against the float model on held-out data (higher is",
        "better), top-1 agreement with the float model (%) for classifiers",
        "and the text recognizer, and accuracy (%) where the model has labels.",
        "\"all\": every op quantc (scope=all) or ONNX Runtime (its default",
        "op types) can quantize; \"layers\": only Conv/MatMul/Gemm. ONNX",
        "Runtime is `quantize_static` (QDQ, per-channel, QInt8, same data,",
        "same estimator). The last columns import ONNX Runtime's \"layers\"",
        "QDQ model into quantc, fold it to integers, and compare with ONNX",
        "Runtime running it: in output LSBs where the output is dequantized,",
        "else relative to the output's largest magnitude. The OCR models'",
        "task metric (benchmarks/task_metrics.py) is scored against the text",
        "drawn on the evaluation images: character error rate for ppocr-rec,",
        "orientation accuracy for ppocr-cls, box F1 for ppocr-det (\"all\").",
        "quantc runs its default pipeline (equalization where measured to help).",
        "",
        "| model | quantc all | ORT all | quantc layers | ORT layers | agree quantc / ORT (all) | acc float / quantc / ORT | task float / quantc / ORT | imported QDQ max diff (LSB) | (relative) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    pct = lambda v: None if v is None else 100 * v  # noqa: E731
    for r in rows:
        lines.append(
            f"| {r['model']} | {fmt(r['quantc_sqnr'])} | {fmt(r['ort_sqnr'])} | "
            f"{fmt(r['quantc_layers_sqnr'])} | {fmt(r['ort_layers_sqnr'])} | "
            f"{fmt(pct(r['quantc_agreement']))} / {fmt(pct(r['ort_agreement']))} | "
            f"{fmt(pct(r['float_accuracy']))} / {fmt(pct(r['quantc_accuracy']))} / "
            f"{fmt(pct(r['ort_accuracy']))} | {task_text(r)} | "
            f"{fmt(r.get('imported_max_lsb'), 2)} | "
            f"{fmt(r.get('imported_max_rel'), 4)} |")
    errors = [f"- {r['model']}: ONNX Runtime failed: {r[k]}" for r in rows
              for k in ("ort_error", "ort_layers_error") if k in r]
    return "\n".join(lines + ([""] + errors if errors else [])) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--estimator", default="minmax", choices=sorted(ORT_METHODS))
    parser.add_argument("--models", default="")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args()
    wanted = set(filter(None, args.models.split(",")))
    rows = []
    for model in real_models():
        if wanted and model.name not in wanted:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            row = evaluate(model, args.estimator, pathlib.Path(tmp))
        print(json.dumps(row), flush=True)
        rows.append(row)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"quantization_accuracy_{args.estimator}"
    stem.with_suffix(".json").write_text(json.dumps(rows, indent=2) + "\n")
    stem.with_suffix(".md").write_text(markdown(rows, args.estimator))
    print(markdown(rows, args.estimator))


if __name__ == "__main__":
    main()
