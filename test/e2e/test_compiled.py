"""Compiled model libraries against the reference evaluator: every op case
of test_op_parity and test_combination_parity compiled in float (max relative
error <= 1e-5) and quantized to int8 (bit-exact: the compiled integer graph
must reproduce the evaluator's results exactly), plus the real models, every
microkernel variant, and the artifact's header, manifest and errors."""
import json
import re
import pathlib
import subprocess

import numpy as np
import onnx
import pytest
import xxhash

from conftest import BIN, ROOT, max_rel_error, quant_run
from test_combination_parity import COMBOS
from test_op_parity import CASES

ALL_CASES = {**CASES, **COMBOS}
# The AVX-512 VNNI kernels on any CPU that has them (AMD Zen 4/5, Intel
# Xeon): a baseline plus one feature, where a CPU name would pin one vendor.
AVX512_VNNI = "x86-64-v4,+avx512vnni"


def quantc(args, check=True):
    proc = subprocess.run([str(BIN / "quantc"), *map(str, args)],
                          capture_output=True, text=True)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def run_library(library, inputs, tmp_path, extra=()):
    """Runs a compiled model through quant-run and the runtime."""
    return quant_run(library, inputs, tmp_path, extra)


def float_inputs(inputs):
    return all(a.dtype == np.float32 for a in inputs.values())


def check_float_library(model, inputs, tmp_path):
    """Compiles `model` in float; its library must give the evaluator's
    results (integers exactly, floats within 1e-5 relative)."""
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    quantc([path, "-o", tmp_path / "model.so"])
    expected = quant_run(path, inputs, tmp_path)
    actual = run_library(tmp_path / "model.so", inputs, tmp_path)
    assert set(actual) == set(expected)
    for name, exp in expected.items():
        assert actual[name].shape == exp.shape
        if exp.dtype.kind in "iub":
            np.testing.assert_array_equal(actual[name], exp)
        else:
            assert max_rel_error(actual[name], exp) <= 1e-5, name


# Unsigned integer tensors do not compile yet (arith is signless): the
# evaluator runs them, and quantc refuses them with the op's name.
# Generated code computes on signless integers: ops on unsigned tensors run in
# the evaluator and are refused by name at code generation.
EVALUATOR_ONLY = {"BitShiftLeft": "bitshift", "BitShiftRight": "bitshift",
                  "BitwiseNotUnsigned": "bitwisenot", "MaxPoolUint8": "max_pool"}


@pytest.mark.parametrize("case", sorted(set(ALL_CASES) - set(EVALUATOR_ONLY)))
def test_float_case(case, tmp_path):
    check_float_library(*ALL_CASES[case], tmp_path)


@pytest.mark.parametrize("case", sorted(EVALUATOR_ONLY))
def test_evaluator_only_case_is_refused(case, tmp_path):
    path = tmp_path / "model.onnx"
    onnx.save(ALL_CASES[case][0], path)
    proc = quantc([path, "-o", tmp_path / "model.so"], check=False)
    assert proc.returncode != 0
    assert EVALUATOR_ONLY[case] in proc.stderr
    assert not (tmp_path / "model.so").exists()


@pytest.mark.parametrize("case", sorted(c for c in set(ALL_CASES) - set(EVALUATOR_ONLY)
                                         if float_inputs(ALL_CASES[c][1])))
def test_int8_case(case, tmp_path):
    model, inputs = ALL_CASES[case]
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    calib = tmp_path / "calib.npz"
    np.savez(calib, **inputs)
    ir = tmp_path / "int8.mlir"
    quantc([path, "--calib", calib, "--save-ir", ir, "-o", tmp_path / "model.so"])
    expected = quant_run(ir, inputs, tmp_path)
    actual = run_library(tmp_path / "model.so", inputs, tmp_path)
    # Layers quantc keeps in float (transposed convolutions, einsum, matrix
    # products of two activations...) accumulate in another order than the
    # evaluator: those graphs are float paths.
    # A graph with nothing to quantize stays float, a float path too.
    text = ir.read_text()
    float_layers = "qc.quantize" not in text or any(
        f"qc.{op} " in text for op in ["conv", "conv_transpose", "matmul", "gemm", "einsum"])
    for name, exp in expected.items():
        if float_layers:
            assert max_rel_error(actual[name], exp) <= 1e-5, name
        else:
            np.testing.assert_array_equal(actual[name], exp, err_msg=name)


