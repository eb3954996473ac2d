"""TOSA export and import, checked two independent ways against the reference
evaluator, bit for bit:

- round trip: qc -> convert-qc-to-tosa -> convert-tosa-to-qc -> evaluator;
- upstream semantics: the exported TOSA lowered by stock mlir-opt-22's
  tosa-to-linalg passes (upstream's reading of TOSA, not ours), compiled by
  quantc and run on inputs quantized the way qc.quantize does."""
import re
import subprocess

import numpy as np
import onnx
import pytest
from onnx import helper

from conftest import BIN, ROOT, make_model, quant_run
from op_builders import const, rand, vi
from test_combination_parity import COMBOS
from test_op_parity import CASES

MLIR_OPT = "/usr/lib/llvm-22/bin/mlir-opt"
UPSTREAM_TOSA_LOWERING = ("builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,"
                          "tosa-to-arith{include-apply-rescale=true},tosa-to-tensor))")


def tosa_cnn_model():
    """Every op the export covers: strided conv whose windows do not divide
    evenly, fused Relu, max pooling, depthwise conv, residual add, sigmoid
    table, concat, flatten and a fully connected layer."""
    nodes = [
        helper.make_node("Conv", ["X", "w1", "b1"], ["c1"], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[3, 3], strides=[2, 2],
                         pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["p1", "w2", "b2"], ["d1"], group=8, pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["d1", "p1"], ["a1"]),
        helper.make_node("Sigmoid", ["a1"], ["s1"]),
        helper.make_node("Conv", ["s1", "w3"], ["c3"]),
        helper.make_node("Conv", ["s1", "w4"], ["c4"]),
        helper.make_node("Concat", ["c3", "c4"], ["cat"], axis=1),
        helper.make_node("Flatten", ["cat"], ["flat"]),
        helper.make_node("Gemm", ["flat", "fw", "fb"], ["Y"]),
    ]
    inits = [const("w1", rand(8, 3, 3, 3)), const("b1", rand(8)),
             const("w2", rand(8, 1, 3, 3)), const("b2", rand(8)),
             const("w3", rand(4, 8, 1, 1)), const("w4", rand(4, 8, 1, 1)),
             const("fw", rand(128, 10)), const("fb", rand(10))]
    return make_model(nodes, [vi("X", [1, 3, 16, 16])], [vi("Y", None)], inits), \
        {"X": rand(1, 3, 16, 16)}


# Op cases whose quantized graphs TOSA expresses.
EXPORTED_CASES = ["Concat", "Conv", "ConvDepthwise5x5", "ConvDepthwiseSame", "ConvSameLower",
                  "MatMul2D", "Split13", "Transpose"]
MODELS = {"tosa_cnn": tosa_cnn_model(), **{c: {**CASES, **COMBOS}[c] for c in EXPORTED_CASES}}


def run(args):
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc


def quantize(model, inputs, tmp_path, rounding="half_up"):
    onnx.save(model, tmp_path / "model.onnx")
    np.savez(tmp_path / "calib.npz", **inputs)
    pipeline = (f"builtin.module(qc-simplify,qc-quantize-pipeline{{data={tmp_path}/calib.npz "
                f"rounding={rounding}}})")
    run([BIN / "quant-opt", tmp_path / "model.onnx", f"--pass-pipeline={pipeline}",
         "-o", tmp_path / "int8.mlir"])
    return tmp_path / "int8.mlir"


QTYPE = re.compile(r"qc\.quant_type = tensor<[^!]*!quant\.uniform<i8:f32, "
                   r"([-+0-9.eE]+)(?::(-?\d+))?>>")


