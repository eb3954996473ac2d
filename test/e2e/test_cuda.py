"""The CUDA target. Without a GPU: every op case and real model compiles to
an artifact; the artifact's files, exports and embedded fatbin are checked;
loading it gives a clear error where no driver is installed, and with the
toolkit's stub driver it loads its metadata and fails clearly at run time;
and the tensor-core form of every real model (the contractions the kernels
compute) runs bit-exact on the CPU. With a GPU (tests marked `gpu`, skipped
elsewhere): every artifact's outputs equal the reference evaluator's, bit for
bit on integer paths."""
import ctypes
import json
import os
import pathlib
import subprocess

import numpy as np
import onnx
import pytest

from conftest import BIN, ROOT, max_rel_error, quant_run
from control_flow_cases import CONTROL_FLOW
from test_compiled import (ALL_CASES, EVALUATOR_ONLY, WEIGHT_ONLY, compile_weight_only, compile_with_rules,
                           float_inputs, float_layer_model, quantc)
from test_real_models import PACKAGE_MODELS, package_model

CUDA_TOOLKIT = pathlib.Path(os.environ.get("QUANTC_CUDA_TOOLKIT", "/usr/local/cuda"))
STUB = CUDA_TOOLKIT / "lib64" / "stubs" / "libcuda.so"
FATBIN_MAGIC = bytes.fromhex("50ed55ba")

pytestmark = pytest.mark.skipif(not (ROOT / "build" / "lib" / "libquantc_cuda.a").exists()
                                and not os.environ.get("QUANTC_CUDA_LIBRARY"),
                                reason="quantc was built without the CUDA toolkit")


def driver_loads():
    try:
        ctypes.CDLL("libcuda.so.1")
        return True
    except OSError:
        return False


def gpu_available():
    """A driver that initializes and sees at least one device."""
    if not driver_loads():
        return False
    cuda = ctypes.CDLL("libcuda.so.1")
    count = ctypes.c_int(0)
    return cuda.cuInit(0) == 0 and cuda.cuDeviceGetCount(ctypes.byref(count)) == 0 \
        and count.value > 0


gpu = pytest.mark.skipif(not gpu_available(), reason="needs an NVIDIA GPU and driver")


CUDA_FLAGS = ["--target", "cuda", "--gpu-arch", os.environ.get("QUANTC_GPU_ARCH", "sm_80")]


def compile_cuda(model, tmp_path, extra=(), name="model"):
    library = tmp_path / f"{name}.so"
    quantc([model, *CUDA_FLAGS, "-o", library, *extra])
    return library


def stub_environment(tmp_path):
    """An environment whose libcuda.so.1 is the toolkit's stub: it links and
    loads, and every driver call fails with CUDA_ERROR_STUB_LIBRARY."""
    stub_dir = tmp_path / "stub"
    stub_dir.mkdir(exist_ok=True)
    link = stub_dir / "libcuda.so.1"
    if not link.exists():
        link.symlink_to(STUB)
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = f"{stub_dir}:{env.get('LD_LIBRARY_PATH', '')}"
    return env


def digits_one():
    with np.load(ROOT / "models" / "digits_test.npz") as data:
        return {"image": data["image"][:1]}


def test_cuda_artifact_files(tmp_path):
    library = compile_cuda(ROOT / "models" / "digits_cnn.onnx", tmp_path,
                           ["--input-shape", "image=1x1x8x8", "--calib",
                            ROOT / "models" / "digits_calib.npz"])
    manifest = json.loads(library.with_suffix(".json").read_text())
    assert manifest["target"] == "cuda" and manifest["gpu_arch"] == "sm_80"
    assert manifest["gpu_binary"] == "fatbin" and "target_cpu" not in manifest
    assert [t["name"] for t in manifest["inputs"]] == ["image"]
    assert all(layer["precision"]["storage"] == "i8" for layer in manifest["layers"]
               if "storage" in layer["precision"])
    assert "_NUM_INPUTS 1" in library.with_suffix(".h").read_text()
    # The kernels are embedded (one fatbin holding every kernel), and the
    # library exports the run functions but not the mgpu* internals.
    assert library.read_bytes().count(FATBIN_MAGIC) == 1
    exported = subprocess.run(["nm", "-D", "--defined-only", library], capture_output=True,
                              text=True, check=True).stdout
    for symbol in ["quantc_artifact_run", "quantc_artifact_signature",
                   "quantc_cuda_run_host", "quantc_cuda_run_device", "quantc_cuda_last_error"]:
        assert f" {symbol}\n" in exported, symbol
    assert "mgpu" not in exported
    needed = subprocess.run(["readelf", "-d", library], capture_output=True, text=True,
                            check=True).stdout
    assert "libcuda.so.1" in needed