def int8_library_ir(case, tmp_path):
    """The int8 IR of a case, after checking that its library equals the
    evaluator on that IR bit for bit."""
    model, inputs = ALL_CASES[case]
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    np.savez(tmp_path / "calib.npz", **inputs)
    ir = tmp_path / "int8.mlir"
    quantc([path, "--calib", tmp_path / "calib.npz", "--save-ir", ir, "-o", tmp_path / "m.so"])
    output = model.graph.output[0].name
    expected = quant_run(ir, inputs, tmp_path)[output]
    np.testing.assert_array_equal(run_library(tmp_path / "m.so", inputs, tmp_path)[output],
                                  expected)
    return ir.read_text()


def test_int8_conv3d_runs_on_the_integer_kernels(tmp_path):
    """qc-decompose-conv3d makes a 3-d convolution a 2-d one over its
    depth-unfolded input: quantized, it is an integer layer, and the library
    equals the evaluator bit for bit."""
    text = int8_library_ir("Conv3D", tmp_path)
    assert "qc.qconv" in text and "qc.conv " not in text


CONV_TRANSPOSE_CASES = sorted(name for name in CASES if name.startswith("ConvTranspose"))


@pytest.mark.parametrize("case", CONV_TRANSPOSE_CASES)
def test_int8_conv_transpose_runs_on_the_integer_kernels(case, tmp_path):
    """qc-decompose-conv-transpose makes a transposed convolution one
    convolution over its output phases: quantized, it is an integer layer
    (3-d ones after qc-decompose-conv3d too), and the library equals the
    evaluator bit for bit."""
    text = int8_library_ir(case, tmp_path)
    assert "qc.qconv" in text and "qc.conv_transpose" not in text and "qc.conv " not in text


@pytest.mark.parametrize("case", CONV_TRANSPOSE_CASES)
def test_conv_transpose_phases_compute_the_float_layer(case, tmp_path):
    """The rewritten float graph computes what the transposed convolution
    does, in the evaluator (<= 1e-5 of the largest output)."""
    model, inputs = ALL_CASES[case]
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    rewritten = tmp_path / "phases.mlir"
    subprocess.run([str(BIN / "quant-opt"), str(path), "--qc-decompose-conv-transpose", "-o",
                    str(rewritten)], check=True)
    assert "qc.conv_transpose" not in rewritten.read_text()
    output = model.graph.output[0].name
    expected = quant_run(path, inputs, tmp_path)[output]
    actual = quant_run(rewritten, inputs, tmp_path)[output]
    assert np.abs(actual - expected).max() <= 1e-5 * np.abs(expected).max()


@pytest.mark.parametrize("case", CONV_TRANSPOSE_CASES)
def test_float_conv_transpose_is_the_evaluators_bit_for_bit(case, tmp_path):
    """In the exact float mode a 1-d or 2-d transposed convolution is the
    product of the weights and the image on the float matmul kernel, then
    each window tap's plane added onto the output in the evaluator's order
    (3-d ones the same sums in loops): the library equals the evaluator bit
    for bit, overlapping taps, padding, dilation, groups and output padding
    included."""
    model, inputs = ALL_CASES[case]
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    quantc([path, "-o", tmp_path / "model.so"])
    output = model.graph.output[0].name
    expected = quant_run(path, inputs, tmp_path)[output]
    actual = run_library(tmp_path / "model.so", inputs, tmp_path)[output]
    np.testing.assert_array_equal(actual.view(np.uint32), expected.view(np.uint32))


@pytest.mark.parametrize("shape", [[1, 8, 40, 56], [2, 3, 7, 9]])
def test_int8_global_average_pool_sums_exactly(shape, tmp_path):
    """The f64 sums of dequantized planes are reassociated (vectorized): they
    are exact in any order, so the library equals the evaluator bit for bit,
    on planes whose values span the whole int8 range."""
    from onnx import TensorProto, helper
    rng = np.random.default_rng(5)
    channels = shape[1]
    nodes = [helper.make_node("Conv", ["X", "w"], ["c"]),
             helper.make_node("GlobalAveragePool", ["c"], ["Y"])]
    weight = rng.uniform(-1, 1, [channels, channels, 1, 1]).astype(np.float32)
    graph = helper.make_graph(
        nodes, "gap", [helper.make_tensor_value_info("X", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)],
        [helper.make_tensor("w", TensorProto.FLOAT, weight.shape, weight.ravel())])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = tmp_path / "gap.onnx"
    onnx.save(model, path)
    calib = tmp_path / "calib.npz"
    np.savez(calib, X=rng.uniform(-3, 5, shape).astype(np.float32))
    x = rng.uniform(-4, 6, shape).astype(np.float32)  # past the range: clamped ends
    ir = tmp_path / "int8.mlir"
    quantc([path, "--calib", calib, "--save-ir", ir, "-o", tmp_path / "gap.so"])
    assert "qc.global_avg_pool" in ir.read_text() and "qc.dequantize" in ir.read_text()
    expected = quant_run(ir, {"X": x}, tmp_path)["Y"]
    actual = run_library(tmp_path / "gap.so", {"X": x}, tmp_path)["Y"]
    np.testing.assert_array_equal(actual, expected)


