"""The compile step: runs the quantc driver."""
import os
import pathlib
import shutil
import subprocess
import json
import tempfile

import numpy as np

from . import budget
from .runtime import Model


class CompileError(RuntimeError):
    """quantc rejected the model; the message is its diagnostic."""


def find_tool(name):
    """The path of a quantc executable: $QUANTC_HOME/bin, then PATH."""
    home = os.environ.get("QUANTC_HOME")
    if home:
        candidate = pathlib.Path(home) / "bin" / name
        if candidate.exists():
            return candidate
    found = shutil.which(name)
    if found:
        return pathlib.Path(found)
    raise FileNotFoundError(f"cannot find '{name}': set QUANTC_HOME to a quantc "
                            "build or install directory")


def _shape_args(input_shapes):
    return [f"--input-shape={name}=" + "x".join(str(d) for d in shape)
            for name, shape in (input_shapes or {}).items()]


def _calibration_paths(calibration):
    return calibration if isinstance(calibration, (list, tuple)) else [calibration]


def _quantization_args(calibration, input_shapes, activation, weight, scope,
                       estimator, overrides):
    args = _shape_args(input_shapes)
    if calibration is not None:
        for path in _calibration_paths(calibration):
            args += ["--calib", str(path)]
        args += ["--activation", activation, "--weight", weight, "--scope", scope,
                 "--estimator", estimator]
        if overrides:
            args += ["--overrides", str(overrides)]
    return args


def _budget_args(workdir, onnx_path, calibration, input_shapes, activation, weight,
                 scope, estimator, adjustments, max_drop, metric, fallback, budget_data):
    """quantc options for an accuracy budget; a callable metric runs the
    search here (budget.py) and becomes an override file."""
    if not callable(metric):
        args = ["--max-drop", str(max_drop), "--metric", metric]
        if fallback:
            args += ["--fallback", ",".join(fallback)]
        return args, None
    if budget_data is None:
        raise ValueError("a metric function needs budget_data (the inputs it scores)")
    with np.load(budget_data) as data:
        inputs = {k: data[k] for k in data.files}
    pipeline = " ".join([f"activation={activation} weight={weight} scope={scope}",
                         f"estimator={estimator} budget-data={budget_data}", *adjustments])
    rules, report = budget.keep_within_budget(
        find_tool, onnx_path, _calibration_paths(calibration), inputs, metric, max_drop,
        _shape_args(input_shapes), pipeline, (activation, weight),
        tuple(fallback or ("i16", "f32")))
    overrides = pathlib.Path(workdir) / "budget-overrides.json"
    overrides.write_text(json.dumps({"rules": rules}))
    return ["--overrides", str(overrides)], report


def _run_quantc(args):
    proc = subprocess.run([str(find_tool("quantc")), *map(str, args)],
                          capture_output=True, text=True)
    if proc.returncode:
        raise CompileError(proc.stderr.strip())


