"""The Python package against the reference evaluator: compile the bundled
digits models in float and int8 and call them with numpy."""
import json
import os
import pathlib
import subprocess

import numpy as np
import pytest

import quantc

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("QUANTC_HOME", ROOT / "build")) / "bin"


def digits():
    with np.load(ROOT / "models" / "digits_test.npz") as data:
        return data["image"], data["label"]


def reference(model_path, ir, image, tmp_path):
    np.savez(tmp_path / "in.npz", image=image)
    subprocess.run([BIN / "quant-run", ir, "--inputs", tmp_path / "in.npz",
                    "--outputs", tmp_path / "out.npz"], check=True)
    with np.load(tmp_path / "out.npz") as data:
        return data["logits"]


@pytest.mark.parametrize("name", ["digits_mlp", "digits_cnn"])
def test_int8_model_is_exact_and_accurate(name, tmp_path):
    images, labels = digits()
    model = quantc.compile(ROOT / "models" / f"{name}.onnx",
                           calibration=ROOT / "models" / "digits_calib.npz",
                           input_shapes={"image": (1, 1, 8, 8)},
                           output=tmp_path / "model.so")
    assert [i["name"] for i in model.inputs] == ["image"]
    assert model.outputs[0]["shape"] == (1, 10)
    assert model.manifest["layers"][0]["precision"]["weight"] == "i8"
    logits = np.concatenate([model(image=x[None])["logits"] for x in images])
    assert (logits.argmax(1) == labels).mean() >= 0.93
    # Bit for bit what the reference evaluator computes on the same IR.
    ir = tmp_path / "int8.mlir"
    subprocess.run([BIN / "quantc", ROOT / "models" / f"{name}.onnx", "--input-shape",
                    "image=1x1x8x8", "--calib", ROOT / "models" / "digits_calib.npz",
                    "--save-ir", ir, "-o", tmp_path / "again.so"], check=True)
    np.testing.assert_array_equal(logits[:5], reference(name, ir, images[:5], tmp_path))


def test_float_model_positional_inputs():
    images, _ = digits()
    model = quantc.compile(ROOT / "models" / "digits_mlp.onnx",
                           input_shapes={"image": (1, 1, 8, 8)}, threads=2)
    by_position = model(images[:1])["logits"]
    by_name = model(image=images[:1])["logits"]
    np.testing.assert_array_equal(by_position, by_name)


def test_fast_float_mode():
    """float_mode="fast" compiles the float model with the fast mode (the
    manifest says so) and keeps its choices; an unknown mode is an error."""
    images, labels = digits()
    exact = quantc.compile(ROOT / "models" / "digits_cnn.onnx", input_shapes={"image": (8, 1, 8, 8)})
    fast = quantc.compile(ROOT / "models" / "digits_cnn.onnx", input_shapes={"image": (8, 1, 8, 8)},
                          float_mode="fast")
    assert exact.manifest["float_mode"] == "exact" and fast.manifest["float_mode"] == "fast"
    expected, actual = exact(images[:8])["logits"], fast(images[:8])["logits"]
    np.testing.assert_array_equal(actual.argmax(1), expected.argmax(1))
    assert np.max(np.abs(actual - expected)) <= 5e-3 * np.max(np.abs(expected))
    with pytest.raises(RuntimeError, match="unknown --float-mode 'quick'"):
        quantc.compile(ROOT / "models" / "digits_cnn.onnx", input_shapes={"image": (8, 1, 8, 8)},
                       float_mode="quick")


def test_cuda_target(tmp_path):
    """target="cuda" writes a CUDA library; load=False returns its path (it
    loads only where the NVIDIA driver is)."""
    if not (BIN.parent / "lib" / "libquantc_cuda.a").exists():
        pytest.skip("quantc was built without the CUDA toolkit")
    path = quantc.compile(ROOT / "models" / "digits_cnn.onnx",
                          calibration=ROOT / "models" / "digits_calib.npz",
                          input_shapes={"image": (1, 1, 8, 8)}, target="cuda",
                          gpu_arch="sm_90", output=tmp_path / "gpu.so", load=False)
    assert path == tmp_path / "gpu.so" and path.exists()
    manifest = json.loads(path.with_suffix(".json").read_text())
    assert manifest["target"] == "cuda" and manifest["gpu_arch"] == "sm_90"
    cpu = quantc.compile(ROOT / "models" / "digits_mlp.onnx",
                         input_shapes={"image": (1, 1, 8, 8)})
    assert cpu.target == "cpu"
    with pytest.raises(RuntimeError, match="not a CUDA artifact"):
        cpu.run_device([0], [0])
    with pytest.raises(ValueError, match="unsupported target"):
        quantc.compile(ROOT / "models" / "digits_mlp.onnx", target="rocm")
    with pytest.raises(quantc.CompileError, match="unsupported --gpu-arch"):
        quantc.compile(ROOT / "models" / "digits_mlp.onnx", target="cuda", gpu_arch="sm_70",
                       input_shapes={"image": (1, 1, 8, 8)}, output=tmp_path / "x.so",
                       load=False)