def digits():
    with np.load(ROOT / "models" / "digits_test.npz") as data:
        return data["image"]


ROUNDINGS = ["half_to_even", "half_away_from_zero", "double_round", "half_up"]


REQUANTIZE_TIES = """!o = !quant.uniform<i8:f32, 0.5:3>
func.func @main(%x: tensor<2x40xi32>) -> tensor<2x40xf32> {
  %q = qc.requantize %x {multiplier = array<i32: 1073741824, 1518500250>, shift = array<i32: 0, -1>,
                         axis = 0, rounding = #qc<rounding ROUNDING>} : tensor<2x40xi32> -> tensor<2x40x!o>
  %y = qc.dequantize %q : tensor<2x40x!o> -> tensor<2x40xf32>
  return %y : tensor<2x40xf32>
}
"""


@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_generated_requantize_ties(rounding, tmp_path):
    """The generated code's requantization in every rounding mode, on
    accumulators whose first channel (a multiplier of one half) is a tie at
    every odd value, and whose second one clamps."""
    source = tmp_path / "requantize.mlir"
    source.write_text(REQUANTIZE_TIES.replace("ROUNDING", rounding))
    quantc([source, "-o", tmp_path / "requantize.so"])
    x = np.stack([np.arange(-20, 20), np.arange(-20, 20) * 9]).astype(np.int32)
    expected = quant_run(source, {"input_0": x}, tmp_path)["output_0"]
    actual = run_library(tmp_path / "requantize.so", {"input_0": x}, tmp_path)["output_0"]
    np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("rounding", ROUNDINGS)
@pytest.mark.parametrize("cpu", [AVX512_VNNI, "x86-64-v3", "x86-64"])
@pytest.mark.parametrize("name", ["digits_mlp", "digits_cnn"])
def test_digits_every_target(name, cpu, rounding, tmp_path):
    """Every kernel variant's requantizing epilogue in every rounding mode."""
    ir, library = tmp_path / "int8.mlir", tmp_path / "model.so"
    quantc([ROOT / "models" / f"{name}.onnx", "--input-shape", "image=1x1x8x8",
            "--calib", ROOT / "models" / "digits_calib.npz", "--target-cpu", cpu,
            "--rounding", rounding, "--save-ir", ir, "-o", library])
    assert f"rounding {rounding}" in ir.read_text() or rounding == "half_to_even"
    inputs = {"image": digits()}  # 360 images, run one batch at a time
    expected = quant_run(ir, inputs, tmp_path)["logits"]
    actual = run_library(library, inputs, tmp_path, ["--num-threads", "2"])["logits"]
    np.testing.assert_array_equal(actual, expected)


def test_artifact_files(tmp_path):
    library = tmp_path / "digits.so"
    quantc([ROOT / "models" / "digits_cnn.onnx", "--input-shape", "image=1x1x8x8",
            "--calib", ROOT / "models" / "digits_calib.npz", "-o", library])
    header = (tmp_path / "digits.h").read_text()
    assert "#define DIGITS_QUANTC_MODEL_INPUT0_ELEMENTS 64" in header
    assert "OUTPUT 0 'logits': tensor<1x10xf32>" in header
    manifest = json.loads((tmp_path / "digits.json").read_text())
    assert manifest["inputs"] == [{"name": "image", "dtype": "f32", "shape": [1, 1, 8, 8]}]
    assert manifest["outputs"][0]["name"] == "logits"
    layers = {layer["name"]: layer["precision"] for layer in manifest["layers"]}
    assert layers["relu1"]["weight"] == "i8" and layers["relu1"]["granularity"] == "per_channel"
    symbols = subprocess.run(["nm", "-D", "--defined-only", library],
                             capture_output=True, text=True).stdout
    for symbol in ["quantc_artifact_run", "quantc_artifact_signature",
                   "quantc_artifact_names", "quantc_artifact_set_num_threads"]:
        assert symbol in symbols
    # Weights are read-only data of the library; nothing leaks from the runtime.
    assert "quantc_qlayer" not in symbols


