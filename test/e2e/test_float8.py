"""Float8 tensors in the reference evaluator: Cast to and from the four
float8 types (saturating or not), float8 QuantizeLinear / DequantizeLinear,
float8 graph inputs (float32 arrays carry them) and outputs (written as
float32), against ONNX's reference evaluator, exactly; compiled libraries
hold float8 values in f32 and round as the evaluator does, bit for bit,
and refuse float8 graph inputs and outputs by name."""
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto as T, helper
from onnx.reference import ReferenceEvaluator

from conftest import BIN, quant_run
from test_compiled import quantc

FLOAT8 = {"E4M3FN": T.FLOAT8E4M3FN, "E4M3FNUZ": T.FLOAT8E4M3FNUZ,
          "E5M2": T.FLOAT8E5M2, "E5M2FNUZ": T.FLOAT8E5M2FNUZ}
# Ties, subnormals, values past each format's range, infinities, NaN, -0.
EDGES = np.array([0.0, -0.0, 0.46875, 0.484375, 1.0 / 1024, -3e-3, 1.5e-5, 250.0, 300.0,
                  470.0, -500.0, 6e4, -7e4, 1e6, np.inf, -np.inf, np.nan, 0.1, -2.75,
                  17.0], np.float32)


def model(nodes, inputs, outputs, inits=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)], ir_version=9)


def same(actual, expected):
    """Equal values, NaN where NaN, and the sign of zero."""
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    keep = ~np.isnan(expected)
    np.testing.assert_array_equal(actual[keep], expected[keep])
    np.testing.assert_array_equal(np.signbit(actual[keep]), np.signbit(expected[keep]))


def round_trip_cast(to, size, saturate=1):
    """Y = X cast to the float8 type `to` and back to float32."""
    return model([helper.make_node("Cast", ["X"], ["f"], to=to, saturate=saturate),
                  helper.make_node("Cast", ["f"], ["Y"], to=T.FLOAT)],
                 [helper.make_tensor_value_info("X", T.FLOAT, [size])],
                 [helper.make_tensor_value_info("Y", T.FLOAT, [size])])


def quantize_dequantize(zero_point_type, zero_points, columns):
    """Y = X [3, columns] through float8 QuantizeLinear / DequantizeLinear
    along axis 0, scales 0.25, 2 and 0.5."""
    shape = [3, columns]
    return model([helper.make_node("QuantizeLinear", ["X", "s", "zp"], ["q"], axis=0),
                  helper.make_node("DequantizeLinear", ["q", "s", "zp"], ["Y"], axis=0)],
                 [helper.make_tensor_value_info("X", T.FLOAT, shape)],
                 [helper.make_tensor_value_info("Y", T.FLOAT, shape)],
                 [helper.make_tensor("s", T.FLOAT, [3], [0.25, 2.0, 0.5]),
                  helper.make_tensor("zp", zero_point_type, [3], zero_points)])


@pytest.mark.parametrize("saturate", [1, 0])
@pytest.mark.parametrize("name", sorted(FLOAT8))
def test_round_trip_cast_matches_onnx(name, saturate, tmp_path):
    m = round_trip_cast(FLOAT8[name], EDGES.size, saturate)
    onnx.save(m, tmp_path / "m.onnx")
    expected = ReferenceEvaluator(m).run(None, {"X": EDGES})[0]
    same(quant_run(tmp_path / "m.onnx", {"X": EDGES}, tmp_path)["Y"], expected)


def test_quantize_dequantize_per_axis_matches_onnx(tmp_path):
    rng = np.random.default_rng(8)
    x = (rng.standard_normal((3, 4)) * [[1], [30], [900]]).astype(np.float32)
    m = quantize_dequantize(T.FLOAT8E5M2, [0, 0, 0], 4)
    onnx.save(m, tmp_path / "m.onnx")
    expected = ReferenceEvaluator(m).run(None, {"X": x})[0]
    actual = quant_run(tmp_path / "m.onnx", {"X": x}, tmp_path)["Y"]
    same(actual, expected)
    assert not np.array_equal(actual, x)  # the values did pass through float8


