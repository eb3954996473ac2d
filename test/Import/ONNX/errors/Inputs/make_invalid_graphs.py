"""Structurally invalid ONNX graphs that the ONNX checker rejects."""
import sys

import onnx
from onnx import TensorProto, helper

out = sys.argv[1]
X = helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 4])
Y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 4])


def save(name, nodes, inputs=(X,), outputs=(Y,), initializers=()):
    graph = helper.make_graph(nodes, "g", list(inputs), list(outputs), list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, f"{out}/{name}.onnx")


relu = helper.make_node
save("two-producers", [relu("Relu", ["X"], ["Y"], name="a"), relu("Relu", ["X"], ["Y"], name="b")])
save("assigns-input", [relu("Relu", ["X"], ["X"], name="a"), relu("Relu", ["X"], ["Y"], name="b")])
w = helper.make_tensor("W", TensorProto.FLOAT, [1], [1.0])
save("two-initializers", [relu("Add", ["X", "W"], ["Y"], name="a")], initializers=[w, w])
save("unsorted", [relu("Relu", ["T"], ["Y"], name="second"), relu("Relu", ["X"], ["T"], name="first")])
save("cycle", [relu("Add", ["X", "B"], ["A"], name="a"), relu("Relu", ["A"], ["B"], name="b"),
               relu("Relu", ["A"], ["Y"], name="c")])
save("undefined", [relu("Add", ["X", "nowhere"], ["Y"], name="a")])
save("empty", [], outputs=())
save("unproduced", [relu("Relu", ["X"], ["T"], name="a")])
untyped = relu("LeakyRelu", ["X"], ["Y"], name="a")
untyped.attribute.add(name="alpha", f=0.1)  # no type
save("untyped-attribute", [untyped])
mistyped = relu("LeakyRelu", ["X"], ["Y"], name="a")
mistyped.attribute.add(name="alpha", type=onnx.AttributeProto.INT, f=0.1)
save("mistyped-attribute", [mistyped])
twice = relu("LeakyRelu", ["X"], ["Y"], name="a", alpha=0.1)
twice.attribute.append(helper.make_attribute("alpha", 0.2))
save("attribute-twice", [twice])
