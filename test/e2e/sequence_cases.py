"""Sequences and optionals inside a graph (they resolve at import): each
case is named by the op it is about, and takes and returns tensors. The
parity tests run them against ONNX Runtime; test_compiled compiles them."""
import numpy as np
from onnx import TensorProto, helper

from conftest import make_model
from op_builders import const, rand, vi

X, Y, Z = rand(2, 3), rand(2, 3), rand(4, 3)
XY = [vi("X", [2, 3]), vi("Y", [2, 3])]
XYZ = XY + [vi("Z", [4, 3])]
INDEXES = [const("zero", np.int64(0)), const("one", np.int64(1)), const("last", np.int64(-1))]


def case(nodes, inputs, outputs, inits=(), values=None):
    values = values or {"X": X, "Y": Y, "Z": Z}
    return (make_model(nodes, inputs, outputs, list(inits) + INDEXES, opset=18),
            {i.name: values[i.name] for i in inputs})


def node(op, inputs, outputs, **attrs):
    return helper.make_node(op, inputs, outputs, **attrs)


SEQUENCES = {
    "SequenceConstruct": case([node("SequenceConstruct", ["X", "Y", "Z"], ["s"]),
                               node("ConcatFromSequence", ["s"], ["out"], axis=0)],
                              XYZ, [vi("out", [8, 3])]),
    # Insert at the front, then at the end (no position); read back by a
    # negative position.
    "SequenceInsert": case([node("SequenceConstruct", ["X"], ["s"]),
                            node("SequenceInsert", ["s", "Z", "zero"], ["s1"]),
                            node("SequenceInsert", ["s1", "Y"], ["s2"]),
                            node("SequenceAt", ["s2", "last"], ["b"]),
                            node("ConcatFromSequence", ["s2"], ["out"], axis=0),
                            node("Add", ["b", "X"], ["sum"])],
                           XYZ, [vi("out", [8, 3]), vi("sum", [2, 3])]),
    "SequenceErase": case([node("SequenceConstruct", ["X", "Z", "Y"], ["s"]),
                           node("SequenceErase", ["s", "one"], ["s1"]),
                           node("SequenceErase", ["s1"], ["s2"]),
                           node("ConcatFromSequence", ["s2"], ["out"], axis=1, new_axis=1)],
                          XYZ, [vi("out", [2, 1, 3])]),
    "SequenceAt": case([node("SequenceConstruct", ["X", "Y"], ["s"]),
                        node("SequenceAt", ["s", "zero"], ["a"]),
                        node("SequenceAt", ["s", "last"], ["b"]),
                        node("Mul", ["a", "b"], ["out"])],
                       XY, [vi("out", [2, 3])]),
    "SequenceEmpty": case([node("SequenceEmpty", [], ["s"], dtype=TensorProto.FLOAT),
                           node("SequenceInsert", ["s", "X"], ["s1"]),
                           node("SequenceInsert", ["s1", "Y", "zero"], ["s2"]),
                           node("ConcatFromSequence", ["s2"], ["out"], axis=-1)],
                          XY, [vi("out", [2, 6])]),
    "SequenceLength": case([node("SplitToSequence", ["Z", "three"], ["s"], axis=0),
                            node("SequenceLength", ["s"], ["n"])],
                           [vi("Z", [4, 3])], [vi("n", [], TensorProto.INT64)],
                           [const("three", np.int64(3))]),
    "ConcatFromSequence": case([node("SequenceConstruct", ["X", "Y"], ["s"]),
                                node("ConcatFromSequence", ["s"], ["out"], axis=-1, new_axis=1)],
                               XY, [vi("out", [2, 3, 2])]),
    # A 1-d split (sizes), a scalar one (equal pieces, the last shorter) and
    # none (pieces of one, their axis dropped).
    "SplitToSequence": case([node("SplitToSequence", ["Z", "sizes"], ["s"], axis=0),
                             node("SequenceAt", ["s", "one"], ["a"]),
                             node("SplitToSequence", ["Z", "two"], ["t"], axis=1),
                             node("SequenceAt", ["t", "last"], ["b"]),
                             node("SplitToSequence", ["X"], ["u"], axis=-1, keepdims=0),
                             node("ConcatFromSequence", ["u"], ["c"], axis=0)],
                            [vi("X", [2, 3]), vi("Z", [4, 3])],
                            [vi("a", [3, 3]), vi("b", [4, 1]), vi("c", [6])],
                            [const("sizes", np.array([1, 3], np.int64)),
                             const("two", np.int64(2))]),
    # The body once per element, with a tensor passed to every iteration.
    "SequenceMap": case([node("SequenceConstruct", ["X", "Y"], ["s"]),
                         node("SequenceMap", ["s", "W"], ["m"],
                              body=helper.make_graph(
                                  [node("MatMul", ["e", "w"], ["p"]),
                                   node("Tanh", ["p"], ["r"])],
                                  "body", [vi("e", [2, 3]), vi("w", [3, 3])], [vi("r", [2, 3])])),
                         node("ConcatFromSequence", ["m"], ["out"], axis=0)],
                        XY + [vi("W", [3, 3])], [vi("out", [4, 3])],
                        values={"X": X, "Y": Y, "W": rand(3, 3)}),
    "Optional": case([node("Optional", ["X"], ["o"]),
                      node("Optional", [], ["e"],
                           type=helper.make_tensor_type_proto(TensorProto.FLOAT, [2, 3])),
                      node("OptionalHasElement", ["o"], ["has"]),
                      node("OptionalHasElement", ["e"], ["empty"])],
                     [vi("X", [2, 3])],
                     [vi("has", [], TensorProto.BOOL), vi("empty", [], TensorProto.BOOL)]),
    "OptionalGetElement": case([node("Optional", ["X"], ["o"]),
                                node("OptionalGetElement", ["o"], ["a"]),
                                node("Relu", ["a"], ["out"])],
                               [vi("X", [2, 3])], [vi("out", [2, 3])]),
    "OptionalHasElement": case([node("OptionalHasElement", ["X"], ["has"])],
                               [vi("X", [2, 3])], [vi("has", [], TensorProto.BOOL)]),
}
