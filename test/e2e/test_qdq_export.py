"""quantc's quantization written as an ONNX QDQ model (quantc --target
onnx-qdq): ONNX Runtime reads it, and computes what quantc's evaluator
computes on the same quantized graph, up to ONNX Runtime's own integer
rounding (its QDQ fusions run integer kernels)."""
import subprocess

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper

from conftest import BIN, ROOT, quant_run
from test_op_parity import COMBOS


def export(model_path, calib, output, extra=()):
    return subprocess.run([str(BIN / "quantc"), str(model_path), "--calib", str(calib),
                           "--target", "onnx-qdq", "-o", str(output), *map(str, extra)],
                          capture_output=True, text=True)


def output_scale(model):
    """The scale of the QuantizeLinear feeding the graph output's producer."""
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    scales = [inits[n.input[1]] for n in model.graph.node if n.op_type == "QuantizeLinear"]
    return float(np.max(scales[-1]))


@pytest.mark.parametrize("name, shape", [("digits_cnn", "image=1x1x8x8"),
                                         ("digits_mlp", "image=1x1x8x8")])
def test_real_model_qdq_agrees_with_the_evaluator(name, shape, tmp_path):
    qdq, ir = tmp_path / "model.qdq.onnx", tmp_path / "int8.mlir"
    proc = export(ROOT / "models" / f"{name}.onnx", ROOT / "models" / "digits_calib.npz",
                  qdq, ["--input-shape", shape, "--save-ir", ir])
    assert proc.returncode == 0, proc.stderr
    model = onnx.load(str(qdq))
    onnx.checker.check_model(model)
    weights = [t for t in model.graph.initializer if t.data_type == onnx.TensorProto.INT8]
    assert weights, "quantized weights are int8 initializers"
    with np.load(ROOT / "models" / "digits_test.npz") as data:
        images = data["image"][:64]
    session = ort.InferenceSession(str(qdq), providers=["CPUExecutionProvider"])
    theirs = np.concatenate([session.run(None, {"image": x[None]})[0] for x in images])
    ours = quant_run(ir, {"image": images}, tmp_path)["logits"]
    # Both quantize the logits with the same scale: at most a step apart, and
    # the same class nearly always.
    step = output_scale(model)
    assert np.max(np.abs(ours - theirs)) <= 2 * step + 1e-6
    assert np.mean(ours.argmax(1) == theirs.argmax(1)) >= 0.98


def export_case(name, tmp_path):
    """Exports COMBOS[name] calibrated on its own inputs; returns the
    exported model, quantc's stderr and what ONNX Runtime computes with the
    exported and the float model."""
    model, inputs = COMBOS[name]
    path, qdq = tmp_path / "model.onnx", tmp_path / "model.qdq.onnx"
    onnx.save(model, path)
    np.savez(tmp_path / "calib.npz", **inputs)
    proc = export(path, tmp_path / "calib.npz", qdq)
    assert proc.returncode == 0, proc.stderr
    def run(p):
        return ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]).run(None, inputs)[0]
    return onnx.load(str(qdq)), proc.stderr, run(qdq), run(path)


def test_small_cnn_qdq(tmp_path):
    exported, _, theirs, floats = export_case("SmallCNN", tmp_path)
    dq = [n for n in exported.graph.node if n.op_type == "DequantizeLinear"]
    # Per-channel conv weights keep their output-channel axis.
    assert any(a.name == "axis" and a.i == 0 for n in dq for a in n.attribute)
    assert np.max(np.abs(theirs - floats)) < 0.1  # softmax probabilities


def test_subgraph_layers_stay_float(tmp_path):
    """A run-time If's branch is a subgraph: its activations stay float
    (with a warning) and no scale or zero point is left unused."""
    exported, stderr, theirs, floats = export_case("IfRunTimeThen", tmp_path)
    assert "inside a subgraph (an If branch or a loop body), which this export keeps in float" \
        in stderr
    onnx.checker.check_model(exported)
    def inputs_read(graph):
        for node in graph.node:
            yield from node.input
            for attribute in node.attribute:
                if attribute.type == onnx.AttributeProto.GRAPH:
                    yield from inputs_read(attribute.g)
    read = set(inputs_read(exported.graph))
    unused = [t.name for t in exported.graph.initializer if t.name not in read]
    assert not unused
    assert np.max(np.abs(theirs - floats)) < 0.02 * np.max(np.abs(floats))


