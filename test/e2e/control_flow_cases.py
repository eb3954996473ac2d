"""Branches and loops decided at run time (scf.if, scf.while): conditions
and trip counts computed from the float input, so that the cases also
calibrate and compile to int8. Each branch is taken by one case or another."""
import numpy as np
from onnx import helper, TensorProto

from conftest import make_model
from op_builders import const, vi

RNG = np.random.default_rng(77)
W = RNG.uniform(-0.5, 0.5, (8, 8)).astype(np.float32)


def graph(name, nodes, inputs, outputs, inits=()):
    return helper.make_graph(nodes, name, inputs, outputs, list(inits))


def positive_sum(x, out):
    """`out` = sum(x) > 0, a bool scalar."""
    return [helper.make_node("ReduceSum", [x], [out + "_sum"], keepdims=0),
            helper.make_node("Greater", [out + "_sum", "zero"], [out])]


def count_positive(x, out):
    """`out` = the number of positive elements of x, an int64 scalar: a trip
    count known only at run time."""
    return [helper.make_node("Greater", [x, "zero"], [out + "_positive"]),
            helper.make_node("Cast", [out + "_positive"], [out + "_ones"], to=TensorProto.FLOAT),
            helper.make_node("ReduceSum", [out + "_ones"], [out + "_count"], keepdims=0),
            helper.make_node("Cast", [out + "_count"], [out], to=TensorProto.INT64)]


def if_model():
    """Y = relu(X @ W) where sum(X) > 0, else sigmoid(X) * 2."""
    then = graph("then", [helper.make_node("MatMul", ["X", "W"], ["mm"]),
                          helper.make_node("Relu", ["mm"], ["a"])], [], [vi("a", [4, 8])])
    other = graph("else", [helper.make_node("Sigmoid", ["X"], ["s"]),
                           helper.make_node("Mul", ["s", "two"], ["b"])], [], [vi("b", [4, 8])])
    nodes = positive_sum("X", "C") + [
        helper.make_node("If", ["C"], ["Y"], then_branch=then, else_branch=other)]
    return make_model(nodes, [vi("X", [4, 8])], [vi("Y", [4, 8])],
                      [const("W", W), const("zero", np.float32(0)), const("two", np.float32(2))])


def loop_until_model():
    """acc = tanh(acc @ W) at most 12 times, while sum(acc) < 1."""
    body = graph("body", [helper.make_node("MatMul", ["acc", "W"], ["m"]),
                          helper.make_node("Tanh", ["m"], ["next"]),
                          helper.make_node("ReduceSum", ["next"], ["s"], keepdims=0),
                          helper.make_node("Less", ["s", "one"], ["more"])],
                 [vi("i", [], TensorProto.INT64), vi("c", [], TensorProto.BOOL), vi("acc", [4, 8])],
                 [vi("more", [], TensorProto.BOOL), vi("next", [4, 8])])
    return make_model([helper.make_node("Loop", ["M", "go", "X"], ["Y"], body=body)],
                      [vi("X", [4, 8])], [vi("Y", [4, 8])],
                      [const("W", W), const("one", np.float32(1)), const("M", np.int64(12)),
                       const("go", np.bool_(True))])


def loop_counted_model():
    """As many iterations as X has positive elements; the body branches on
    its carried value (an scf.if inside the scf.while) and reads the
    iteration number."""
    inner_then = graph("halve", [helper.make_node("Mul", ["acc", "half"], ["h"])], [],
                       [vi("h", [4, 8])])
    inner_else = graph("shift", [helper.make_node("MatMul", ["acc", "W"], ["p"]),
                                 helper.make_node("Add", ["p", "fi"], ["g"])], [],
                       [vi("g", [4, 8])])
    body = graph("body", [helper.make_node("Cast", ["i"], ["fi"], to=TensorProto.FLOAT),
                          *positive_sum("acc", "pos"),
                          helper.make_node("If", ["pos"], ["next"], then_branch=inner_then,
                                           else_branch=inner_else),
                          helper.make_node("Identity", ["c"], ["co"])],
                 [vi("i", [], TensorProto.INT64), vi("c", [], TensorProto.BOOL), vi("acc", [4, 8])],
                 [vi("co", [], TensorProto.BOOL), vi("next", [4, 8])])
    nodes = count_positive("X", "N") + [helper.make_node("Loop", ["N", "", "X"], ["Y"], body=body)]
    return make_model(nodes, [vi("X", [4, 8])], [vi("Y", [4, 8])],
                      [const("W", W), const("zero", np.float32(0)), const("half", np.float32(0.5))])


