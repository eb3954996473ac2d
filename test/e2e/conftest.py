"""Shared helpers: build ONNX models, run them through ONNX Runtime and
through quant-run's reference evaluator, and compare."""
import os
import pathlib
import subprocess

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import helper, TensorProto

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("QUANTC_BIN_DIR", ROOT / "build" / "bin"))


def quant_run(model_path, inputs, tmp_path, extra=()):
    """Runs the reference evaluator on `inputs` (dict name -> array)."""
    in_npz = tmp_path / "inputs.npz"
    out_npz = tmp_path / "outputs.npz"
    np.savez(in_npz, **inputs)
    proc = subprocess.run(
        [str(BIN / "quant-run"), str(model_path),
         "--inputs", str(in_npz), "--outputs", str(out_npz), *extra],
        capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    with np.load(out_npz) as data:
        return {k: data[k] for k in data.files}


def ort_run(model_path, inputs):
    sess = ort.InferenceSession(str(model_path),
                                providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, inputs)))


def max_rel_error(actual, expected, floor=1e-6):
    """Max absolute difference relative to the largest expected magnitude
    (at least `floor`, the scale below which differences are noise)."""
    actual = actual.astype(np.float64)
    expected = expected.astype(np.float64)
    # NaN must match NaN; everything else is compared by value.
    nan = np.isnan(expected)
    if np.any(np.isnan(actual) != nan):
        return float("inf")
    actual, expected = np.where(nan, 0, actual), np.where(nan, 0, expected)
    scale = max(np.max(np.abs(expected)), floor)
    return float(np.max(np.abs(actual - expected)) / scale) if expected.size else 0.0


def assert_parity(model_path, inputs, tmp_path, tol=1e-4, extra=(), floor=1e-6,
                  reference_path=None):
    expected = ort_run(reference_path or model_path, inputs)
    actual = quant_run(model_path, inputs, tmp_path, extra)
    assert set(actual) == set(expected)
    for name, exp in expected.items():
        got = actual[name]
        assert got.shape == exp.shape, (name, got.shape, exp.shape)
        if exp.dtype.kind in "iub":
            np.testing.assert_array_equal(got, exp.astype(got.dtype))
        else:
            err = max_rel_error(got, exp, floor)
            assert err <= tol, f"{name}: max relative error {err}"


def make_model(nodes, inputs, outputs, initializers=(), opset=17):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


@pytest.fixture
def parity(tmp_path):
    """parity(model, inputs, tol=...) saves the model and checks it."""
    def check(model, inputs, tol=1e-4, extra=(), reference=None):
        """`reference`: an equivalent model for ONNX Runtime where it lacks
        a form of the op under test."""
        path = tmp_path / "model.onnx"
        onnx.save(model, path)
        reference_path = None
        if reference is not None:
            reference_path = tmp_path / "reference.onnx"
            onnx.save(reference, reference_path)
        assert_parity(path, inputs, tmp_path, tol, extra, reference_path=reference_path)
    return check
