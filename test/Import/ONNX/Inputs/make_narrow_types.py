"""Writes the binary models and bound inputs of the 4-bit and float8 import
tests (ONNX's text format has no names for these types). Run from this
folder."""
import numpy as np
import onnx
from onnx import TensorProto as T, helper


def save(name, nodes, inputs, outputs, inits=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)], ir_version=9)
    onnx.save(model, name)


for name, t in [("int4", T.INT4), ("uint4", T.UINT4)]:
    save(f"dequantize-{name}.onnx", [helper.make_node("DequantizeLinear", ["X", "s", "zp"], ["Y"])],
         [helper.make_tensor_value_info("X", t, [5]), helper.make_tensor_value_info("s", T.FLOAT, []),
          helper.make_tensor_value_info("zp", t, [1])],
         [helper.make_tensor_value_info("Y", T.FLOAT, [5])])

# Casts to E4M3FN (saturating) and E5M2 (not), and a float8 QDQ pair per
# channel, with a float8 graph input and output.
save("float8.onnx",
     [helper.make_node("Cast", ["X"], ["a"], to=T.FLOAT8E4M3FN),
      helper.make_node("Cast", ["a"], ["Saturated"], to=T.FLOAT),
      helper.make_node("Cast", ["X"], ["Wide"], to=T.FLOAT8E5M2, saturate=0),
      helper.make_node("QuantizeLinear", ["M", "s", "zp"], ["q"], axis=1),
      helper.make_node("DequantizeLinear", ["q", "s", "zp"], ["Restored"], axis=1),
      helper.make_node("Cast", ["F"], ["Widened"], to=T.FLOAT)],
     [helper.make_tensor_value_info("X", T.FLOAT, [6]),
      helper.make_tensor_value_info("M", T.FLOAT, [2, 3]),
      helper.make_tensor_value_info("F", T.FLOAT8E4M3FNUZ, [4])],
     [helper.make_tensor_value_info("Saturated", T.FLOAT, [6]),
      helper.make_tensor_value_info("Wide", T.FLOAT8E5M2, [6]),
      helper.make_tensor_value_info("Restored", T.FLOAT, [2, 3]),
      helper.make_tensor_value_info("Widened", T.FLOAT, [4])],
     [helper.make_tensor("s", T.FLOAT, [3], [0.5, 1.0, 2.0]),
      helper.make_tensor("zp", T.FLOAT8E4M3FN, [3], [0, 0, 0])])

# --bind-inputs arrays: int8 / uint8 carry 4-bit values, float32 float8 ones.
np.savez("int4-params.npz", s=np.float32(0.5), zp=np.array([-3], np.int8))
np.savez("int4-params-out-of-range.npz", s=np.float32(0.5), zp=np.array([9], np.int8))
np.savez("uint4-params-signed.npz", s=np.float32(0.5), zp=np.array([3], np.int8))
np.savez("float8-f.npz", F=np.array([0.5, -2.0, 240.0, 0.0], np.float32))
np.savez("float8-f-not-held.npz", F=np.array([0.5, 0.1, 240.0, 0.0], np.float32))