def cpu_flags():
    return set(next(line for line in open("/proc/cpuinfo") if line.startswith("flags"))
               .split(":")[1].split())


def test_portable_library_picks_a_variant(tmp_path):
    """--target-cpu portable: one library with four variants; the runtime
    runs the first this CPU has (reported by Model.target_cpu), each variant
    computes the int8 model's exact integers, and a variant whose features
    the CPU lacks is passed over (as a library none of whose variants it
    can run is refused)."""
    import quantc as qc  # the Python package, as users load libraries

    flags = cpu_flags()
    images = np.load(ROOT / "models" / "digits_test.npz")["image"][:1]
    common = [ROOT / "models" / "digits_cnn.onnx", "--input-shape", "image=1x1x8x8",
              "--calib", ROOT / "models" / "digits_calib.npz"]
    quantc([*common, "--target-cpu", "portable", "-o", tmp_path / "portable.so"])
    quantc([*common, "--target-cpu", "x86-64", "-o", tmp_path / "generic.so"])
    expected = qc.Model(tmp_path / "generic.so")(image=images)["logits"]
    if {"amx_int8", "amx_bf16", "avx512_fp16"} <= flags:
        first = "sapphirerapids"
    elif {"avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni"} <= flags:
        first = "x86-64-v4"
    else:
        first = "x86-64-v3"
    model = qc.Model(tmp_path / "portable.so")
    assert model.target_cpu == first
    np.testing.assert_array_equal(model(image=images)["logits"], expected)
    # A feature no x86 CPU has both of: the first variant needing it is skipped.
    missing = "sse4a" if "sse4a" not in flags else "amx-int8"
    manifest_path = tmp_path / "portable.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["variants"][0]["target_features"].append(missing)
    manifest["variants"][1]["target_features"].append(missing)
    manifest_path.write_text(json.dumps(manifest))
    model = qc.Model(tmp_path / "portable.so")
    assert model.target_cpu == "x86-64-v3"
    np.testing.assert_array_equal(model(image=images)["logits"], expected)
    for variant in manifest["variants"]:
        variant["target_features"].append(missing)
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(RuntimeError, match="this CPU runs none of its variants"):
        qc.Model(tmp_path / "portable.so")


def test_benchmark_report(tmp_path):
    library = tmp_path / "m.so"
    quantc([ROOT / "models" / "digits_mlp.onnx", "--input-shape", "image=1x1x8x8", "-o", library])
    np.savez(tmp_path / "in.npz", image=digits()[:1])
    proc = subprocess.run([str(BIN / "quant-run"), library, "--inputs", tmp_path / "in.npz",
                           "--benchmark", "20", "--warmup", "2"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["runs"] == 20 and report["min_ms"] <= report["median_ms"] <= report["p90_ms"]


@pytest.mark.parametrize("content, message", [
    (b"", "model"),
    (b"\x08\x07garbage that is not a protobuf", "model"),
])
def test_bad_model_leaves_no_output(content, message, tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(content)
    proc = quantc([bad, "-o", tmp_path / "bad.so"], check=False)
    assert proc.returncode != 0 and "error" in proc.stderr
    assert not any(tmp_path.glob("bad.so*")) and not (tmp_path / "bad.h").exists()


def test_missing_calibration_file(tmp_path):
    proc = quantc([ROOT / "models" / "digits_mlp.onnx", "--input-shape", "image=1x1x8x8",
                   "--calib", tmp_path / "none.npz",
                   "-o", tmp_path / "m.so"], check=False)
    assert proc.returncode != 0 and "none.npz" in proc.stderr
    assert not (tmp_path / "m.so").exists()


def test_runtime_rejects_non_artifacts(tmp_path):
    """Another shared library with a manifest that matches it."""
    np.savez(tmp_path / "in.npz", image=digits()[:1])
    library = tmp_path / "libm.so"
    data = pathlib.Path("/lib/x86_64-linux-gnu/libm.so.6").read_bytes()
    library.write_bytes(data)
    (tmp_path / "libm.json").write_text(json.dumps({
        "format": "quantc-artifact-2", "target_features": [],
        "library": {"size": len(data), "xxh3_64": xxhash.xxh3_64(data).hexdigest()}}))
    proc = subprocess.run([str(BIN / "quant-run"), library,
                           "--inputs", tmp_path / "in.npz"], capture_output=True)
    proc.stderr = proc.stderr.decode(errors="replace")
    assert proc.returncode != 0 and "not a quantc artifact" in proc.stderr


def compile_with_rules(model, inputs, rules, tmp_path, extra=(), name="m"):
    """Compiles `model`, calibrated on `inputs`, with the override `rules`
    and the `extra` flags; returns the quantized IR and the library."""
    onnx.save(model, tmp_path / f"{name}.onnx")
    np.savez(tmp_path / "calib.npz", **inputs)
    (tmp_path / "rules.json").write_text(json.dumps({"rules": rules}))
    ir, library = tmp_path / f"{name}.mlir", tmp_path / f"{name}.so"
    quantc([tmp_path / f"{name}.onnx", "--calib", tmp_path / "calib.npz", "--overrides",
            tmp_path / "rules.json", *extra, "--save-ir", ir, "-o", library])
    return ir, library


def weight_only_model(k, n, gemm):
    rng = np.random.default_rng(k + n)
    if gemm:  # a fully connected layer: transposed weights and a bias
        node = onnx.helper.make_node("Gemm", ["X", "W", "B"], ["Y"], transB=1)
        inits = [onnx.numpy_helper.from_array(rng.standard_normal((n, k)).astype(np.float32), "W"),
                 onnx.numpy_helper.from_array(rng.standard_normal(n).astype(np.float32), "B")]
    else:
        node = onnx.helper.make_node("MatMul", ["X", "W"], ["Y"])
        inits = [onnx.numpy_helper.from_array(rng.standard_normal((k, n)).astype(np.float32), "W")]
    graph = onnx.helper.make_graph(
        [node], "g", [onnx.helper.make_tensor_value_info("X", onnx.TensorProto.FLOAT, [5, k])],
        [onnx.helper.make_tensor_value_info("Y", onnx.TensorProto.FLOAT, [5, n])], inits)
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)])
    return model, {"X": rng.standard_normal((5, k)).astype(np.float32)}