def float8_io_model(tmp_path):
    m = model([helper.make_node("Cast", ["X"], ["x"], to=T.FLOAT),
               helper.make_node("Mul", ["x", "x"], ["p"]),
               helper.make_node("Cast", ["p"], ["Y"], to=T.FLOAT8E4M3FN)],
              [helper.make_tensor_value_info("X", T.FLOAT8E4M3FN, [4])],
              [helper.make_tensor_value_info("Y", T.FLOAT8E4M3FN, [4])])
    onnx.save(m, tmp_path / "io.onnx")
    return tmp_path / "io.onnx"


def test_float8_graph_input_and_output_are_carried_by_float32(tmp_path):
    x = np.array([1.5, -3.0, 0.25, 20.0], np.float32)
    y = quant_run(float8_io_model(tmp_path), {"X": x}, tmp_path)["Y"]
    assert y.dtype == np.float32
    # The products round to E4M3FN: 400 is held as 384, 2.25 and 9 exactly.
    np.testing.assert_array_equal(y, [2.25, 9.0, 0.0625, 384.0])


def test_float8_graph_input_refuses_a_value_it_cannot_hold(tmp_path):
    np.savez(tmp_path / "in.npz", X=np.array([1.5, 0.1, 0.25, 20.0], np.float32))
    proc = subprocess.run([str(BIN / "quant-run"), str(float8_io_model(tmp_path)),
                           "--inputs", str(tmp_path / "in.npz"),
                           "--outputs", str(tmp_path / "out.npz")],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "input 'X'" in proc.stderr and "f8E4M3FN cannot hold" in proc.stderr
    assert not (tmp_path / "out.npz").exists()


def compile_library(path, tmp_path, *extra):
    library = tmp_path / (path.stem + ".so")
    quantc([path, *extra, "-o", library])
    return library


@pytest.mark.parametrize("saturate", [1, 0])
@pytest.mark.parametrize("name", sorted(FLOAT8))
def test_compiled_cast_rounds_as_the_evaluator(name, saturate, tmp_path):
    """Edge values and every spacing of the format's range (ties between
    neighbours included): the library's float8 rounding equals the
    evaluator's, NaN, infinities and signed zeros included."""
    rng = np.random.default_rng(3)
    x = np.concatenate([EDGES, np.ldexp(rng.integers(-64, 64, 400) / 16,
                                        rng.integers(-20, 18, 400)).astype(np.float32)])
    onnx.save(round_trip_cast(FLOAT8[name], x.size, saturate), tmp_path / "m.onnx")
    expected = quant_run(tmp_path / "m.onnx", {"X": x}, tmp_path)["Y"]
    same(quant_run(compile_library(tmp_path / "m.onnx", tmp_path), {"X": x}, tmp_path)["Y"],
         expected)


def test_compiled_quantize_dequantize_matches_the_evaluator(tmp_path):
    rng = np.random.default_rng(8)
    x = (rng.standard_normal((3, 40)) * [[1], [30], [900]]).astype(np.float32)
    onnx.save(quantize_dequantize(T.FLOAT8E4M3FN, [0, 1, -2], 40), tmp_path / "m.onnx")
    expected = quant_run(tmp_path / "m.onnx", {"X": x}, tmp_path)["Y"]
    same(quant_run(compile_library(tmp_path / "m.onnx", tmp_path), {"X": x}, tmp_path)["Y"],
         expected)


def test_float8_compiles_for_cuda(tmp_path):
    onnx.save(round_trip_cast(T.FLOAT8E5M2, 4), tmp_path / "m.onnx")
    assert compile_library(tmp_path / "m.onnx", tmp_path, "--target", "cuda",
                           "--gpu-arch", "sm_80").exists()


@pytest.mark.parametrize("target", ["cpu", "cuda"])
def test_code_generation_refuses_float8_graph_inputs_by_name(target, tmp_path):
    proc = quantc([float8_io_model(tmp_path), "--target", target, "-o", tmp_path / "m.so"],
                  check=False)
    assert proc.returncode != 0
    assert "graph input 'X'" in proc.stderr and "float8 tensors cross the boundary" in proc.stderr
    assert not (tmp_path / "m.so").exists()
