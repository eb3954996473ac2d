"""An accuracy budget scored by the user's own metric.

`quantc --max-drop` scores top-1 agreement or output noise inside the
compiler. A metric that needs labels (accuracy, character error rate, mAP)
lives in Python, so this module runs the same search from here: the model is
quantized with quant-opt and run with quant-run (the reference evaluator,
which computes what the compiled library computes) on the user's samples,
and scored by `metric(outputs)`, higher is better. Layers are kept at a
fallback precision, the most harmful first (each layer quantized alone),
the fewest that keep the score within `max_drop` of the float model's
(bisection), and each kept layer the budget does not need is then released.
The result is an override file for `quantc --overrides`.

Not thread-safe: it writes into its own temporary directory, one search at
a time per call.
"""
import json
import pathlib
import re
import subprocess
import tempfile

import numpy as np

FALLBACKS = {"i16": ("i16", "i8"), "f32": ("f32", "f32"), "bf16": ("bf16", "bf16"),
             "w8": ("f32", "i8")}


class _Trials:
    def __init__(self, find_tool, onnx_path, calibration, inputs, shape_args, pipeline,
                 metric, workdir):
        self.find_tool, self.onnx_path = find_tool, str(onnx_path)
        self.calibration = calibration
        self.shape_args, self.pipeline, self.metric = shape_args, pipeline, metric
        self.workdir = pathlib.Path(workdir)
        self.inputs = self.workdir / "budget.npz"
        np.savez(self.inputs, **inputs)

    def _tool(self, name, args):
        proc = subprocess.run([str(self.find_tool(name)), *map(str, args)],
                              capture_output=True, text=True)
        if proc.returncode:
            from .compiler import CompileError
            raise CompileError(proc.stderr.strip())
        return proc

    def layers(self):
        """The ONNX node names of the model's layers, in order."""
        text = self._tool("quant-opt", [self.onnx_path, *self.shape_args, "--qc-simplify",
                                        "--mlir-print-debuginfo",
                                        "--mlir-print-local-scope"]).stdout
        # loc("name") or, for layers with a folded BatchNorm, loc(fused["name", ...]).
        return re.findall(r'= qc\.(?:conv|matmul|gemm) .*loc\((?:fused\[)?"([^"]+)"', text)

    def score(self, rules=None):
        """The metric of the model quantized with the override `rules` (or
        the float model when None)."""
        ir = self.workdir / "trial.mlirbc"
        passes = ["--qc-simplify"]
        if rules is not None:
            overrides = self.workdir / "rules.json"
            overrides.write_text(json.dumps({"rules": rules}))
            data = ",".join(map(str, self.calibration))
            passes = [f"--qc-quantize-pipeline=data={data} overrides={overrides} "
                      f"{self.pipeline}"]
        self._tool("quant-opt", [self.onnx_path, *self.shape_args, *passes,
                                 "--emit-bytecode", "-o", ir])
        out = self.workdir / "out.npz"
        self._tool("quant-run", [ir, "--inputs", self.inputs, "--outputs", out])
        with np.load(out) as data:
            return float(self.metric([data[k] for k in data.files]))


def _rule(name, precision):
    activation, weight = precision
    return {"name": name, "activation": activation, "weight": weight}


def keep_within_budget(find_tool, onnx_path, calibration, inputs, metric, max_drop,
                       shape_args, pipeline, default, fallback=("i16", "f32")):
    """Runs the search; returns (rules, report). `default` is the
    (activation, weight) precision of the other layers, `pipeline` the
    qc-quantize-pipeline options besides data= and overrides=."""
    with tempfile.TemporaryDirectory(prefix="quantc-budget-") as workdir:
        trials = _Trials(find_tool, onnx_path, calibration, inputs, shape_args, pipeline,
                         metric, workdir)
        layers = trials.layers()
        reference = trials.score()
        drop = lambda rules: reference - trials.score(rules)  # noqa: E731
        report = {"float": reference, "layers": len(layers)}
        report["drop_default"] = drop([])
        if report["drop_default"] <= max_drop:
            return [], {**report, "kept": [], "drop": report["drop_default"]}
        for name in fallback:
            if name not in FALLBACKS:
                raise ValueError(f"unknown fallback precision '{name}' ({', '.join(FALLBACKS)})")
            keep = lambda kept: [_rule(layer, FALLBACKS[name]) for layer in kept]  # noqa
            if drop(keep(layers)) <= max_drop:
                break
        else:
            raise ValueError(f"no assignment keeps the metric within {max_drop} of the "
                             f"float model's {reference}, even every layer at {fallback[-1]}")
        harm = {layer: drop([_rule("*", FALLBACKS["f32"]), _rule(layer, default)])
                for layer in layers}
        order = sorted(layers, key=lambda layer: -harm[layer])
        fails, holds = 0, len(order)
        while holds - fails > 1:
            mid = (fails + holds) // 2
            if drop(keep(order[:mid])) <= max_drop:
                holds = mid
            else:
                fails = mid
        kept = order[:holds]
        for layer in reversed(list(kept)):
            fewer = [k for k in kept if k != layer]
            if drop(keep(fewer)) <= max_drop:
                kept = fewer
        return keep(kept), {**report, "kept": kept, "fallback": name,
                            "harm": {k: harm[k] for k in kept}, "drop": drop(keep(kept))}