# Groups of 12 (4-bit) and 6 (8-bit) rows end inside the kernel's blocks of
# 8 and 4 rows: their last block is partial. Asymmetric weights carry a zero
# point per scale, which the kernel streams as zero scales.
WEIGHT_ONLY = {"i4-channel": ("i4", "per_channel", 0), "i4-group32": ("i4", "per_group", 32),
               "i4-group12": ("i4", "per_group", 12),
               "i8-channel": ("i8", "per_channel", 0), "i8-group64": ("i8", "per_group", 64),
               "i8-group6": ("i8", "per_group", 6),
               "i4-group32-asymmetric": ("i4", "per_group", 32, "asymmetric"),
               "i8-channel-asymmetric": ("i8", "per_channel", 0, "asymmetric")}


def compile_weight_only(op, config, tmp_path, extra=()):
    """weight_only_model's layer (5 rows, N not a multiple of the 32-column
    panel) quantized as WEIGHT_ONLY[config] and compiled with `extra`:
    returns the quantized IR, the library and the inputs."""
    weight, granularity, group, *scheme = WEIGHT_ONLY[config]
    model, inputs = weight_only_model(192, 72, op == "Gemm")
    rule = {"op_type": op, "weight": weight, "activation": "f32", "granularity": granularity}
    if group:
        rule["group_size"] = group
    if scheme:
        extra = [*extra, "--weight-scheme", *scheme]
    ir, library = compile_with_rules(model, inputs, [rule], tmp_path, extra)
    text = ir.read_text()
    assert f"weight = {weight}" in text
    # Zero points show in the weight type as scale:zero_point.
    assert bool(re.search(r"quant.uniform<i[48]:f32:[^>]*\d\.\d+(e[-+]\d+)?:-?[1-9]", text)) == bool(scheme)
    return ir, library, inputs


@pytest.mark.parametrize("cpu", [AVX512_VNNI, "x86-64-v3", "x86-64"])
@pytest.mark.parametrize("config", sorted(WEIGHT_ONLY))
@pytest.mark.parametrize("op", ["MatMul", "Gemm"])
def test_weight_only_layers(op, config, cpu, tmp_path):
    """int8/int4 weight-only layers run the weight-only kernel and match the
    evaluator's float path, on one thread and split over three (a run of
    panels each)."""
    ir, library, inputs = compile_weight_only(op, config, tmp_path, ["--target-cpu", cpu])
    symbols = subprocess.run(["nm", library], capture_output=True, text=True).stdout
    assert "quantc_wmatmul_" in symbols
    expected = quant_run(ir, inputs, tmp_path)["Y"]
    alone = run_library(library, inputs, tmp_path)["Y"]
    assert max_rel_error(alone, expected) <= 1e-5
    split = run_library(library, inputs, tmp_path, ["--num-threads", "3"])["Y"]
    np.testing.assert_array_equal(split, alone)


