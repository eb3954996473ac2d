"""Generated loops split over the run's threads (qc-parallelize-loops): a
model of large element-wise, pooling, softmax, resize and reduction loops
gives the same bits on one, two and three threads, in float (within 1e-5 of
the evaluator) and in int8 (exactly the evaluator's)."""
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import make_model, max_rel_error, quant_run
from test_compiled import quantc, run_library

SHAPE = [1, 8, 64, 64]


def loops_model():
    """SiLU, a 5 x 5 max pool, a softmax over channels (a reduction outside
    the split loop), a nearest resize by two, a broadcast add and a mean over
    each channel's pixels."""
    rng = np.random.default_rng(7)
    bias = numpy_helper.from_array(rng.uniform(-1, 1, (8, 1, 1)).astype(np.float32), "bias")
    scales = numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")
    nodes = [
        helper.make_node("Sigmoid", ["X"], ["gate"]),
        helper.make_node("Mul", ["X", "gate"], ["silu"]),
        helper.make_node("MaxPool", ["silu"], ["pooled"], kernel_shape=[5, 5], pads=[2, 2, 2, 2]),
        helper.make_node("Softmax", ["pooled"], ["soft"], axis=1),
        helper.make_node("Resize", ["soft", "", "scales"], ["big"], mode="nearest"),
        helper.make_node("Add", ["big", "bias"], ["Y"]),
        helper.make_node("ReduceMean", ["silu"], ["Z"], axes=[2, 3], keepdims=0),
    ]
    return make_model(
        nodes, [helper.make_tensor_value_info("X", TensorProto.FLOAT, SHAPE)],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 8, 128, 128]),
         helper.make_tensor_value_info("Z", TensorProto.FLOAT, [1, 8])],
        [bias, scales])


def inputs(seed):
    return {"X": np.random.default_rng(seed).uniform(-4, 4, SHAPE).astype(np.float32)}


def outlined_loops(library):
    symbols = subprocess.run(["nm", library], capture_output=True, text=True).stdout
    return [line.split()[-1] for line in symbols.splitlines() if "_parallel" in line
            and "quantc_parallel_range" not in line]


def run_on_threads(library, feeds, tmp_path):
    """The library's outputs on 1, 2 and 3 threads, which must agree bit for bit."""
    alone = run_library(library, feeds, tmp_path)
    for threads in ["2", "3"]:
        split = run_library(library, feeds, tmp_path, ["--num-threads", threads])
        for name, value in alone.items():
            np.testing.assert_array_equal(split[name], value, err_msg=f"{name}, {threads} threads")
    return alone


@pytest.mark.parametrize("precision", ["f32", "int8"])
def test_split_loops_agree_with_the_evaluator(precision, tmp_path):
    model = tmp_path / "loops.onnx"
    onnx.save(loops_model(), model)
    library, ir = tmp_path / "loops.so", tmp_path / "loops.mlir"
    calibration = []
    if precision == "int8":
        np.savez(tmp_path / "calib.npz", X=np.concatenate([inputs(s)["X"] for s in range(4)]))
        calibration = ["--calib", tmp_path / "calib.npz", "--save-ir", ir]
    quantc([model, *calibration, "-o", library])
    assert len(outlined_loops(library)) >= 4, outlined_loops(library)
    feeds = inputs(11)
    actual = run_on_threads(library, feeds, tmp_path)
    expected = quant_run(ir if precision == "int8" else model, feeds, tmp_path)
    for name, value in expected.items():
        if precision == "int8":
            np.testing.assert_array_equal(actual[name], value, err_msg=name)
        else:
            assert max_rel_error(actual[name], value) <= 1e-5, name
