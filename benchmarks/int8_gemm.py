"""int8 GEMM speed: quantc's compiled matmul layers against ONNX Runtime's
int8 MatMul, same shapes and threads, in one run.

Each case is a one-layer ONNX model Y = X W (W constant, K x N) quantized to
int8 per channel on the same calibration data by quantc (--calib) and by ONNX
Runtime's quantize_static (QDQ, which it runs as an integer MatMul). Both
sides include quantizing X and dequantizing Y. Each figure is the best of
three medians taken alternately for the engines. Throughput is 2 M N K / time;
the fraction of peak is against this machine's single-core peak, measured
first: AMX-INT8 tiles (benchmarks/amx_peak.c) where the CPU has them, else
AVX-512 VNNI (benchmarks/vnni_peak.c). Where it has AMX, quantc also runs
with QUANTC_AMX=0 (its vpdpbusd kernels) for comparison.

usage: python benchmarks/int8_gemm.py [--runs 30] [--out benchmarks/results]
"""
import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnxruntime import quantization as ortq

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from timing import compile_model, cpu_model, time_library, time_ort  # noqa: E402


def measure_peak_gops(probe, flags=()):
    """This machine's single-core throughput of a probe in benchmarks/
    (vnni_peak.c: vpdpbusd; amx_peak.c: tdpbusd, 0 without AMX)."""
    source = pathlib.Path(__file__).with_name(probe)
    with tempfile.TemporaryDirectory() as tmp:
        binary = pathlib.Path(tmp) / source.stem
        subprocess.run(["clang-22", "-O2", *flags, str(source), "-o", str(binary)], check=True)
        return float(subprocess.run([str(binary)], check=True, capture_output=True,
                                    text=True).stdout.split()[0])

SHAPES = [(m, k) for m in (1, 32, 128) for k in (768, 3072, 4096)]


def matmul_model(m, k, path, rng):
    weight = rng.uniform(-1, 1, size=(k, k)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["X", "W"], ["Y"], name="matmul")], "gemm",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [m, k])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [m, k])],
        [numpy_helper.from_array(weight, "W")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)


class Reader(ortq.CalibrationDataReader):
    def __init__(self, samples):
        self.samples = iter(samples)

    def get_next(self):
        x = next(self.samples, None)
        return None if x is None else {"X": x}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--out", default=str(pathlib.Path(__file__).parent / "results"))
    args = parser.parse_args()
    vnni_peak = measure_peak_gops("vnni_peak.c", ["-mavx512f", "-mavx512bw", "-mavx512vnni"])
    amx_peak = measure_peak_gops("amx_peak.c")
    peak = amx_peak or vnni_peak
    print(f"{cpu_model()}: vpdpbusd peak {vnni_peak:.1f} GOP/s per core, AMX-INT8 peak "
          f"{amx_peak:.1f}" if amx_peak else f"{cpu_model()}: vpdpbusd peak {vnni_peak:.1f} "
          "GOP/s per core, no AMX")
    rng = np.random.default_rng(0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        for m, k in SHAPES:
            model = tmp / f"mm_{m}_{k}.onnx"
            matmul_model(m, k, model, rng)
            calib = [rng.uniform(-1, 1, size=(m, k)).astype(np.float32) for _ in range(4)]
            np.savez(tmp / "calib.npz", X=np.stack(calib))
            np.savez(tmp / "in.npz", X=calib[0])
            library = tmp / f"mm_{m}_{k}.so"
            compile_model(model, library, calibration=tmp / "calib.npz")
            ort_model = tmp / f"mm_{m}_{k}_ort.onnx"
            ortq.quantize_static(str(model), str(ort_model), Reader(calib),
                                 quant_format=ortq.QuantFormat.QDQ, per_channel=True,
                                 activation_type=ortq.QuantType.QInt8,
                                 weight_type=ortq.QuantType.QInt8)
            ops = 2.0 * m * k * k
            for threads in (1, 2):
                # The best of three alternating medians: the machine is shared.
                ours, vnni, theirs = float("inf"), float("inf"), float("inf")
                for _ in range(3):
                    ours = min(ours, time_library(library, tmp / "in.npz", threads, args.runs, 5))
                    if amx_peak:
                        vnni = min(vnni, time_library(library, tmp / "in.npz", threads, args.runs,
                                                      5, {"QUANTC_AMX": "0"}))
                    theirs = min(theirs, time_ort(ort_model, {"X": calib[0]}, threads, args.runs, 5))
                row = {"M": m, "K": k, "N": k, "threads": threads,
                       "quantc_ms": ours, "ort_ms": theirs,
                       "quantc_gops": ops / ours / 1e6, "ort_gops": ops / theirs / 1e6}
                if amx_peak:
                    row["quantc_vnni_gops"] = ops / vnni / 1e6
                row["quantc_peak"] = row["quantc_gops"] / (peak * threads)
                row["ort_peak"] = row["ort_gops"] / (peak * threads)
                row["speedup"] = theirs / ours
                rows.append(row)
                print(f"M={m:4d} K=N={k:5d} threads={threads}: quantc {row['quantc_gops']:6.1f} GOP/s "
                      f"({100 * row['quantc_peak']:4.1f}% of peak), ORT {row['ort_gops']:6.1f} GOP/s, "
                      f"quantc/ORT speed {row['speedup']:.2f}x", flush=True)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "int8_gemm.json").write_text(json.dumps(
        {"cpu": cpu_model(), "vnni_peak_gops": vnni_peak, "amx_peak_gops": amx_peak,
         "rows": rows}, indent=1) + "\n")
    peak_text = (f"AMX-INT8 tile peak {amx_peak:.0f} GOP/s per core (amx_peak.c); vpdpbusd "
                 f"peak {vnni_peak:.0f}" if amx_peak else
                 f"vpdpbusd peak {vnni_peak:.0f} GOP/s per core (vnni_peak.c); no AMX")
    vnni_head = " quantc VNNI only GOP/s |" if amx_peak else ""
    lines = ["# int8 GEMM: quantc vs ONNX Runtime (same shapes, threads, run)", "",
             f"{cpu_model()}. Throughput 2MNK/time; % peak against the {peak_text}, measured.",
             "", f"| M | K=N | threads | quantc GOP/s | % peak |{vnni_head} ORT GOP/s | % peak | "
             "quantc speed / ORT |",
             "|---|---|---|---|---|" + ("---|" if amx_peak else "") + "---|---|---|"]
    for r in rows:
        vnni_cell = f" {r['quantc_vnni_gops']:.1f} |" if amx_peak else ""
        lines.append(f"| {r['M']} | {r['K']} | {r['threads']} | {r['quantc_gops']:.1f} | "
                     f"{100 * r['quantc_peak']:.1f} |{vnni_cell} {r['ort_gops']:.1f} | "
                     f"{100 * r['ort_peak']:.1f} | {r['speedup']:.2f}x |")
    (out / "int8_gemm.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