@pytest.mark.parametrize("cpu", [AVX512_VNNI, "x86-64-v3", "x86-64"])
@pytest.mark.parametrize("config", ["i4-channel", "i4-group32", "i8-channel", "i8-group64",
                                    "i4-group32-asymmetric"])
@pytest.mark.parametrize("op", ["MatMul", "Gemm"])
def test_weight_only_int8_inputs(op, config, cpu, tmp_path):
    """--dynamic-int8: the kernel's integer dot products on inputs rounded
    to int8 blocks agree with the evaluator, which rounds the input and
    multiplies floats; one thread or three give the same bits."""
    ir, library, inputs = compile_weight_only(op, config, tmp_path,
                                              ["--target-cpu", cpu, "--dynamic-int8"])
    assert "dynamic_int8_block = 32" in ir.read_text()
    inputs["X"][1, 32:64] = 0  # a block of zeros has scale 0
    expected = quant_run(ir, inputs, tmp_path)["Y"]
    alone = run_library(library, inputs, tmp_path)["Y"]
    assert max_rel_error(alone, expected) <= 1e-5
    split = run_library(library, inputs, tmp_path, ["--num-threads", "3"])["Y"]
    np.testing.assert_array_equal(split, alone)
    # Rounding the input is a real change: float inputs give other results.
    (tmp_path / "f").mkdir()
    _, float_library, _ = compile_weight_only(op, config, tmp_path / "f", ["--target-cpu", cpu])
    assert max_rel_error(run_library(float_library, inputs, tmp_path)["Y"], alone) > 1e-4


@pytest.mark.parametrize("symmetric", [False, True])
def test_matmul_nbits_compiled(symmetric, tmp_path):
    """ONNX Runtime's MatMulNBits (unsigned 4-bit, zero points per block)
    compiles to the weight-only kernel and agrees with ONNX Runtime."""
    import onnxruntime as ort
    from onnxruntime.quantization.matmul_4bits_quantizer import MatMul4BitsQuantizer
    model, inputs = weight_only_model(128, 40, gemm=False)
    model.ir_version = 8
    quantizer = MatMul4BitsQuantizer(model, block_size=32, is_symmetric=symmetric)
    quantizer.process()
    path = tmp_path / "nbits.onnx"
    quantizer.model.save_model_to_file(str(path))
    library = tmp_path / "nbits.so"
    quantc([path, "-o", library])
    assert "quantc_wmatmul_" in subprocess.run(["nm", library], capture_output=True,
                                               text=True).stdout
    theirs = ort.InferenceSession(str(path)).run(None, inputs)[0]
    ours = run_library(library, inputs, tmp_path)["Y"]
    assert max_rel_error(ours, theirs) <= 1e-5
    assert max_rel_error(ours, quant_run(path, inputs, tmp_path)["Y"]) <= 1e-5


@pytest.mark.parametrize("flags, message", [
    (["--target", "cuda"], "--dynamic-int8 is implemented by the CPU weight-only kernel only"),
    (["--dynamic-int8-block", "-1"], "--dynamic-int8-block must not be negative, got -1")])
def test_dynamic_int8_bad_flags(flags, message, tmp_path):
    proc = quantc([ROOT / "models" / "digits_mlp.onnx", "--input-shape", "image=1x1x8x8",
                   "--dynamic-int8", *flags, "-o", tmp_path / "m.so"], check=False)
    assert proc.returncode == 1 and message in proc.stderr
    assert not list(tmp_path.iterdir())


