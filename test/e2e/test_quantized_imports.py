"""Models quantized by ONNX Runtime's own tools import into quantc and compute
what ONNX Runtime computes: dynamic quantization (DynamicQuantizeLinear +
MatMulInteger), int4 weight-only MatMulNBits, and QOperator models
(QLinearConv)."""
import subprocess

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import helper, numpy_helper, TensorProto
from onnxruntime import quantization as ortq

from conftest import BIN, ROOT, max_rel_error, quant_run


def ort_each(path, name, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return np.concatenate([session.run(None, {name: x[i:i + 1]})[0]
                           for i in range(len(x))])


def digits():
    with np.load(ROOT / "models" / "digits_test.npz") as data:
        return data["image"], data["label"]


def test_dynamic_quantization_is_exact(tmp_path):
    """DynamicQuantizeLinear's run-time scales and MatMulInteger's integer
    products reproduce ONNX Runtime bit for bit."""
    model = tmp_path / "dynamic.onnx"
    ortq.quantize_dynamic(str(ROOT / "models" / "digits_mlp.onnx"), str(model),
                          weight_type=ortq.QuantType.QInt8)
    ops = {n.op_type for n in onnx.load(str(model)).graph.node}
    assert {"DynamicQuantizeLinear", "MatMulInteger"} <= ops
    images, labels = digits()
    theirs = ort_each(model, "image", images)
    ours = quant_run(model, {"image": images}, tmp_path,
                     ["--input-shape", "image=1x1x8x8"])["logits"]
    np.testing.assert_array_equal(ours, theirs)
    assert np.mean(ours.argmax(1) == labels) >= 0.95


@pytest.mark.parametrize("symmetric", [False, True])
@pytest.mark.parametrize("block_size", [16, 32])
def test_matmul_nbits_matches(tmp_path, symmetric, block_size):
    """The dequantized weights are ONNX Runtime's exactly; the products agree
    to rounding: ONNX Runtime sums with FMA, the evaluator rounds every
    product and sum (independent of the machine)."""
    from onnxruntime.quantization.matmul_4bits_quantizer import MatMul4BitsQuantizer
    rng = np.random.default_rng(block_size)
    weight = rng.standard_normal((64, 48)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["A", "W"], ["Y"])], "g",
        [helper.make_tensor_value_info("A", TensorProto.FLOAT, [2, 5, 64])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2, 5, 48])],
        [numpy_helper.from_array(weight, "W")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    quantizer = MatMul4BitsQuantizer(model, block_size=block_size,
                                     is_symmetric=symmetric)
    quantizer.process()
    path = tmp_path / "nbits.onnx"
    quantizer.model.save_model_to_file(str(path))
    assert [n.op_type for n in onnx.load(str(path)).graph.node] == ["MatMulNBits"]
    a = rng.standard_normal((2, 5, 64)).astype(np.float32)
    theirs = ort.InferenceSession(str(path)).run(None, {"A": a})[0]
    # Through text IR too: the sub-channel type survives printing and parsing.
    text = tmp_path / "nbits.mlir"
    subprocess.run([str(BIN / "quant-opt"), str(path), "-o", str(text)], check=True)
    for source in (path, text):
        ours = quant_run(source, {"A": a}, tmp_path)["Y"]
        assert max_rel_error(ours, theirs) <= 1e-6


def test_qoperator_model(tmp_path):
    """ONNX Runtime's QOperator format (QLinearConv) imports and folds to
    integer layers; the outputs agree with ONNX Runtime's up to the
    requantization rounding (fixed-point against float)."""
    images, labels = digits()

    class Reader(ortq.CalibrationDataReader):
        def __init__(self):
            with np.load(ROOT / "models" / "digits_calib.npz") as data:
                self.items = iter([{"image": s[None]} for s in data["image"]])

        def get_next(self):
            return next(self.items, None)

    model = tmp_path / "qop.onnx"
    ortq.quantize_static(str(ROOT / "models" / "digits_cnn.onnx"), str(model),
                         Reader(), quant_format=ortq.QuantFormat.QOperator,
                         per_channel=True, op_types_to_quantize=["Conv"])
    assert "QLinearConv" in {n.op_type for n in onnx.load(str(model)).graph.node}
    folded = tmp_path / "folded.mlir"
    subprocess.run([str(BIN / "quant-opt"), str(model), "--input-shape",
                    "image=1x1x8x8", "--qc-simplify", "--qc-fold-scales", "-o",
                    str(folded)], check=True)
    assert "qc.qconv" in folded.read_text() and "qc.conv " not in folded.read_text()
    theirs = ort_each(model, "image", images)
    ours = quant_run(folded, {"image": images}, tmp_path)["logits"]
    assert np.max(np.abs(ours - theirs)) <= 0.01 * np.max(np.abs(theirs))
    assert np.mean(ours.argmax(1) == theirs.argmax(1)) >= 0.99
