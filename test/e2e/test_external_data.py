"""Models whose weights live in external data files import (memory-mapped)
and evaluate like ONNX Runtime, including tensors at non-zero offsets."""
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

from conftest import assert_parity, make_model


def test_external_data(tmp_path):
    rng = np.random.default_rng(5)
    w1 = numpy_helper.from_array(rng.standard_normal((64, 128)).astype(np.float32), "w1")
    w2 = numpy_helper.from_array(rng.standard_normal((128, 16)).astype(np.float32), "w2")
    b = numpy_helper.from_array(rng.standard_normal(16).astype(np.float32), "b")
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["h"]),
             helper.make_node("Relu", ["h"], ["r"]),
             helper.make_node("MatMul", ["r", "w2"], ["m"]),
             helper.make_node("Add", ["m", "b"], ["y"])]
    model = make_model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 64])],
                       [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w1, w2, b])
    path = tmp_path / "model.onnx"
    # One shared file: every tensor but the first sits at an offset.
    onnx.save(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
              location="weights.bin", size_threshold=0)
    assert (tmp_path / "weights.bin").stat().st_size >= (64 * 128 + 128 * 16) * 4
    assert path.stat().st_size < 4096
    assert_parity(path, {"x": rng.standard_normal((4, 64)).astype(np.float32)}, tmp_path)
