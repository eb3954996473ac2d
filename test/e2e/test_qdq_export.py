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

from conftest import BIN, ROOT, make_model, quant_run
from control_flow_cases import CONTROL_FLOW, W, graph
from op_builders import const, vi
from test_combination_parity import COMBOS


def export(model_path, calib, output, extra=()):
    return subprocess.run([str(BIN / "quantc"), str(model_path), "--calib", str(calib),
                           "--target", "onnx-qdq", "-o", str(output), *map(str, extra)],
                          capture_output=True, text=True)


def reads(graph):
    """The names `graph` and its subgraphs read (node inputs, graph outputs)."""
    for node in graph.node:
        yield from node.input
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                yield from reads(attribute.g)
    yield from (output.name for output in graph.output)


def subgraphs(graph):
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                yield attribute.g
                yield from subgraphs(attribute.g)


def assert_no_dead_parts(model):
    """Every pair's output and every initializer is read somewhere."""
    read = set(reads(model.graph))
    graphs = [model.graph, *subgraphs(model.graph)]
    dead = [n.output[0] for g in graphs for n in g.node
            if n.op_type in ("QuantizeLinear", "DequantizeLinear") and n.output[0] not in read]
    assert not dead
    assert not [t.name for g in graphs for t in g.initializer if t.name not in read]


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
    assert_no_dead_parts(model)
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
    # Its nodes have no names: the pairs find their readers by the names
    # quantc gives them (op type and position).
    assert_no_dead_parts(exported)
    assert sum(n.op_type == "QuantizeLinear" for n in exported.graph.node) >= 5
    dq = [n for n in exported.graph.node if n.op_type == "DequantizeLinear"]
    # Per-channel conv weights keep their output-channel axis.
    assert any(a.name == "axis" and a.i == 0 for n in dq for a in n.attribute)
    assert np.max(np.abs(theirs - floats)) < 0.1  # softmax probabilities


def export_with_ir(model, inputs, tmp_path):
    """Exports `model` calibrated on `inputs`; returns the exported model,
    quantc's stderr and its quantized graph's path."""
    path, qdq, ir = tmp_path / "model.onnx", tmp_path / "model.qdq.onnx", tmp_path / "int8.mlir"
    onnx.save(model, path)
    np.savez(tmp_path / "calib.npz", **inputs)
    proc = export(path, tmp_path / "calib.npz", qdq, ["--save-ir", ir])
    assert proc.returncode == 0, proc.stderr
    exported = onnx.load(str(qdq))
    onnx.checker.check_model(exported)
    assert_no_dead_parts(exported)
    return exported, proc.stderr, ir


def ort_outputs(model, inputs):
    return ort.InferenceSession(model.SerializeToString(),
                                providers=["CPUExecutionProvider"]).run(None, inputs)


@pytest.mark.parametrize("name", ["IfRunTimeThen", "LoopUntil", "LoopRunTimeTripCount",
                                  "LoopScanOutputs", "NestedLoops"])
def test_subgraph_layers_are_quantized(name, tmp_path):
    """The layers of If branches and loop bodies get their pairs inside the
    subgraph (a quantized value the subgraph returns becomes its output), so
    ONNX Runtime computes with the exported model exactly what quantc's
    evaluator computes with its quantized graph, on the calibration input
    and on another one."""
    model, inputs = CONTROL_FLOW[name]
    exported, _, ir = export_with_ir(model, inputs, tmp_path)
    assert any(n.op_type == "QuantizeLinear" for g in subgraphs(exported.graph) for n in g.node)
    other = {k: (v + np.random.default_rng(4).uniform(-0.05, 0.05, v.shape)).astype(np.float32)
             for k, v in inputs.items()}
    for feeds in (inputs, other):
        theirs, floats = ort_outputs(exported, feeds)[0], ort_outputs(model, feeds)[0]
        ours = quant_run(ir, feeds, tmp_path)[model.graph.output[0].name]
        np.testing.assert_allclose(theirs, ours, rtol=0, atol=1e-6)
        assert np.max(np.abs(theirs - floats)) > 0, "the subgraph's layers are quantized"