def loop_scan_outputs_model():
    """Five iterations known at import that do not fold: a loop holding the
    body once, its scan output (the running state) stacked per iteration."""
    body = graph("body", [helper.make_node("MatMul", ["acc", "W"], ["m"]),
                          helper.make_node("Tanh", ["m"], ["next"]),
                          helper.make_node("Identity", ["c"], ["co"]),
                          helper.make_node("Identity", ["next"], ["out"])],
                 [vi("i", [], TensorProto.INT64), vi("c", [], TensorProto.BOOL), vi("acc", [4, 8])],
                 [vi("co", [], TensorProto.BOOL), vi("next", [4, 8]), vi("out", [4, 8])])
    return make_model([helper.make_node("Loop", ["M", "", "X"], ["Y", "S"], body=body)],
                      [vi("X", [4, 8])], [vi("Y", [4, 8]), vi("S", [5, 4, 8])],
                      [const("W", W), const("M", np.int64(5))])


def scan_model():
    """A running sum over X's rows read last first, and each row times the
    sum so far, stacked along axis 1 in reverse."""
    body = graph("body", [helper.make_node("Add", ["state", "row"], ["total"]),
                          helper.make_node("Mul", ["row", "total"], ["scaled"])],
                 [vi("state", [8]), vi("row", [8])], [vi("total", [8]), vi("scaled", [8])])
    node = helper.make_node("Scan", ["zero8", "X"], ["Sum", "Rows"], body=body,
                            num_scan_inputs=1, scan_input_directions=[1],
                            scan_output_axes=[-1], scan_output_directions=[1])
    return make_model([node], [vi("X", [4, 8])], [vi("Sum", [8]), vi("Rows", [8, 4])],
                      [const("zero8", np.zeros(8, np.float32))], opset=17)


def scan_opset8_model():
    """Scan of opset 8: a batch axis first (2 sequences of 4 rows), each
    sequence read last row first, no sequence_lens."""
    body = graph("body", [helper.make_node("Add", ["state", "row"], ["total"]),
                          helper.make_node("Mul", ["row", "total"], ["scaled"])],
                 [vi("state", [8]), vi("row", [8])], [vi("total", [8]), vi("scaled", [8])])
    node = helper.make_node("Scan", ["", "zero28", "X"], ["Sum", "Rows"], body=body,
                            num_scan_inputs=1, directions=[1])
    return make_model([node], [vi("X", [2, 4, 8])], [vi("Sum", [2, 8]), vi("Rows", [2, 4, 8])],
                      [const("zero28", np.full((2, 8), 0.5, np.float32))], opset=8)


def nested_model():
    """A loop (run-time trip count: the number of positive elements of X,
    at most 32) whose body scans the carried value's rows: a loop in a loop,
    the inner one reading the outer one's carried value and the weights."""
    inner = graph("rows", [helper.make_node("MatMul", ["row2", "W"], ["p"]),
                           helper.make_node("Reshape", ["p", "row_shape"], ["p1"]),
                           helper.make_node("Add", ["carry", "p1"], ["sum"]),
                           helper.make_node("Tanh", ["sum"], ["t"])],
                  [vi("carry", [8]), vi("row2", [1, 8])], [vi("t", [8]), vi("out", [8])])
    inner.node.append(helper.make_node("Identity", ["t"], ["out"]))
    body = graph("body", [helper.make_node("Reshape", ["acc", "rows_shape"], ["rows"]),
                          helper.make_node("Scan", ["zero8", "rows"], ["last", "all"], body=inner,
                                           num_scan_inputs=1),
                          helper.make_node("Reshape", ["all", "acc_shape"], ["next"]),
                          helper.make_node("Identity", ["c"], ["co"])],
                 [vi("i", [], TensorProto.INT64), vi("c", [], TensorProto.BOOL), vi("acc", [4, 8])],
                 [vi("co", [], TensorProto.BOOL), vi("next", [4, 8])])
    nodes = count_positive("X", "N") + [helper.make_node("Loop", ["N", "", "X"], ["Y"], body=body)]
    return make_model(nodes, [vi("X", [4, 8])], [vi("Y", [4, 8])],
                      [const("W", W), const("zero", np.float32(0)),
                       const("zero8", np.zeros(8, np.float32)),
                       const("rows_shape", np.array([4, 1, 8], np.int64)),
                       const("row_shape", np.array([8], np.int64)),
                       const("acc_shape", np.array([4, 8], np.int64))])


def x(offset):
    return (RNG.uniform(-1, 1, (4, 8)) + offset).astype(np.float32)


CONTROL_FLOW = {
    "IfRunTimeThen": (if_model(), {"X": x(0.3)}),
    "IfRunTimeElse": (if_model(), {"X": x(-0.3)}),
    "LoopUntil": (loop_until_model(), {"X": x(0.2)}),
    "LoopRunTimeTripCount": (loop_counted_model(), {"X": x(-0.4)}),
    "LoopScanOutputs": (loop_scan_outputs_model(), {"X": x(0.0)}),
    "ScanReversed": (scan_model(), {"X": x(0.0)}),
    "ScanOpset8": (scan_opset8_model(), {"X": np.stack([x(0.1), x(-0.1)])}),
    "NestedLoops": (nested_model(), {"X": x(-0.2)}),
}
