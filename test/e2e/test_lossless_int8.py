"""Lossless int8 techniques end to end: cross-layer equalization leaves real
float models unchanged, learned rounding and bias correction lower a layer's
error where rounding to nearest is poor, and the accuracy budget keeps the
layers it needs at a higher precision."""
import re
import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from conftest import BIN, ROOT, quant_run

sys.path.insert(0, str(ROOT / "benchmarks"))
from datasets import real_models  # noqa: E402

MODELS = {m.name: m for m in real_models()}


def quant_opt(args, tmp_path, name="out.mlirbc"):
    out = tmp_path / name
    proc = subprocess.run([str(BIN / "quant-opt"), *map(str, args), "--emit-bytecode",
                           "-o", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return out, proc.stderr


def shape_option(model):
    return f"--input-shape={model.input_name}=" + "x".join(map(str, model.shape))


# The equalized float model computes exactly what the float model does.
@pytest.mark.parametrize("name", ["digits_cnn", "ppocr-cls", "ppocr-det", "ppocr-rec",
                                  "yolov8n-nudenet"])
@pytest.mark.parametrize("method", ["weights", "noise"])
def test_equalization_keeps_the_float_model(name, method, tmp_path):
    if name not in MODELS:
        pytest.skip(f"{name} is not installed")
    model = MODELS[name]
    calib = tmp_path / "calib.npz"
    np.savez(calib, **{model.input_name: model.calibration()[:4]})
    x = model.evaluation()[:2]
    plain, _ = quant_opt([model.path, shape_option(model), "--qc-simplify"], tmp_path, "f.mlirbc")
    equalized, remarks = quant_opt(
        [model.path, shape_option(model), "--qc-simplify",
         f"--qc-equalize=method={method} data={calib}"], tmp_path, "e.mlirbc")
    expected = quant_run(plain, {model.input_name: x}, tmp_path)
    actual = quant_run(equalized, {model.input_name: x}, tmp_path)
    # Power-of-two scales: every product and sum is the original's, scaled.
    for key in expected:
        np.testing.assert_array_equal(actual[key], expected[key], err_msg=key)
    pairs = re.search(r"(\d+) of (\d+) layer pairs rescaled", remarks)
    if name.startswith("ppocr"):  # the others have no pairs (SiLU, pooling)
        assert pairs and int(pairs[2]) > 0, remarks


def gemm_model(path, weights, bias):
    """y = x W^T + b for one output, x of 3 features."""
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1, name="layer")],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1])],
        [helper.make_tensor("w", TensorProto.FLOAT, [1, 3], weights),
         helper.make_tensor("b", TensorProto.FLOAT, [1], [bias])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)


def test_rounding_search_and_bias_correction_lower_the_error(tmp_path):
    # Two weights 63.4 steps of the scale, multiplying inputs that are
    # always equal (and have mean 2): rounding both down errs twice the same
    # way, so the layer's output is biased and its error large.
    rng = np.random.default_rng(1)
    u, v = rng.uniform(-1, 1, 256), rng.uniform(1, 3, 256)
    x = np.stack([u, v, v], 1).astype(np.float32)[:, None, :]
    calib, test = tmp_path / "calib.npz", x[128:]
    np.savez(calib, x=x[:128])
    path = tmp_path / "gemm.onnx"
    w = [1.0, 63.4 / 127, 63.4 / 127]
    gemm_model(path, w, 0.5)
    expected = (test[:, 0, :] @ np.array(w, np.float32) + 0.5)[:, None]

    def error(options):
        out, _ = quant_opt([path, f"--qc-quantize=activation=f32 {options}"], tmp_path)
        y = quant_run(out, {"x": test[:, 0, :]}, tmp_path)["y"]
        return float(np.mean((y.reshape(expected.shape) - expected) ** 2))

    nearest = error("")
    searched = error(f"rounding-search=true data={calib}")
    corrected = error(f"bias-correction=true data={calib}")
    assert searched < 0.2 * nearest, (searched, nearest)
    assert corrected < 0.2 * nearest, (corrected, nearest)


def quantc(model, args):
    return subprocess.run([str(BIN / "quantc"), str(model.path), shape_option(model),
                           *map(str, args)], capture_output=True, text=True)


def test_accuracy_budget_keeps_the_sensitive_layers(tmp_path):
    model = MODELS["digits_cnn"]
    calib, budget = tmp_path / "calib.npz", tmp_path / "budget.npz"
    np.savez(calib, **{model.input_name: model.calibration()})
    np.savez(budget, **{model.input_name: model.evaluation()[:64]})
    ir = tmp_path / "q.mlir"
    # All-int8 keeps about 3e-4 of the output's power as noise (35 dB); a
    # budget of 1e-4 (40 dB) needs some layers at a higher precision.
    proc = quantc(model, ["-o", tmp_path / "m.so", "--calib", calib,
                          "--max-drop", "0.01%", "--metric", "sqnr", "--budget-data", budget,
                          "--remarks", "--save-ir", ir])
    assert proc.returncode == 0, proc.stderr
    kept = re.search(r"accuracy budget: sqnr drop ([0-9.]+)% with every layer at the "
                     r"default precision, ([0-9.]+)% with (\d+) of (\d+) layers at (\w+)",
                     proc.stderr)
    assert kept, proc.stderr
    assert float(kept[2]) <= 0.01 < float(kept[1])
    assert 0 < int(kept[3]) <= int(kept[4])
    text = ir.read_text()
    assert text.count(f"kept at {kept[5]} for the accuracy budget (sqnr drop <= 0.01%)") \
        == int(kept[3])


@pytest.mark.parametrize("value", ["abc", "150%", "1.5", "-1"])
def test_max_drop_is_checked(value, tmp_path):
    model = MODELS["digits_mlp"]
    calib = tmp_path / "calib.npz"
    np.savez(calib, **{model.input_name: model.calibration()[:8]})
    proc = quantc(model, ["-o", tmp_path / "m.so", "--calib", calib, "--max-drop", value])
    assert proc.returncode != 0
    assert f"--max-drop '{value}' is not a fraction in [0, 1) or a percentage" in proc.stderr
    assert not (tmp_path / "m.so").exists()


def test_max_drop_needs_calibration(tmp_path):
    proc = quantc(MODELS["digits_mlp"], ["-o", tmp_path / "m.so", "--max-drop", "1%"])
    assert proc.returncode != 0 and "--max-drop, --budget-data, --gptq, --awq and --smooth-quant need --calib" in proc.stderr
