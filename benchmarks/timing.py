"""Shared timing helpers of the speed benchmarks: quantc libraries run by
quant-run --benchmark, ONNX Runtime sessions timed here the same way
(warm-up, then the median of repeated single runs); and engines loaded side
by side in this process, timed taking turns (time_interleaved)."""
import json
import os
import pathlib
import subprocess
import sys
import time

import numpy as np
import onnxruntime as ort

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = ROOT / "build" / "bin"


def run(cmd, env=None):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                          env=None if env is None else {**os.environ, **env})
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


def time_library(library, inputs_npz, threads, runs, warmup, env=None):
    """Median ms of quant-run --benchmark; `env` adds environment variables
    (QUANTC_AMX=0 keeps the integer layers off the AMX tiles)."""
    proc = run([BIN / "quant-run", library, "--inputs", inputs_npz,
                "--benchmark", runs, "--warmup", warmup,
                "--num-threads", threads], env)
    return json.loads(proc.stdout)["median_ms"]


def median_ms(run_once, runs, warmup, sync=None):
    """Median ms of `runs` calls of run_once after `warmup` untimed ones;
    `sync` (a device's synchronize) ends each timed call and the warm-up."""
    sync = sync or (lambda: None)
    for _ in range(warmup):
        run_once()
    sync()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run_once()
        sync()
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def time_interleaved(runners, runs, warmup, per_turn=5, pause=0.02):
    """Median ms of each of `runners` (name -> callable running one
    inference) over `runs` timed single runs, the runners taking turns:
    each turn is one untimed run (the caches warm again after the other
    engines) and `per_turn` - 1 timed ones, the turns `pause` seconds of
    busy waiting apart (the previous engine's threads stop spinning for
    work first) and in an order that rotates. On a machine whose speed
    drifts from minute to minute (a shared virtual machine) every engine
    then meets the same drift, and the ratios between them keep their
    meaning where medians taken one engine after another do not."""
    names = list(runners)
    for name in names:
        for _ in range(warmup):
            runners[name]()
    times = {name: [] for name in names}
    turns = -(-runs // (per_turn - 1))
    for turn in range(turns):
        shift = turn % len(names)
        for name in names[shift:] + names[:shift]:
            # Busy, not asleep: an idle core would clock down and
            # slow the turn's first runs.
            resume = time.perf_counter() + pause
            while time.perf_counter() < resume:
                pass
            runners[name]()
            for _ in range(per_turn - 1):
                start = time.perf_counter()
                runners[name]()
                times[name].append(time.perf_counter() - start)
    return {name: 1000 * float(np.median(t)) for name, t in times.items()}


def quantc_runner(library, feeds, threads):
    """A quantc library loaded in this process (quantc.runtime), as a
    callable for time_interleaved."""
    os.environ.setdefault("QUANTC_HOME", str(BIN.parent))
    if str(ROOT / "python") not in sys.path:
        sys.path.insert(0, str(ROOT / "python"))
    from quantc.runtime import Model
    model = Model(str(library), threads=threads)
    return lambda: model(**feeds)


def ort_runner(model_path, feeds, threads, spin_after_runs=True):
    """An ONNX Runtime session on the CPU. spin_after_runs False stops its
    workers' spinning when a run ends (they still spin within it), which
    would otherwise take a core from the engine timed next."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    if not spin_after_runs:
        options.add_session_config_entry("session.force_spinning_stop", "1")
    session = ort.InferenceSession(str(model_path), options,
                                   providers=["CPUExecutionProvider"])
    return lambda: session.run(None, feeds)


def time_ort(model_path, feeds, threads, runs, warmup):
    return median_ms(ort_runner(model_path, feeds, threads), runs, warmup)


def cpu_model():
    """This machine's CPU model name, as /proc/cpuinfo gives it, with its
    family and model numbers (a virtual machine's name may be only "AMD
    EPYC" or "Intel Xeon Processor")."""
    fields = {}
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    name = fields.get("model name", "unknown CPU")
    if "cpu family" in fields and "model" in fields:
        name += f" (family {fields['cpu family']}, model {fields['model']})"
    return name


def cpu_flags():
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def openvino_version():
    """OpenVINO's version, or None where it is not installed (it is a peer
    in the benchmarks, never a dependency)."""
    try:
        import openvino
    except ImportError:
        return None
    return openvino.__version__.split("-")[0]


def openvino_runner(model_path, feeds, threads, precision=None):
    """OpenVINO's CPU plugin running an ONNX model, with the latency hint and
    one stream. precision None keeps its default inference precision (bf16
    where the CPU has AMX-BF16 or AVX512-BF16); "f32" forces f32. Raises
    where its ONNX frontend refuses the model."""
    import openvino
    config = {"INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY",
              "NUM_STREAMS": 1}
    if precision:
        config["INFERENCE_PRECISION_HINT"] = precision
    compiled = openvino.Core().compile_model(str(model_path), "CPU", config)
    request = compiled.create_infer_request()
    return lambda: request.infer(feeds)