def test_matmul_nbits_int8_inputs(tmp_path):
    """MatMulNBits with accuracy_level 4 (int8 inputs per block of the
    weights, as ONNX Runtime computes it on CPUs) imports with
    dynamic_int8_block: the library agrees with the evaluator and with ONNX
    Runtime at that level, and not with ONNX Runtime on float inputs."""
    import onnxruntime as ort
    from onnxruntime.quantization.matmul_4bits_quantizer import MatMul4BitsQuantizer
    model, inputs = weight_only_model(128, 40, gemm=False)
    model.ir_version = 8
    quantizer = MatMul4BitsQuantizer(model, block_size=32, is_symmetric=True, accuracy_level=4)
    quantizer.process()
    path = tmp_path / "nbits.onnx"
    quantizer.model.save_model_to_file(str(path))
    library = tmp_path / "nbits.so"
    quantc([path, "-o", library])
    ours = run_library(library, inputs, tmp_path)["Y"]
    assert max_rel_error(ours, quant_run(path, inputs, tmp_path)["Y"]) <= 1e-5
    theirs = ort.InferenceSession(str(path)).run(None, inputs)[0]
    for node in quantizer.model.model.graph.node:
        for attr in node.attribute:
            if attr.name == "accuracy_level":
                attr.i = 0
    quantizer.model.save_model_to_file(str(tmp_path / "float_inputs.onnx"))
    float_inputs = ort.InferenceSession(str(tmp_path / "float_inputs.onnx")).run(None, inputs)[0]
    assert max_rel_error(ours, theirs) <= 1e-5
    assert max_rel_error(ours, float_inputs) > 1e-3


def float_layer_model(op):
    """A float layer: MatMul, Gemm, Conv, or MatMulRow (a MatMul of one row,
    which the float kernel computes in 256-column row tiles)."""
    rng = np.random.default_rng(7)
    rows = 1 if op == "MatMulRow" else 6
    inits, inputs = [], {"X": rng.standard_normal((2, 3, 16, 16) if op == "Conv" else (rows, 40))
                         .astype(np.float32)}
    if op in ("MatMul", "MatMulRow"):
        node = onnx.helper.make_node("MatMul", ["X", "W"], ["Y"])
        inits.append(onnx.numpy_helper.from_array(rng.standard_normal((40, 600)).astype(np.float32), "W"))
        out = [rows, 600]
    elif op == "Gemm":
        node = onnx.helper.make_node("Gemm", ["X", "W", "B"], ["Y"], transB=1, alpha=0.5, beta=2.0)
        inits += [onnx.numpy_helper.from_array(rng.standard_normal((70, 40)).astype(np.float32), "W"),
                  onnx.numpy_helper.from_array(rng.standard_normal(70).astype(np.float32), "B")]
        out = [6, 70]
    else:
        node = onnx.helper.make_node("Conv", ["X", "W", "B"], ["Y"], pads=[1, 1, 1, 1])
        inits += [onnx.numpy_helper.from_array(rng.standard_normal((8, 3, 3, 3)).astype(np.float32), "W"),
                  onnx.numpy_helper.from_array(rng.standard_normal(8).astype(np.float32), "B")]
        out = [2, 8, 16, 16]
    graph = onnx.helper.make_graph(
        [node], "g",
        [onnx.helper.make_tensor_value_info("X", onnx.TensorProto.FLOAT, list(inputs["X"].shape))],
        [onnx.helper.make_tensor_value_info("Y", onnx.TensorProto.FLOAT, out)], inits)
    return onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)]), inputs


@pytest.mark.parametrize("cpu", [AVX512_VNNI, "x86-64"])
@pytest.mark.parametrize("precision", ["f32", "bf16"])
@pytest.mark.parametrize("op", ["MatMul", "MatMulRow", "Gemm", "Conv"])
def test_float_layer_kernels_are_exact(op, precision, cpu, tmp_path):
    """Float and bf16 layers run the float kernels, which sum in the
    evaluator's order (bf16 layers compute in f32 and round, as the evaluator
    does): the results are bit-identical."""
    model, inputs = float_layer_model(op)
    op_type = "MatMul" if op == "MatMulRow" else op
    ir, library = compile_with_rules(
        model, inputs, [{"op_type": op_type, "activation": precision, "weight": precision}],
        tmp_path, ["--target-cpu", cpu])
    kernel = "quantc_fconv_" if op == "Conv" else "quantc_fmatmul_"
    assert kernel in subprocess.run(["nm", library], capture_output=True, text=True).stdout
    expected = quant_run(ir, inputs, tmp_path)["Y"]
    actual = run_library(library, inputs, tmp_path)["Y"]
    np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("kernel", [1, 3])
