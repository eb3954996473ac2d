"""The compile step: runs the quantc driver."""
import os
import pathlib
import shutil
import subprocess
import tempfile

from .runtime import Model


class CompileError(RuntimeError):
    """quantc rejected the model; the message is its diagnostic."""


def find_tool(name):
    """The path of a quantc executable: $QUANTC_HOME/bin, then PATH."""
    home = os.environ.get("QUANTC_HOME")
    if home:
        candidate = pathlib.Path(home) / "bin" / name
        if candidate.exists():
            return candidate
    found = shutil.which(name)
    if found:
        return pathlib.Path(found)
    raise FileNotFoundError(f"cannot find '{name}': set QUANTC_HOME to a quantc "
                            "build or install directory")


def _quantization_args(calibration, input_shapes, activation, weight, scope,
                       estimator, overrides):
    args = []
    for name, shape in (input_shapes or {}).items():
        args += ["--input-shape", f"{name}=" + "x".join(str(d) for d in shape)]
    if calibration is not None:
        paths = calibration if isinstance(calibration, (list, tuple)) else [calibration]
        for path in paths:
            args += ["--calib", str(path)]
        args += ["--activation", activation, "--weight", weight, "--scope", scope,
                 "--estimator", estimator]
        if overrides:
            args += ["--overrides", str(overrides)]
    return args


def _run_quantc(args):
    proc = subprocess.run([str(find_tool("quantc")), *map(str, args)],
                          capture_output=True, text=True)
    if proc.returncode:
        raise CompileError(proc.stderr.strip())


def compile(onnx_path, calibration=None, target="cpu", target_cpu="host",
            output=None, input_shapes=None, activation="i8", weight="i8",
            scope="all", estimator="minmax", overrides=None,
            rounding="half_to_even", threads=1, gpu_arch="sm_80", load=True,
            float_mode="exact"):
    """Compiles `onnx_path` and returns the loaded Model.

    target: "cpu" (target_cpu picks the instruction set) or "cuda"
        (gpu_arch picks the GPU: sm_80, sm_86, sm_89, sm_90, ...).
    float_mode: "exact" (float layers compute as the reference evaluator
        does, bit for bit) or "fast" (CPU: FMA, reordered sums, polynomial
        math, and float layers on bf16 operands where the CPU has AMX-BF16;
        see docs/README.md for its tolerance).
    load: False returns the library's path instead of loading it (a CUDA
        library loads only where the NVIDIA driver is installed).

    calibration: .npz file(s) or directories of inputs; without it the model
        is compiled in float.
    output: where the library goes (default: a temporary directory that
        lives as long as the returned Model).
    input_shapes: {"input": (1, 3, 224, 224)} for inputs with dynamic dims.
    """
    if target not in ("cpu", "cuda"):
        raise ValueError(f"unsupported target '{target}' (cpu, cuda)")
    if output is None and not load:
        raise ValueError("load=False needs an output path")
    workdir = None
    if output is None:
        workdir = tempfile.TemporaryDirectory(prefix="quantc-")
        output = pathlib.Path(workdir.name) / (pathlib.Path(onnx_path).stem + ".so")
    args = [onnx_path, "-o", output, "--target", target, "--target-cpu", target_cpu,
            *_quantization_args(calibration, input_shapes, activation, weight, scope,
                                estimator, overrides)]
    if target == "cuda":
        args += ["--gpu-arch", gpu_arch]
    if float_mode != "exact":
        args += ["--float-mode", float_mode]
    if calibration is not None:
        args += ["--rounding", rounding]
    _run_quantc(args)
    if not load:
        return pathlib.Path(output)
    model = Model(output, threads=threads)
    model._workdir = workdir  # keeps a temporary library alive
    return model


def quantize(onnx_path, calibration, output, input_shapes=None, activation="i8",
             weight="i8", scope="all", estimator="minmax", overrides=None):
    """Writes `output`: the ONNX model quantized by quantc in QDQ form
    (QuantizeLinear / DequantizeLinear pairs with quantc's scales and zero
    points, 8-bit weight initializers), for ONNX Runtime and other runtimes.
    Returns the output path. Precisions QDQ cannot hold (4-bit, block-wise
    scales) raise CompileError."""
    _run_quantc([onnx_path, "-o", output, "--target", "onnx-qdq",
                 *_quantization_args(calibration, input_shapes, activation, weight,
                                     scope, estimator, overrides)])
    return pathlib.Path(output)