def test_unrolled_loop_tensors_stay_float(tmp_path):
    """A loop whose body slices by the iteration number unrolls at import,
    each iteration calibrated on its own: where one ONNX tensor would need a
    scale per iteration, the export keeps it in float with a warning."""
    from onnx import TensorProto, helper
    body = graph("body", [
        helper.make_node("Unsqueeze", ["i", "axis0"], ["start"]),
        helper.make_node("Add", ["start", "one"], ["end"]),
        helper.make_node("Slice", ["X", "start", "end", "axis0"], ["row"]),
        helper.make_node("MatMul", ["row", "W"], ["p"]),
        helper.make_node("Add", ["acc", "p"], ["next"]),
        helper.make_node("Identity", ["c"], ["co"])],
        [vi("i", [], TensorProto.INT64), vi("c", [], TensorProto.BOOL), vi("acc", [1, 8])],
        [vi("co", [], TensorProto.BOOL), vi("next", [1, 8])])
    model = make_model([helper.make_node("Loop", ["M", "", "zero"], ["Y"], body=body)],
                       [vi("X", [4, 8])], [vi("Y", [1, 8])],
                       [const("W", W), const("M", np.int64(4)),
                        const("axis0", np.array([0], np.int64)), const("one", np.array([1], np.int64)),
                        const("zero", np.zeros((1, 8), np.float32))])
    rows = np.array([[1], [3], [10], [0.3]])
    x = {"X": (np.random.default_rng(1).uniform(-1, 1, (4, 8)) * rows).astype(np.float32)}
    exported, stderr, _ = export_with_ir(model, x, tmp_path)
    assert "tensor 'row' is quantized with different scales where node 'MatMul_3' reads it" in stderr
    assert not any(n.op_type == "QuantizeLinear" for g in subgraphs(exported.graph) for n in g.node)
    theirs, floats = ort_outputs(exported, x)[0], ort_outputs(model, x)[0]
    assert np.max(np.abs(theirs - floats)) < 0.02 * np.max(np.abs(floats))


def test_weights_of_constant_nodes_and_subgraph_initializers(tmp_path):
    """Weights from a Constant node, and from a branch's own initializer,
    become int8 initializers behind a DequantizeLinear in their own graph."""
    from onnx import TensorProto, helper, numpy_helper as nh
    rng = np.random.default_rng(9)
    w_main, w_branch = (rng.uniform(-0.5, 0.5, (8, 8)).astype(np.float32) for _ in range(2))
    then = graph("then", [helper.make_node("MatMul", ["h", "wb"], ["t"])], [], [vi("t", [4, 8])],
                 [nh.from_array(w_branch, "wb")])
    other = graph("else", [helper.make_node("Relu", ["h"], ["r"])], [], [vi("r", [4, 8])])
    nodes = [helper.make_node("Constant", [], ["wc"], value=nh.from_array(w_main)),
             helper.make_node("MatMul", ["X", "wc"], ["h"]),
             helper.make_node("ReduceSum", ["h"], ["s"], keepdims=0),
             helper.make_node("Greater", ["s", "zero"], ["c"]),
             helper.make_node("If", ["c"], ["Y"], then_branch=then, else_branch=other)]
    model = make_model(nodes, [vi("X", [4, 8])], [vi("Y", [4, 8])],
                       [const("zero", np.float32(0))])
    x = {"X": (rng.uniform(-1, 1, (4, 8)) + 0.5).astype(np.float32)}
    assert (x["X"] @ w_main).sum() > 0, "the input takes the branch with the weights"
    exported, stderr, ir = export_with_ir(model, x, tmp_path)
    assert "Constant" not in [n.op_type for n in exported.graph.node]
    branch = next(a.g for n in exported.graph.node if n.op_type == "If"
                  for a in n.attribute if a.name == "then_branch")
    assert [t.data_type for t in branch.initializer] == [TensorProto.INT8]
    assert branch.node[0].op_type == "DequantizeLinear" and branch.node[0].output[0] == "wb"
    theirs = ort_outputs(exported, x)[0]
    np.testing.assert_allclose(theirs, quant_run(ir, x, tmp_path)["Y"], rtol=0, atol=1e-6)


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
