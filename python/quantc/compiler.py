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


def compile(onnx_path, calibration=None, target="cpu", target_cpu="znver4",
            output=None, input_shapes=None, activation="i8", weight="i8",
            scope="all", estimator="minmax", overrides=None,
            rounding="half_to_even", threads=1):
    """Compiles `onnx_path` and returns the loaded Model.

    calibration: .npz file(s) or directories of inputs; without it the model
        is compiled in float.
    output: where the library goes (default: a temporary directory that
        lives as long as the returned Model).
    input_shapes: {"input": (1, 3, 224, 224)} for inputs with dynamic dims.
    """
    if target != "cpu":
        raise ValueError(f"unsupported target '{target}' (cpu)")
    workdir = None
    if output is None:
        workdir = tempfile.TemporaryDirectory(prefix="quantc-")
        output = pathlib.Path(workdir.name) / (pathlib.Path(onnx_path).stem + ".so")
    cmd = [str(find_tool("quantc")), str(onnx_path), "-o", str(output),
           "--target", target, "--target-cpu", target_cpu]
    for name, shape in (input_shapes or {}).items():
        cmd += ["--input-shape", f"{name}=" + "x".join(str(d) for d in shape)]
    if calibration is not None:
        paths = calibration if isinstance(calibration, (list, tuple)) else [calibration]
        for path in paths:
            cmd += ["--calib", str(path)]
        cmd += ["--activation", activation, "--weight", weight, "--scope", scope,
                "--estimator", estimator, "--rounding", rounding]
        if overrides:
            cmd += ["--overrides", str(overrides)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        raise CompileError(proc.stderr.strip())
    model = Model(output, threads=threads)
    model._workdir = workdir  # keeps a temporary library alive
    return model