@pytest.mark.skipif(driver_loads(), reason="an NVIDIA driver is installed here")
def test_cuda_artifact_without_driver(tmp_path):
    library = compile_cuda(ROOT / "models" / "digits_mlp.onnx", tmp_path,
                           ["--input-shape", "image=1x1x8x8"])
    np.savez(tmp_path / "in.npz", **digits_one())
    proc = subprocess.run([str(BIN / "quant-run"), library, "--inputs", tmp_path / "in.npz",
                           "--outputs", tmp_path / "out.npz"], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "needs the NVIDIA driver's libcuda.so.1" in proc.stderr
    assert not (tmp_path / "out.npz").exists()


METADATA_PROBE = """
import sys
import numpy as np
from quantc.runtime import Model
model = Model(sys.argv[1])
print(model.target, model.inputs[0]["name"], model.inputs[0]["shape"],
      model.outputs[0]["name"], model.outputs[0]["shape"])
try:
    model(np.zeros(model.inputs[0]["shape"], np.float32))
except RuntimeError as error:
    print("error:", error)
"""


def test_cuda_artifact_with_stub_driver(tmp_path):
    """With the stub as libcuda.so.1 the artifact loads (no driver call at
    load time), describes its tensors, and running it reports the missing
    driver without writing outputs."""
    library = compile_cuda(ROOT / "models" / "digits_cnn.onnx", tmp_path,
                           ["--input-shape", "image=1x1x8x8", "--calib",
                            ROOT / "models" / "digits_calib.npz"])
    env = stub_environment(tmp_path)
    env["PYTHONPATH"] = str(ROOT / "python")
    env.setdefault("QUANTC_HOME", str(BIN.parent))
    probe = subprocess.run([os.sys.executable, "-c", METADATA_PROBE, library],
                           capture_output=True, text=True, env=env)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.splitlines()[0] == "cuda image (1, 1, 8, 8) logits (1, 10)"
    assert "error: the model failed on the GPU: no usable CUDA driver (cuInit): " \
           "CUDA_ERROR_STUB_LIBRARY" in probe.stdout
    np.savez(tmp_path / "in.npz", **digits_one())
    proc = subprocess.run([str(BIN / "quant-run"), library, "--inputs", tmp_path / "in.npz",
                           "--outputs", tmp_path / "out.npz"], capture_output=True, text=True,
                          env=env)
    assert proc.returncode == 1 and "CUDA_ERROR_STUB_LIBRARY" in proc.stderr
    assert not (tmp_path / "out.npz").exists()


@pytest.mark.parametrize("arch", ["sm_70", "sm80", "gfx90a"])
def test_unsupported_gpu_arch(arch, tmp_path):
    proc = quantc([ROOT / "models" / "digits_mlp.onnx", "--input-shape", "image=1x1x8x8",
                   "--target", "cuda", "--gpu-arch", arch, "-o", tmp_path / "m.so"], check=False)
    assert proc.returncode != 0
    assert f"unsupported --gpu-arch '{arch}'" in proc.stderr
    assert not list(tmp_path.iterdir())


def expected_and_library(case, precision, tmp_path):
    """The evaluator's outputs for an op case and its CUDA artifact."""
    model, inputs = ALL_CASES[case]
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    if precision == "float":
        return quant_run(path, inputs, tmp_path), compile_cuda(path, tmp_path), inputs, True
    np.savez(tmp_path / "calib.npz", **inputs)
    ir = tmp_path / "int8.mlir"
    library = compile_cuda(path, tmp_path, ["--calib", tmp_path / "calib.npz", "--save-ir", ir])
    text = ir.read_text()
    float_layers = "qc.quantize" not in text or any(
        f"qc.{op} " in text for op in ["conv", "conv_transpose", "matmul", "gemm", "einsum"])
    return quant_run(ir, inputs, tmp_path), library, inputs, float_layers


def assert_matches(actual, expected, float_path):
    assert set(actual) == set(expected)
    for name, exp in expected.items():
        assert actual[name].shape == exp.shape
        if float_path and exp.dtype.kind == "f":
            assert max_rel_error(actual[name], exp) <= 1e-5, name
        else:
            np.testing.assert_array_equal(actual[name], exp, err_msg=name)


# Cases that call a CPU runtime kernel (TopK's partial sort, the sampling
# and region ops' gathers, Det's pivoting) and have no CUDA form; unsigned
# tensors compile for no target yet.
CPU_KERNELS = {"TopK": "quantc_top_k", "GridSample": "quantc_grid_sample",
               "RoiAlign": "quantc_roi_align", "MaxRoiPool": "quantc_max_roi_pool",
               "Det": "quantc_det", "DeformConv": "quantc_deform_unfold"}
CPU_ONLY = {case: kernel for case in ALL_CASES for prefix, kernel in CPU_KERNELS.items()
            if case.startswith(prefix)}
# Branches and loops that stay loops (scf.if, scf.while) compile for the
# CPU only.
GPU_CASES = sorted(set(ALL_CASES) - set(CPU_ONLY) - set(EVALUATOR_ONLY) - set(CONTROL_FLOW))
PRECISION_CASES = [(c, "float") for c in GPU_CASES] + \
    [(c, "int8") for c in GPU_CASES if float_inputs(ALL_CASES[c][1])]


CONTROL_FLOW_REFUSAL = "is a branch or loop decided at run time, which has no CUDA form"
REFUSALS = {**{case: f"calls the CPU kernel '{kernel}', which has no CUDA form"
               for case, kernel in CPU_ONLY.items()},
            **{case: CONTROL_FLOW_REFUSAL for case in CONTROL_FLOW}}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_cpu_only_case_is_refused_for_cuda(case, tmp_path):
    path = tmp_path / "model.onnx"
    onnx.save(ALL_CASES[case][0], path)
    proc = subprocess.run([str(BIN / "quantc"), str(path), *CUDA_FLAGS, "-o",
                           str(tmp_path / "model.so")], capture_output=True, text=True)
    assert proc.returncode != 0
    assert REFUSALS[case] in proc.stderr
    assert not (tmp_path / "model.so").exists()


@pytest.mark.parametrize("case,precision", PRECISION_CASES)
def test_op_case_compiles_for_cuda(case, precision, tmp_path):
    """Every op case lowers to kernels the toolkit accepts, float and int8."""
    _, library, _, _ = expected_and_library(case, precision, tmp_path)
    assert FATBIN_MAGIC in library.read_bytes()


@gpu
@pytest.mark.parametrize("case,precision", PRECISION_CASES)
def test_op_case_on_gpu(case, precision, tmp_path):
    expected, library, inputs, float_path = expected_and_library(case, precision, tmp_path)
    assert_matches(quant_run(library, inputs, tmp_path), expected, float_path)


def real_model(name, tmp_path):
    """A real model, its input spec and calibration inputs (4 images)."""
    if name.startswith("digits"):
        with np.load(ROOT / "models" / "digits_calib.npz") as data:
            calib = {"image": data["image"][:4]}
        return ROOT / "models" / f"{name}.onnx", "image=1x1x8x8", calib
    package, relpath, input_name, shape = PACKAGE_MODELS[name]
    rng = np.random.default_rng(3)
    calib = {input_name: rng.uniform(0, 1, (4, *shape[1:])).astype(np.float32)}
    return package_model(package, relpath), f"{input_name}=" + "x".join(map(str, shape)), calib


REAL_MODELS = ["digits_mlp", "digits_cnn", *sorted(PACKAGE_MODELS)]


def quantize_real_model(name, tmp_path):
    model, spec, calib = real_model(name, tmp_path)
    np.savez(tmp_path / "calib.npz", **calib)
    ir = tmp_path / "int8.mlir"
    subprocess.run([str(BIN / "quant-opt"), model, "--input-shape", spec,
                    f"--qc-quantize-pipeline=data={tmp_path / 'calib.npz'}", "-o", ir],
                   check=True)
    one = {k: v[:1] for k, v in calib.items()}
    return ir, one


@pytest.mark.parametrize("name", REAL_MODELS)
def test_tensor_core_form_is_exact(name, tmp_path):
    """The contractions the tensor-core kernels compute (im2col, the zero
    point folded into the bias, K-contiguous operands), run on the CPU,
    give the evaluator's integers on every real model."""
    ir, one = quantize_real_model(name, tmp_path)
    form = tmp_path / "tensor_cores.mlir"
    subprocess.run([str(BIN / "quant-opt"), ir, "--convert-qc-to-linalg=tensor-cores=true",
                    "-o", form], check=True)
    assert "qc.mma_operands" in form.read_text()
    quantc([form, "--no-microkernels", "-o", tmp_path / "form.so"])
    assert_matches(quant_run(tmp_path / "form.so", one, tmp_path),
                   quant_run(ir, one, tmp_path), float_path=False)


@pytest.mark.parametrize("config", sorted(WEIGHT_ONLY))
@pytest.mark.parametrize("op", ["MatMul", "Gemm"])
def test_weight_only_unpacking_form(op, config, tmp_path):
    """The weight-only contraction the GPU kernels compute (weights packed
    [K / 2, N] for 4 bits, unpacked and dequantized in registers, K split
    into parallel chunks), run on the CPU, matches the evaluator's float
    path; the dequantized weights never exist as floats."""
    ir, _, inputs = compile_weight_only(op, config, tmp_path)
    form = tmp_path / "unpacking.mlir"
    subprocess.run([str(BIN / "quant-opt"), ir, "--convert-qc-to-linalg=tensor-cores=true",
                    "--canonicalize", "-o", form], check=True)
    text = form.read_text()
    packed_rows = 96 if WEIGHT_ONLY[config][0] == "i4" else 192
    assert f"tensor<{packed_rows}x72xi8>" in text and "floordiv" in text
    assert "tensor<192x72xf32>" not in text and "tensor<72x192xf32>" not in text
    quantc([form, "--no-microkernels", "-o", tmp_path / "form.so"])
    assert max_rel_error(quant_run(tmp_path / "form.so", inputs, tmp_path)["Y"],
                         quant_run(ir, inputs, tmp_path)["Y"]) <= 1e-5


@gpu
@pytest.mark.parametrize("config", sorted(WEIGHT_ONLY))
@pytest.mark.parametrize("op", ["MatMul", "Gemm"])
def test_weight_only_on_gpu(op, config, tmp_path):
    ir, library, inputs = compile_weight_only(op, config, tmp_path, CUDA_FLAGS)
    assert max_rel_error(quant_run(library, inputs, tmp_path)["Y"],
                         quant_run(ir, inputs, tmp_path)["Y"]) <= 1e-5


def compile_narrow_float_layer(op, precision, tmp_path):
    model, inputs = float_layer_model(op)
    ir, library = compile_with_rules(
        model, inputs, [{"op_type": op, "activation": precision, "weight": precision}],
        tmp_path, CUDA_FLAGS)
    assert f"x{precision}>" in ir.read_text()
    return ir, library, inputs


@pytest.mark.parametrize("precision", ["bf16", "f16"])
@pytest.mark.parametrize("op", ["MatMul", "Gemm", "Conv"])
def test_narrow_float_layer_compiles_for_cuda(op, precision, tmp_path):
    _, library, _ = compile_narrow_float_layer(op, precision, tmp_path)
    assert library.read_bytes().count(FATBIN_MAGIC) == 1


@gpu
@pytest.mark.parametrize("precision", ["bf16", "f16"])
@pytest.mark.parametrize("op", ["MatMul", "Gemm", "Conv"])
def test_narrow_float_layer_on_gpu(op, precision, tmp_path):
    """f16/bf16 layers sum in f32 and round once, as the evaluator does."""
    ir, library, inputs = compile_narrow_float_layer(op, precision, tmp_path)
    np.testing.assert_array_equal(quant_run(library, inputs, tmp_path)["Y"],
                                  quant_run(ir, inputs, tmp_path)["Y"])


@pytest.mark.parametrize("name", REAL_MODELS)
def test_real_model_compiles_for_cuda(name, tmp_path):
    ir, _ = quantize_real_model(name, tmp_path)
    assert compile_cuda(ir, tmp_path).read_bytes().count(FATBIN_MAGIC) == 1


@gpu
@pytest.mark.parametrize("name", REAL_MODELS)
def test_real_model_on_gpu(name, tmp_path):
    ir, one = quantize_real_model(name, tmp_path)
    library = compile_cuda(ir, tmp_path)
    assert_matches(quant_run(library, one, tmp_path), quant_run(ir, one, tmp_path),
                   float_path=False)
