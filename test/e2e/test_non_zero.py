"""NonZero of a tensor known only at run time: ONNX Runtime's coordinates,
then columns of -1 up to the input's element count; the compiled library
gives the evaluator's columns, and CUDA refuses the CPU kernel by name."""
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto

from conftest import BIN, ort_run, quant_run
from op_builders import single

RNG = np.random.default_rng(3)


def sparse(shape, dtype=np.float32):
    """Values with about half of them zero, -0.0 and NaN among the floats."""
    x = RNG.integers(-3, 4, shape).astype(dtype) * (RNG.random(shape) < 0.5)
    if dtype == np.float32:
        x.flat[0], x.flat[-1] = -0.0, np.nan
    return x


CASES = {
    "float 2-d": {"X": sparse((3, 5))},
    "float 3-d": {"X": sparse((2, 3, 4))},
    "all zero": {"X": np.zeros((2, 3), np.float32)},
    "int64": {"X": sparse((4, 3), np.int64)},
    "int32 large": {"X": np.array([0, 1 << 30, -(1 << 30), 0, 7], np.int32)},
    "bool": {"X": RNG.random((3, 4)) < 0.3},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_non_zero_at_run_time(case, tmp_path):
    model, inputs = single("NonZero", CASES[case], out_type=TensorProto.INT64)
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    expected = ort_run(path, inputs)["Y"]
    ours = quant_run(path, inputs, tmp_path)["Y"]
    x = inputs["X"]
    assert ours.shape == (x.ndim, x.size)
    np.testing.assert_array_equal(ours[:, :expected.shape[1]], expected)
    assert (ours[:, expected.shape[1]:] == -1).all()
    library = tmp_path / "model.so"
    subprocess.run([str(BIN / "quantc"), str(path), "-o", str(library)], check=True)
    np.testing.assert_array_equal(quant_run(library, inputs, tmp_path)["Y"], ours)


def test_non_zero_is_refused_for_cuda(tmp_path):
    model, _ = single("NonZero", CASES["float 2-d"], out_type=TensorProto.INT64)
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    out = tmp_path / "model.so"
    proc = subprocess.run([str(BIN / "quantc"), str(path), "--target", "cuda", "-o", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "calls the CPU kernel 'quantc_non_zero', which has no CUDA form" in proc.stderr
    assert not out.exists()


def test_non_zero_of_an_int8_layer(tmp_path):
    """In an int8 model NonZero reads the dequantized layer output: the
    library's columns equal the evaluator's on the quantized program, bit
    for bit (values rounded to the zero point count as zero in both)."""
    from onnx import helper
    from conftest import make_model
    from op_builders import const, vi
    x = RNG.uniform(-1, 1, (1, 4, 6, 6)).astype(np.float32)
    w = RNG.uniform(-0.5, 0.5, (4, 4, 3, 3)).astype(np.float32)
    nodes = [helper.make_node("Conv", ["X", "W"], ["C"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["C"], ["R"]),
             helper.make_node("NonZero", ["R"], ["Y"])]
    model = make_model(nodes, [vi("X", x.shape)], [vi("Y", None, TensorProto.INT64)],
                       [const("W", w)])
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    np.savez(tmp_path / "calib.npz", X=x)
    ir, library = tmp_path / "int8.mlir", tmp_path / "model.so"
    subprocess.run([str(BIN / "quantc"), str(path), "--calib", str(tmp_path / "calib.npz"),
                    "--save-ir", str(ir), "-o", str(library)], check=True)
    assert "qc.quantize" in ir.read_text()
    expected = quant_run(ir, {"X": x}, tmp_path)["Y"]
    assert expected.shape == (4, x.size) and (expected[:, 0] >= 0).all()
    np.testing.assert_array_equal(quant_run(library, {"X": x}, tmp_path)["Y"], expected)