def test_bad_requests_write_nothing(tmp_path):
    calib = ROOT / "models" / "digits_calib.npz"
    out = tmp_path / "out.onnx"
    proc = export(ROOT / "models" / "digits_cnn.onnx", calib, out,
                  ["--input-shape", "image=1x1x8x8", "--weight", "i4", "--activation", "f32"])
    assert proc.returncode != 0 and "QDQ export writes 8-bit tensors only" in proc.stderr
    proc = subprocess.run([str(BIN / "quantc"), str(ROOT / "models" / "digits_cnn.onnx"),
                           "--target", "onnx-qdq", "-o", str(out)], capture_output=True, text=True)
    assert proc.returncode != 0 and "needs an ONNX model and --calib" in proc.stderr
    assert not out.exists()


def export_opset11(tmp_path, nodes, inits, out_shape, seed):
    """Saves an opset 11 model of `nodes`, exports it with calibration data;
    returns (model path, QDQ path, inputs, quantc's process)."""
    from onnx import TensorProto, helper
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, out_shape)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
    model.ir_version = 7
    path, qdq = tmp_path / "m.onnx", tmp_path / "m.qdq.onnx"
    onnx.save(model, path)
    x = np.random.default_rng(seed).standard_normal((4, 3, 8, 8)).astype(np.float32)
    np.savez(tmp_path / "calib.npz", X=x)
    return path, qdq, x, export(path, tmp_path / "calib.npz", qdq)


def ort_output(path, x):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(
        None, {"X": x})[0]


def test_opset11_model_with_requantized_concat(tmp_path):
    """An opset 11 model converts to opset 13 for per-channel weights, and a
    concatenation whose inputs quantc requantizes to one shared scale gets a
    second QDQ pair on the first pair's output."""
    from onnx import helper
    rng = np.random.default_rng(3)
    w1 = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    w2 = (10 * rng.standard_normal((4, 3, 3, 3))).astype(np.float32)
    nodes = [helper.make_node("Conv", ["X", "w1"], ["a"], pads=[1, 1, 1, 1], name="conv_a"),
             helper.make_node("Conv", ["X", "w2"], ["b"], pads=[1, 1, 1, 1], name="conv_b"),
             helper.make_node("Concat", ["a", "b"], ["c"], axis=1, name="concat"),
             helper.make_node("Relu", ["c"], ["Y"], name="relu")]
    path, qdq, x, proc = export_opset11(
        tmp_path, nodes, [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2")],
        [1, 8, 8, 8], 3)
    assert proc.returncode == 0, proc.stderr
    exported = onnx.load(str(qdq))
    assert [o.version for o in exported.opset_import if o.domain in ("", "ai.onnx")] == [13]
    producers = {out: n.op_type for n in exported.graph.node for out in n.output}
    chained = [n for n in exported.graph.node
               if n.op_type == "QuantizeLinear" and producers.get(n.input[0]) == "DequantizeLinear"]
    assert chained, "the requantized concat input has a second pair"
    want, got = ort_output(path, x[:1]), ort_output(qdq, x[:1])
    assert np.sum((got - want) ** 2) / np.sum(want ** 2) < 1e-3


def test_per_channel_weights_without_opset13(tmp_path):
    """When ONNX's converter cannot move a model to opset 13 (here, Softmax's
    adapter needs a shape the graph does not record), per-channel weights are
    dequantized with Cast, Sub and Mul, with a warning, and stay exact."""
    from onnx import helper
    w = np.random.default_rng(5).standard_normal((4, 3, 3, 3)).astype(np.float32)
    nodes = [helper.make_node("Conv", ["X", "w"], ["a"], pads=[1, 1, 1, 1], name="conv"),
             helper.make_node("Softmax", ["a"], ["Y"], axis=1, name="softmax")]
    path, qdq, x, proc = export_opset11(tmp_path, nodes, [numpy_helper.from_array(w, "w")],
                                        None, 5)
    assert proc.returncode == 0, proc.stderr
    assert "dequantized by Cast, Sub and Mul" in proc.stderr
    # Softmax below opset 13 flattens inside the node: its quantization stays
    # in quantc, with a warning naming the node.
    assert "inside ONNX node 'softmax', which QDQ cannot express" in proc.stderr
    exported = onnx.load(str(qdq))
    assert [o.version for o in exported.opset_import if o.domain in ("", "ai.onnx")] == [11]
    ops = [n.op_type for n in exported.graph.node]
    assert ["Cast", "Sub", "Mul"] == ops[:3] and "QuantizeLinear" in ops
    want, got = ort_output(path, x[:1]), ort_output(qdq, x[:1])
    assert np.max(np.abs(got - want)) < 0.05