def test_errors():
    model = quantc.compile(ROOT / "models" / "digits_mlp.onnx",
                           input_shapes={"image": (1, 1, 8, 8)})
    with pytest.raises(ValueError, match="expects"):
        model(image=np.zeros((2, 1, 8, 8), np.float32))
    with pytest.raises(TypeError, match="missing input 'image'"):
        model()
    with pytest.raises(quantc.CompileError, match="dynamic dimensions"):
        quantc.compile(ROOT / "models" / "digits_mlp.onnx")


def test_quantize_writes_a_qdq_model(tmp_path):
    """quantc.quantize writes the model with quantc's quantization as QDQ
    nodes; ONNX Runtime runs it as accurately as quantc's own int8 build."""
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    images, labels = digits()
    path = quantc.quantize(ROOT / "models" / "digits_cnn.onnx",
                           calibration=ROOT / "models" / "digits_calib.npz",
                           output=tmp_path / "digits.qdq.onnx",
                           input_shapes={"image": (1, 1, 8, 8)})
    ops = [node.op_type for node in onnx.load(str(path)).graph.node]
    assert ops.count("QuantizeLinear") >= 4 and ops.count("DequantizeLinear") >= 7
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    logits = np.concatenate([session.run(None, {"image": x[None]})[0] for x in images])
    assert (logits.argmax(1) == labels).mean() >= 0.93
    with pytest.raises(quantc.CompileError, match="8-bit"):
        quantc.quantize(ROOT / "models" / "digits_cnn.onnx",
                        calibration=ROOT / "models" / "digits_calib.npz",
                        output=tmp_path / "int4.onnx", weight="i4", activation="f32",
                        input_shapes={"image": (1, 1, 8, 8)})
    assert not (tmp_path / "int4.onnx").exists()


def test_int8_techniques_and_accuracy_budget():
    """equalize / bias_correction / rounding_search reach quantc, and a
    Python metric (accuracy against the labels) drives the budget search."""
    images, labels = digits()
    calib = ROOT / "models" / "digits_calib.npz"
    shapes = {"image": (1, 1, 8, 8)}
    plain = quantc.compile(ROOT / "models" / "digits_cnn.onnx", calibration=calib,
                           input_shapes=shapes, equalize=False)
    tuned = quantc.compile(ROOT / "models" / "digits_cnn.onnx", calibration=calib,
                           input_shapes=shapes, bias_correction=True, rounding_search=True)
    x = images[:40]
    plain_out = np.concatenate([plain(image=i[None])["logits"] for i in x])
    tuned_out = np.concatenate([tuned(image=i[None])["logits"] for i in x])
    assert not np.array_equal(plain_out, tuned_out)  # the weights changed
    by_gptq = quantc.compile(ROOT / "models" / "digits_cnn.onnx", calibration=calib,
                             input_shapes=shapes, equalize=False, gptq=True)
    gptq_out = np.concatenate([by_gptq(image=i[None])["logits"] for i in x])
    assert not np.array_equal(plain_out, gptq_out)
    with pytest.raises(ValueError, match="need calibration data"):
        quantc.compile(ROOT / "models" / "digits_cnn.onnx", input_shapes=shapes, gptq=True)

    def accuracy(outputs):
        return float((outputs[0].argmax(-1) == labels).mean())

    # All-int8 loses one of the 360 test images; the budget of no loss keeps
    # the layer that costs it.
    budgeted = quantc.compile(ROOT / "models" / "digits_cnn.onnx", calibration=calib,
                              input_shapes=shapes, max_drop=0.0, metric=accuracy,
                              fallback=("i16", "f32"), budget_data={"image": images})
    report = budgeted.budget
    assert report["layers"] == 3 and report["drop_default"] > 0
    assert 0 < len(report["kept"]) < 3 and report["drop"] <= 0
    got = np.concatenate([budgeted(image=i[None])["logits"] for i in images])
    assert (got.argmax(-1) == labels).mean() >= report["float"]
    with pytest.raises(ValueError, match="needs budget_data"):
        quantc.compile(ROOT / "models" / "digits_cnn.onnx", calibration=calib,
                       input_shapes=shapes, max_drop=0.01, metric=accuracy)
    with pytest.raises(ValueError, match="max_drop and gptq need calibration"):
        quantc.compile(ROOT / "models" / "digits_cnn.onnx", input_shapes=shapes,
                       max_drop=0.01)


def test_asymmetric_weight_only_layers():
    """weight_scheme reaches quantc: int4 weight-only layers (float
    activations) with a zero point per channel compute other outputs than
    symmetric ones, and the model still classifies."""
    images, labels = digits()
    calib = ROOT / "models" / "digits_calib.npz"
    outputs = {}
    for scheme in ("symmetric", "asymmetric"):
        model = quantc.compile(ROOT / "models" / "digits_mlp.onnx", calibration=calib,
                               activation="f32", weight="i4", weight_scheme=scheme,
                               input_shapes={"image": (1, 1, 8, 8)})
        outputs[scheme] = np.concatenate([model(image=i[None])["logits"] for i in images])
    assert not np.array_equal(outputs["symmetric"], outputs["asymmetric"])
    for got in outputs.values():
        assert (got.argmax(-1) == labels).mean() > 0.9
    with pytest.raises(RuntimeError, match="weight-scheme"):
        quantc.compile(ROOT / "models" / "digits_mlp.onnx", calibration=calib,
                       activation="f32", weight="i4", weight_scheme="zero",
                       input_shapes={"image": (1, 1, 8, 8)})
