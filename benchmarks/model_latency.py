"""End-to-end latency of every real model: quantc int8, f32 and bf16
libraries against ONNX Runtime running the float model and the model
quantized by its own tool (quantize_static, QDQ, per channel), same threads,
one run; plus quantc's compile time and peak memory per model.

usage: python benchmarks/model_latency.py [--threads 1,2] [--runs 20]
           [--models yolov8n-nudenet,...] [--out benchmarks/results]
"""
import argparse
import json
import pathlib
import sys
import tempfile

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from datasets import real_models  # noqa: E402
from quantization_accuracy import ort_quantize, shape_option  # noqa: E402
from timing import compile_model, time_library, time_ort  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--models", default="")
    parser.add_argument("--out", default=str(pathlib.Path(__file__).parent / "results"))
    args = parser.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    wanted = set(filter(None, args.models.split(",")))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        for model in real_models():
            if wanted and model.name not in wanted:
                continue
            calib = model.calibration().astype(np.float32)
            x = model.evaluation()[:1].astype(np.float32)
            np.savez(tmp / "calib.npz", **{model.input_name: calib})
            np.savez(tmp / "in.npz", **{model.input_name: x})
            shape = shape_option(model).split("=", 1)[1]
            int8, f32 = tmp / f"{model.name}_int8.so", tmp / f"{model.name}_f32.so"
            bf16 = tmp / f"{model.name}_bf16.so"
            int8_s, int8_mib = compile_model(model.path, int8, shape, tmp / "calib.npz")
            f32_s, f32_mib = compile_model(model.path, f32, shape)
            # Every layer in bf16 (AVX-512 BF16 kernels where the CPU has them).
            compile_model(model.path, bf16, shape, tmp / "calib.npz",
                          ["--activation", "bf16", "--weight", "bf16"])
            try:
                ort_int8 = ort_quantize(model, calib, tmp / f"{model.name}_ort.onnx", "minmax", None)
                ort_scope = "all"
            except Exception:  # its calibrator fails on some models (ppocr-det)
                ort_int8 = ort_quantize(model, calib, tmp / f"{model.name}_ort.onnx", "minmax",
                                        ["Conv", "MatMul", "Gemm"])
                ort_scope = "layers"
            feeds = {model.input_name: x}
            for t in threads:
                row = {"model": model.name, "threads": t, "ort_scope": ort_scope,
                       "compile_int8_s": int8_s, "compile_int8_peak_mib": int8_mib,
                       "compile_f32_s": f32_s, "compile_f32_peak_mib": f32_mib,
                       "quantc_int8_ms": time_library(int8, tmp / "in.npz", t, args.runs, 3),
                       "quantc_f32_ms": time_library(f32, tmp / "in.npz", t, args.runs, 3),
                       "quantc_bf16_ms": time_library(bf16, tmp / "in.npz", t, args.runs, 3),
                       "ort_int8_ms": time_ort(ort_int8, feeds, t, args.runs, 3),
                       "ort_f32_ms": time_ort(model.path, feeds, t, args.runs, 3)}
                rows.append(row)
                print(f"{model.name:16s} threads={t}: quantc int8 {row['quantc_int8_ms']:8.2f} ms, "
                      f"ORT int8 {row['ort_int8_ms']:8.2f} ms "
                      f"({row['ort_int8_ms'] / row['quantc_int8_ms']:.2f}x), quantc f32 "
                      f"{row['quantc_f32_ms']:8.2f} ms, quantc bf16 {row['quantc_bf16_ms']:8.2f} ms, "
                      f"ORT f32 {row['ort_f32_ms']:8.2f} ms; "
                      f"compile {int8_s:.1f} s / {int8_mib or 0:.0f} MiB", flush=True)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "model_latency.json").write_text(json.dumps(rows, indent=1) + "\n")
    lines = ["# Model latency: quantc vs ONNX Runtime (median of single runs, one process each)", "",
             "ORT int8 is ONNX Runtime running the model quantized by its own quantize_static "
             "(QDQ, per channel, same calibration data). quantc bf16 runs every layer in bf16 "
             "(`--activation bf16 --weight bf16`).", "",
             "| model | threads | quantc int8 ms | ORT int8 ms | ORT int8 / quantc int8 | quantc f32 ms | quantc bf16 ms | ORT f32 ms | quantc compile s (int8) | peak MiB |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['model']}{'' if r['ort_scope'] == 'all' else ' (ORT: layers only)'} | {r['threads']} | {r['quantc_int8_ms']:.2f} | {r['ort_int8_ms']:.2f} | "
                     f"{r['ort_int8_ms'] / r['quantc_int8_ms']:.2f}x | {r['quantc_f32_ms']:.2f} | "
                     f"{r['quantc_bf16_ms']:.2f} | "
                     f"{r['ort_f32_ms']:.2f} | {r['compile_int8_s']:.1f} | {r['compile_int8_peak_mib'] or 0:.0f} |")
    (out / "model_latency.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
