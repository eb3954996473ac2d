"""Shared timing helpers of the speed benchmarks: quantc libraries run by
quant-run --benchmark, ONNX Runtime sessions timed here the same way
(warm-up, then the median of repeated single runs)."""
import json
import pathlib
import subprocess
import time

import numpy as np
import onnxruntime as ort

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = ROOT / "build" / "bin"


def run(cmd):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(map(str, cmd))}\n{proc.stderr[-3000:]}")
    return proc


def compile_model(onnx_path, library, input_shape=None, calibration=None,
                  extra=()):
    """Runs quantc; returns (seconds, peak resident MiB) of the compiler, the
    peak as GNU time reports it (None without /usr/bin/time)."""
    cmd = [BIN / "quantc", onnx_path, "-o", library, *extra]
    if input_shape:
        cmd += ["--input-shape", input_shape]
    if calibration is not None:
        cmd += ["--calib", calibration]
    gnu_time = pathlib.Path("/usr/bin/time")
    report = pathlib.Path(str(library) + ".time")
    if gnu_time.exists():
        cmd = [gnu_time, "-f", "%M", "-o", report, *cmd]
    start = time.perf_counter()
    run(cmd)
    seconds = time.perf_counter() - start
    peak = int(report.read_text().split()[-1]) / 1024 if gnu_time.exists() else None
    return seconds, peak


def time_library(library, inputs_npz, threads, runs, warmup):
    proc = run([BIN / "quant-run", library, "--inputs", inputs_npz,
                "--benchmark", runs, "--warmup", warmup,
                "--num-threads", threads])
    return json.loads(proc.stdout)["median_ms"]


def time_ort(model_path, feeds, threads, runs, warmup):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(str(model_path), options,
                                   providers=["CPUExecutionProvider"])
    for _ in range(warmup):
        session.run(None, feeds)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, feeds)
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))
