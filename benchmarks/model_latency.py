"""End-to-end latency of every real model: quantc int8, f32, bf16 and
fast-float (--float-mode=fast) libraries against ONNX Runtime running the float model and the model
quantized by its own tool (quantize_static, QDQ, per channel), and against
OpenVINO (where installed: pip install openvino) on the float model with its
default precision hint and with f32, and on the same QDQ model; same
threads, one run at a time, all of a model's engines loaded side by side
and taking turns (timing.time_interleaved), so that a machine whose speed
drifts leaves their ratios alone; plus quantc's compile time and peak
memory per model.

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
from timing import (compile_model, cpu_model, openvino_runner, openvino_version,  # noqa: E402
                    ort_runner, quantc_runner, time_interleaved)


def openvino_runners(model, ort_int8, feeds, threads):
    """OpenVINO's default, f32 and QDQ runners, and the reasons where it
    refuses a model (printed and recorded)."""
    runners, refused = {}, {}
    for key, path, precision in [("ov_default_ms", model.path, None),
                                 ("ov_f32_ms", model.path, "f32"),
                                 ("ov_int8_ms", ort_int8, None)]:
        try:
            runners[key] = openvino_runner(path, feeds, threads, precision)
        except Exception as error:  # its frontend's refusal, recorded as such
            # Its message nests "Exception from <file>" lines around the cause.
            cause = [line for line in str(error).splitlines()
                     if line.strip() and not line.startswith("Exception from")]
            refused[key] = " ".join(cause)[:300]
            print(f"OpenVINO refuses {path.name} ({key}): {refused[key]}", flush=True)
    return runners, refused


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--models", default="")
    parser.add_argument("--out", default=str(pathlib.Path(__file__).parent / "results"))
    args = parser.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    wanted = set(filter(None, args.models.split(",")))
    ov = openvino_version()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        for model in real_models():
            if wanted and model.name not in wanted:
                continue
            calib = model.calibration().astype(np.float32)
            x = model.evaluation()[:1].astype(np.float32)
            np.savez(tmp / "calib.npz", **{model.input_name: calib})
            shape = shape_option(model).split("=", 1)[1]
            int8, f32 = tmp / f"{model.name}_int8.so", tmp / f"{model.name}_f32.so"
            bf16 = tmp / f"{model.name}_bf16.so"
            fast = tmp / f"{model.name}_fast.so"
            int8_s, int8_mib = compile_model(model.path, int8, shape, tmp / "calib.npz")
            f32_s, f32_mib = compile_model(model.path, f32, shape)
            compile_model(model.path, fast, shape, None, ["--float-mode", "fast"])
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
                       "compile_f32_s": f32_s, "compile_f32_peak_mib": f32_mib}
                runners = {"quantc_int8_ms": quantc_runner(int8, feeds, t),
                           "quantc_f32_ms": quantc_runner(f32, feeds, t),
                           "quantc_bf16_ms": quantc_runner(bf16, feeds, t),
                           "quantc_fast_ms": quantc_runner(fast, feeds, t),
                           "ort_int8_ms": ort_runner(ort_int8, feeds, t, False),
                           "ort_f32_ms": ort_runner(model.path, feeds, t, False)}
                if ov:
                    ov_runners, refused = openvino_runners(model, ort_int8, feeds, t)
                    runners.update(ov_runners)
                    row.update({key: None for key in refused}, ov_refused=refused)
                row.update(time_interleaved(runners, args.runs, 3))
                rows.append(row)
                print(f"{model.name:16s} threads={t}: quantc int8 {row['quantc_int8_ms']:8.2f} ms, "
                      f"ORT int8 {row['ort_int8_ms']:8.2f} ms "
                      f"({row['ort_int8_ms'] / row['quantc_int8_ms']:.2f}x), quantc f32 "
                      f"{row['quantc_f32_ms']:8.2f} ms, quantc bf16 {row['quantc_bf16_ms']:8.2f} ms, "
                      f"quantc fast {row['quantc_fast_ms']:8.2f} ms, "
                      f"ORT f32 {row['ort_f32_ms']:8.2f} ms; "
                      f"compile {int8_s:.1f} s / {int8_mib or 0:.0f} MiB", flush=True)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "model_latency.json").write_text(json.dumps(
        {"cpu": cpu_model(), "openvino": ov, "rows": rows}, indent=1) + "\n")
    write_table(out / "model_latency.md", cpu_model(), ov, rows)


def write_table(path, cpu, ov, rows):
    """The Markdown table of `rows` (as model_latency.json holds them)."""
    ov_note = (f" OpenVINO {ov}: its CPU plugin on the float model with the default precision "
               "hint (bf16 where the CPU has AMX-BF16 or AVX512-BF16) and with f32, and on ORT's "
               "QDQ model; 'fastest OV / quantc int8' divides its fastest of the three by "
               "quantc int8 (above 1: quantc is faster)." if ov else " OpenVINO is not installed.")
    ov_head = (" OV default ms | OV f32 ms | OV int8 ms | fastest OV / quantc int8 | "
               "OV default / quantc fast |" if ov else "")
    lines = ["# Model latency: quantc vs ONNX Runtime and OpenVINO (median of single runs, "
             "the engines taking turns)", "",
             f"{cpu}. Every engine runs in one process through its Python API "
             "(quantc.runtime for quantc's libraries), one inference at a time, the engines "
             "taking turns (timing.time_interleaved; ONNX Runtime's workers stop spinning when "
             "its run ends, so that they leave the next engine its cores). ORT int8 is ONNX "
             "Runtime running the "
             "model quantized by its own "
             "quantize_static (QDQ, per channel, same calibration data). quantc bf16 runs every "
             "layer in bf16 (`--activation bf16 --weight bf16`). quantc fast is the float model "
             "with `--float-mode=fast` (FMA, reordered sums, polynomial math; float layers on "
             "bf16 operands and AMX-BF16 tiles where the CPU has them)." + ov_note, "",
             "| model | threads | quantc int8 ms | ORT int8 ms | ORT int8 / quantc int8 | "
             "quantc f32 ms | quantc bf16 ms | quantc fast ms | ORT f32 ms | "
             "ORT f32 / quantc fast |" + ov_head + " quantc compile s (int8) | peak MiB |",
             "|---|---|---|---|---|---|---|---|---|---|" + ("---|---|---|---|---|" if ov else "") +
             "---|---|"]

    def ms(value):
        return "refused" if value is None else f"{value:.2f}"

    def ratio(theirs, ours):
        return "-" if theirs is None else f"{theirs / ours:.2f}x"

    for r in rows:
        ov_cells = ""
        if ov:
            fastest = min((v for v in (r["ov_default_ms"], r["ov_f32_ms"], r["ov_int8_ms"])
                           if v is not None), default=None)
            ov_cells = (f" {ms(r['ov_default_ms'])} | {ms(r['ov_f32_ms'])} | "
                        f"{ms(r['ov_int8_ms'])} | {ratio(fastest, r['quantc_int8_ms'])} | "
                        f"{ratio(r['ov_default_ms'], r['quantc_fast_ms'])} |")
        lines.append(f"| {r['model']}{'' if r['ort_scope'] == 'all' else ' (ORT: layers only)'} | {r['threads']} | {r['quantc_int8_ms']:.2f} | {r['ort_int8_ms']:.2f} | "
                     f"{r['ort_int8_ms'] / r['quantc_int8_ms']:.2f}x | {r['quantc_f32_ms']:.2f} | "
                     f"{r['quantc_bf16_ms']:.2f} | {r['quantc_fast_ms']:.2f} | "
                     f"{r['ort_f32_ms']:.2f} | {r['ort_f32_ms'] / r['quantc_fast_ms']:.2f}x |"
                     f"{ov_cells} {r['compile_int8_s']:.1f} | {r['compile_int8_peak_mib'] or 0:.0f} |")
    reasons = sorted({f"{r['model']}: {why}" for r in rows
                      for why in r.get("ov_refused", {}).values()})
    if reasons:
        lines += ["", "OpenVINO's refusals (its CPU plugin, on compiling the model):", ""]
        lines += [f"- {reason}" for reason in reasons]
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