def test_grouped_int4_conv(kernel, tmp_path):
    """int4 convolution weights with a scale per output channel and group of
    32 input channels (over the whole window) compile and compute what the
    evaluator computes."""
    rng = np.random.default_rng(kernel)
    w = rng.standard_normal((16, 64, kernel, kernel)).astype(np.float32)
    node = onnx.helper.make_node("Conv", ["X", "W"], ["Y"], pads=[kernel // 2] * 4)
    graph = onnx.helper.make_graph(
        [node], "g", [onnx.helper.make_tensor_value_info("X", onnx.TensorProto.FLOAT, [1, 64, 8, 8])],
        [onnx.helper.make_tensor_value_info("Y", onnx.TensorProto.FLOAT, [1, 16, 8, 8])],
        [onnx.numpy_helper.from_array(w, "W")])
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)])
    inputs = {"X": rng.standard_normal((1, 64, 8, 8)).astype(np.float32)}
    rule = {"op_type": "Conv", "weight": "i4", "activation": "f32"}
    ir, library = compile_with_rules(
        model, inputs, [dict(rule, granularity="per_group", group_size=32)], tmp_path)
    assert "xi4>" in ir.read_text() and "f32:{0:1, 1:32}" in ir.read_text()
    expected = quant_run(ir, inputs, tmp_path)["Y"]
    np.testing.assert_array_equal(run_library(library, inputs, tmp_path)["Y"], expected)
    # Two scales per output channel: closer to the float layer than one.
    float_y = quant_run(tmp_path / "m.onnx", inputs, tmp_path)["Y"]
    per_channel_ir, _ = compile_with_rules(
        model, inputs, [dict(rule, granularity="per_channel")], tmp_path, name="channels")
    per_channel_y = quant_run(per_channel_ir, inputs, tmp_path)["Y"]
    assert np.mean((expected - float_y) ** 2) < np.mean((per_channel_y - float_y) ** 2)


@pytest.mark.parametrize("precision", ["bf16", "f16"])
@pytest.mark.parametrize("op", ["MatMul", "Gemm", "Conv"])
def test_narrow_float_layers_in_loops(op, precision, tmp_path):
    """Without microkernels (the loop lowering GPU kernels also take), f16 and
    bf16 layers still sum in f32 and round once: bit-identical results."""
    model, inputs = float_layer_model(op)
    ir, library = compile_with_rules(
        model, inputs, [{"op_type": op, "activation": precision, "weight": precision}],
        tmp_path, ["--no-microkernels"])
    assert f"x{precision}>" in ir.read_text()
    expected = quant_run(ir, inputs, tmp_path)["Y"]
    actual = run_library(library, inputs, tmp_path)["Y"]
    np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("op", ["MatMul", "Gemm", "Conv"])
def test_bf16_layers_on_bf16_kernel(op, tmp_path):
    """bf16 layers compiled for AVX-512 call quantc_bmatmul / quantc_bconv
    (vdpbf16ps where the CPU has it), which sum as the evaluator does:
    bit-identical."""
    model, inputs = float_layer_model(op)
    ir, library = compile_with_rules(
        model, inputs, [{"op_type": op, "activation": "bf16", "weight": "bf16"}], tmp_path,
        ["--target-cpu", AVX512_VNNI])
    assert "xbf16>" in ir.read_text()
    symbols = subprocess.run(["nm", library], capture_output=True, text=True).stdout
    assert ("quantc_bconv" if op == "Conv" else "quantc_bmatmul") in symbols
    expected = quant_run(ir, inputs, tmp_path)["Y"]
    actual = run_library(library, inputs, tmp_path)["Y"]
    np.testing.assert_array_equal(actual, expected)


def test_mixed_precision_compile(tmp_path):
    """quantc --bits-per-weight chooses every layer's precision, writes the
    Pareto front, and the library computes what the evaluator computes."""
    ir, library = tmp_path / "mixed.mlir", tmp_path / "mixed.so"
    quantc([ROOT / "models" / "digits_cnn.onnx", "--input-shape", "image=1x1x8x8",
            "--calib", ROOT / "models" / "digits_calib.npz", "--bits-per-weight", "6",
            "--pareto", tmp_path / "front.json", "--sensitivity-cache", tmp_path / "cache.json",
            "--save-ir", ir, "-o", library])
    front = json.loads((tmp_path / "front.json").read_text())
    chosen = [p for p in front if p["chosen"]]
    assert len(chosen) == 1 and chosen[0]["bits_per_weight"] <= 6
    assert (tmp_path / "front.svg").exists() and (tmp_path / "cache.json").exists()
    precisions = {p["weight"] for layer in json.loads((tmp_path / "mixed.json").read_text())["layers"]
                  for p in [layer["precision"]]}
    assert "i4" in precisions
    inputs = {"image": digits()[:32]}
    expected = quant_run(ir, inputs, tmp_path)["logits"]
    actual = run_library(library, inputs, tmp_path)["logits"]
    assert max_rel_error(actual, expected) <= 1e-5