def compile(onnx_path, calibration=None, target="cpu", target_cpu="host",
            output=None, input_shapes=None, activation="i8", weight="i8",
            scope="all", estimator="minmax", overrides=None,
            rounding="half_to_even", threads=1, gpu_arch="sm_80", load=True,
            float_mode="exact", equalize=True, bias_correction=False,
            rounding_search=False, max_drop=None, metric="agreement", fallback=None,
            budget_data=None, gptq=False, weight_scheme="symmetric"):
    """Compiles `onnx_path` and returns the loaded Model.

    target: "cpu" (target_cpu picks the instruction set) or "cuda"
        (gpu_arch picks the GPU: sm_80, sm_86, sm_89, sm_90, ...).
    float_mode: "exact" (float layers compute as the reference evaluator
        does, bit for bit) or "fast" (CPU: FMA, reordered sums, polynomial
        math, and float layers on bf16 operands where the CPU has AMX-BF16;
        see docs/README.md for its tolerance).
    load: False returns the library's path instead of loading it (a CUDA
        library loads only where the NVIDIA driver is installed).

    calibration: .npz file(s) or directories of inputs; without it the model
        is compiled in float.
    output: where the library goes (default: a temporary directory that
        lives as long as the returned Model).
    input_shapes: {"input": (1, 3, 224, 224)} for inputs with dynamic dims.
    weight_scheme: "asymmetric" gives the weights of weight-only layers
        (float activations, e.g. int4 by overrides) a zero point per scale.

    With calibration, int8 accuracy techniques (docs/README.md, "Lossless
    int8"): equalize (cross-layer equalization where measured to help, on by
    default), bias_correction, rounding_search (learned rounding), gptq
    (GPTQ rounding with act-order and least-squares scales), and an
    accuracy budget: max_drop keeps the fewest layers at a fallback
    precision (fallback, default ("i16", "f32")) so that metric drops at most
    that much on budget_data (held-out samples: an .npz path or {input:
    stacked samples}; default: the calibration data), which equalization's
    choice is scored on too. metric is "agreement" (top-1, as a
    fraction: 0.01 is 1 %), "sqnr" (relative output noise power), or a
    function scoring a list of output arrays (one per model output, samples
    stacked), higher is better, with max_drop in its units; the search then
    runs here (quantc.budget) and the returned Model's `budget` says which
    layers were kept and why.
    """
    if target not in ("cpu", "cuda"):
        raise ValueError(f"unsupported target '{target}' (cpu, cuda)")
    if output is None and not load:
        raise ValueError("load=False needs an output path")
    workdir = None
    if output is None:
        workdir = tempfile.TemporaryDirectory(prefix="quantc-")
        output = pathlib.Path(workdir.name) / (pathlib.Path(onnx_path).stem + ".so")
    args = [onnx_path, "-o", output, "--target", target, "--target-cpu", target_cpu,
            *_quantization_args(calibration, input_shapes, activation, weight, scope,
                                estimator, overrides)]
    report, scratch = None, None
    if calibration is not None:
        adjustments = [f"equalize={'true' if equalize else 'false'}",
                       f"weight-scheme={weight_scheme}"]
        if bias_correction:
            adjustments.append("bias-correction=true")
        if rounding_search:
            adjustments.append("rounding-search=true")
        if gptq:
            adjustments += ["gptq=true", "gptq-act-order=true", "weight-range=mse"]
        args += [f"--equalize={'true' if equalize else 'false'}",
                 "--weight-scheme", weight_scheme,
                 *(["--bias-correction"] if bias_correction else []),
                 *(["--rounding-search"] if rounding_search else []),
                 *(["--gptq", "--gptq-act-order", "--weight-range", "mse"] if gptq else [])]
        scratch = tempfile.TemporaryDirectory(prefix="quantc-budget-")
        if budget_data is not None:
            if not isinstance(budget_data, (str, pathlib.Path)):
                path = pathlib.Path(scratch.name) / "budget.npz"
                np.savez(path, **budget_data)
                budget_data = path
            args += ["--budget-data", str(budget_data)]
        if max_drop is not None:
            if overrides and callable(metric):
                raise ValueError("a metric function writes its own overrides; "
                                 "drop overrides= or use metric='agreement'/'sqnr'")
            extra, report = _budget_args(scratch.name, onnx_path, calibration, input_shapes,
                                         activation, weight, scope, estimator, adjustments,
                                         max_drop, metric, fallback, budget_data)
            args += extra
    elif max_drop is not None or gptq:
        raise ValueError("max_drop and gptq need calibration data")
    if target == "cuda":
        args += ["--gpu-arch", gpu_arch]
    if float_mode != "exact":
        args += ["--float-mode", float_mode]
    if calibration is not None:
        args += ["--rounding", rounding]
    try:
        _run_quantc(args)
    finally:
        if scratch:
            scratch.cleanup()
    if not load:
        return pathlib.Path(output)
    model = Model(output, threads=threads)
    model._workdir = workdir  # keeps a temporary library alive
    model.budget = report
    return model


def quantize(onnx_path, calibration, output, input_shapes=None, activation="i8",
             weight="i8", scope="all", estimator="minmax", overrides=None):
    """Writes `output`: the ONNX model quantized by quantc in QDQ form
    (QuantizeLinear / DequantizeLinear pairs with quantc's scales and zero
    points, 8-bit weight initializers), for ONNX Runtime and other runtimes.
    Returns the output path. Precisions QDQ cannot hold (4-bit, block-wise
    scales) raise CompileError."""
    _run_quantc([onnx_path, "-o", output, "--target", "onnx-qdq",
                 *_quantization_args(calibration, input_shapes, activation, weight,
                                     scope, estimator, overrides)])
    return pathlib.Path(output)
