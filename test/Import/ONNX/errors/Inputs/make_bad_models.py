"""Writes broken ONNX files for the importer's error tests."""
import pathlib
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

out = pathlib.Path(sys.argv[1])
w = numpy_helper.from_array(np.ones((64, 64), np.float32), "w")
graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64])], [w])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
data = model.SerializeToString()
(out / "truncated.onnx").write_bytes(data[: len(data) // 2])
(out / "garbage.onnx").write_bytes(b"\xff\x13not a protobuf at all" * 10)
onnx.save(model, out / "external.onnx", save_as_external_data=True,
          location="weights.bin", size_threshold=0)
(out / "weights.bin").unlink()