def boundary_types(tosa_text):
    """(scale, zero point) of each argument and result of @main, None where
    it stayed float."""
    signature = next(line for line in tosa_text.splitlines() if "func.func @main" in line)
    args, results = signature.split(") -> ", 1)

    def parse(part):  # every argument and result has a qc.name, sorted first
        types = []
        for attrs in part.split("qc.name")[1:]:
            m = QTYPE.search(attrs)
            types.append(m and (np.float32(float(m.group(1))), int(m.group(2) or 0)))
        return types
    return parse(args), parse(results)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_tosa_round_trip_and_upstream_lowering(name, tmp_path):
    model, inputs = MODELS[name]
    int8 = quantize(model, inputs, tmp_path)
    expected = quant_run(int8, inputs, tmp_path)

    tosa = tmp_path / "model.tosa.mlir"
    run([BIN / "quant-opt", int8, "--convert-qc-to-tosa", "-o", tosa])
    text = tosa.read_text()
    assert "tosa." in text and "qc." not in text.replace("qc.name", "").replace(
        "qc.quant_type", "").replace("qc.range", "")

    run([MLIR_OPT, tosa, "--tosa-attach-target=profiles=pro_int,pro_fp level=none",
         "--tosa-validate=strict-op-spec-alignment", "-o", "/dev/null"])

    back = tmp_path / "back.mlir"
    run([BIN / "quant-opt", tosa, "--convert-tosa-to-qc", "-o", back])
    actual = quant_run(back, inputs, tmp_path)
    for key, value in expected.items():
        np.testing.assert_array_equal(actual[key], value, err_msg=key)

    linalg = tmp_path / "linalg.mlir"
    run([MLIR_OPT, tosa, f"--pass-pipeline={UPSTREAM_TOSA_LOWERING}", "-o", linalg])
    library = tmp_path / "tosa.so"
    run([BIN / "quantc", linalg, "-o", library])
    arg_types, result_types = boundary_types(text)
    assert len(arg_types) == len(inputs) and len(result_types) == len(expected)
    quantized = {}
    for (key, x), qtype in zip(inputs.items(), arg_types):
        quantized[key] = x if qtype is None else \
            np.clip(np.rint(x / qtype[0]) + qtype[1], -128, 127).astype(np.int8)
    outputs = quant_run(library, quantized, tmp_path)
    for (key, value), qtype in zip(expected.items(), result_types):
        actual = outputs[key]
        if qtype is not None:
            assert actual.dtype == np.int8
            actual = (actual.astype(np.float32) - np.float32(qtype[1])) * qtype[0]
        np.testing.assert_array_equal(actual, value, err_msg=key)


def test_digits_mlp_exports(tmp_path):
    with np.load(ROOT / "models" / "digits_calib.npz") as data:
        calib = {k: data[k][:1] for k in data.files}
    model = onnx.load(ROOT / "models" / "digits_mlp.onnx")
    int8 = tmp_path / "int8.mlir"
    np.savez(tmp_path / "calib.npz", **calib)
    run([BIN / "quantc", ROOT / "models" / "digits_mlp.onnx", "--input-shape", "image=1x1x8x8",
         "--calib", ROOT / "models" / "digits_calib.npz", "--rounding", "half_up",
         "--save-ir", int8, "-o", tmp_path / "m.so"])
    tosa, back = tmp_path / "m.tosa.mlir", tmp_path / "back.mlir"
    run([BIN / "quant-opt", int8, "--convert-qc-to-tosa", "-o", tosa])
    run([BIN / "quant-opt", tosa, "--convert-tosa-to-qc", "-o", back])
    with np.load(ROOT / "models" / "digits_test.npz") as data:
        images = {"image": data["image"][:1]}
    assert model.graph.input[0].name == "image"
    expected = quant_run(int8, images, tmp_path)
    actual = quant_run(back, images, tmp_path)
    np.testing.assert_array_equal(actual["logits"], expected["logits"])


def test_default_rounding_is_refused(tmp_path):
    model, inputs = MODELS["Conv"]
    int8 = quantize(model, inputs, tmp_path, rounding="half_to_even")
    tosa = tmp_path / "model.tosa.mlir"
    proc = subprocess.run([str(BIN / "quant-opt"), str(int8), "--convert-qc-to-tosa",
                           "-o", str(tosa)], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "rounding=half_up" in proc.stderr
    assert not tosa.exists()
