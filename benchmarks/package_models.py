"""Latency and accuracy of the real models from PyPI packages that need the
wider ONNX coverage: Silero VAD (If, LSTM; one 32 ms chunk per call, the
state carried), ddddocr's captcha reader (CNN + bidirectional LSTM) and
magika's content-type model (one-hot bytes, dense + GELU, a 1-d convolution,
layer norms; one file per call). quantc int8 and f32 libraries (each also
compiled with --float-mode=fast) against ONNX Runtime on the float model and
on the model quantized by its own tool, same threads, one run:
- Silero and ddddocr: quantize_dynamic (uint8 weights as ConvInteger needs:
  Conv, MatMul, Gemm, LSTM as DynamicQuantizeLSTM; quantize_static cannot
  calibrate these graphs). quantc: int8 layers and float gates for Silero
  (--scope=layers), integer throughout for ddddocr (the default
  --scope=all: gates as tables; the same texts as --scope=layers, measured).
- magika: quantize_static (QDQ, per tensor: its per-channel mode fails on
  this graph in ONNX Runtime 1.20.1), calibrated on the same files as quantc
  (--scope=all).

Accuracy: Silero's speech decisions (p > 0.5) on speech-like audio that no
library saw in calibration, and the largest probability change, against ONNX
Runtime f32; ddddocr's greedy CTC characters against ONNX Runtime f32;
magika's content types against ONNX Runtime f32 and against the true type
of each file (test/e2e/magika_corpus.py).

usage: python benchmarks/package_models.py [--threads 1,2] [--runs 50]
           [--out benchmarks/results]
"""
import argparse
import json
import pathlib
import sys
import tempfile

import numpy as np
import onnxruntime as ort
from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                      quantize_dynamic, quantize_static)

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "test" / "e2e"))
from timing import compile_model, cpu_model, time_library, time_ort  # noqa: E402
from test_real_models import (SILERO_CONTEXT, SILERO_WINDOW, captcha_images,  # noqa: E402
                              ctc_text, magika_labels, magika_model, package_model,
                              silero_stream, speech_like)
from magika_corpus import corpus  # noqa: E402
from conftest import BIN, quant_run  # noqa: E402


def ort_runner(path, threads=1):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return lambda feed: session.run(None, feed)


def library_runner(library, tmp):
    return lambda feed: list(quant_run(library, feed, tmp).values())


def fast_twin(library):
    """The int8 library compiled with --float-mode=fast (compile_int8)."""
    return library.with_name(library.stem + "_fast.so")


def compile_f32(model, library, shape, extra=()):
    """The f32 library and its --float-mode=fast twin (FMA, reordered sums,
    polynomial math, bf16 operands where the CPU has fast bf16 dot products)."""
    compile_model(model, fast_twin(library), shape, None, [*extra, "--float-mode=fast"])
    compile_model(model, library, shape, None, list(extra))


def compile_int8(model, library, shape, calib, extra=()):
    """The int8 library and its --float-mode=fast twin (float parts, such as
    recurrent gates and layer norms, with FMA and polynomial math); returns
    the int8 compile's seconds and peak MiB."""
    compile_model(model, fast_twin(library), shape, calib, [*extra, "--float-mode=fast"])
    return compile_model(model, library, shape, calib, list(extra))


def timed_rows(name, paths, feed, tmp, threads, runs, extra):
    """One row per thread count: the three libraries and the two ONNX Runtime
    models on `feed`."""
    int8, f32, ort_int8, model = paths
    np.savez(tmp / "feed.npz", **feed)
    return [{"model": name, "threads": t,
             "quantc_int8_ms": time_library(int8, tmp / "feed.npz", t, runs, 5),
             "quantc_int8_fast_ms": time_library(fast_twin(int8), tmp / "feed.npz", t, runs, 5),
             "quantc_f32_ms": time_library(f32, tmp / "feed.npz", t, runs, 5),
             "quantc_f32_fast_ms": time_library(fast_twin(f32), tmp / "feed.npz", t, runs, 5),
             "ort_int8_ms": time_ort(ort_int8, feed, t, runs, 5),
             "ort_f32_ms": time_ort(model, feed, t, runs, 5), **extra} for t in threads]


def silero(tmp, threads, runs):
    name = "silero_vad_16k_op15"
    model = package_model("silero_vad", f"data/{name}.onnx")
    _, feeds = silero_stream(ort_runner(model), model, speech_like(4.0, seed=4))
    calib = tmp / "silero_calib"
    calib.mkdir()
    for i, feed in enumerate(feeds[::2]):
        np.savez(calib / f"{i:03d}.npz", **feed)
    shape = f"input=1x{SILERO_WINDOW + SILERO_CONTEXT}"
    int8, f32 = tmp / "silero_int8.so", tmp / "silero_f32.so"
    int8_s, int8_mib = compile_int8(model, int8, shape, calib,
                                      ["--input-shape", "state=2x1x128", "--scope=layers"])
    compile_f32(model, f32, shape, ["--input-shape", "state=2x1x128"])
    ort_int8 = tmp / "silero_ort_int8.onnx"
    quantize_dynamic(str(model), str(ort_int8), weight_type=QuantType.QUInt8)

    audio = speech_like(4.0, seed=5)
    reference, chunks = silero_stream(ort_runner(model), model, audio)
    accuracy = {}
    for key, runner in [("quantc_int8", library_runner(int8, tmp)),
                        ("quantc_int8_fast", library_runner(fast_twin(int8), tmp)),
                        ("quantc_f32", library_runner(f32, tmp)),
                        ("quantc_f32_fast", library_runner(fast_twin(f32), tmp)),
                        ("ort_int8", ort_runner(ort_int8))]:
        probs, _ = silero_stream(runner, model, audio)
        accuracy[key] = {"decisions_agree": float(np.mean((probs > 0.5) == (reference > 0.5))),
                         "max_probability_change": float(np.max(np.abs(probs - reference)))}
    return timed_rows("silero-vad (16 kHz, 32 ms chunk)", (int8, f32, ort_int8, model),
                      chunks[len(chunks) // 2], tmp, threads, runs,
                      {"compile_int8_s": int8_s, "compile_int8_peak_mib": int8_mib,
                       "accuracy": accuracy})


def ddddocr(tmp, threads, runs):
    model = package_model("ddddocr", "common.onnx")
    calib = captcha_images(16, seed=0)
    evaluation = captcha_images(16, seed=1)
    np.savez(tmp / "ocr_calib.npz", input1=calib)
    shape = "input1=1x1x64x160"
    int8, f32 = tmp / "ocr_int8.so", tmp / "ocr_f32.so"
    int8_s, int8_mib = compile_int8(model, int8, shape, tmp / "ocr_calib.npz")
    compile_f32(model, f32, shape)
    ort_int8 = tmp / "ocr_ort_int8.onnx"
    quantize_dynamic(str(model), str(ort_int8), weight_type=QuantType.QUInt8)
    reference = [ctc_text(ort_runner(model)({"input1": x[None]})[0]) for x in evaluation]
    accuracy = {}
    for key, runner in [("quantc_int8", library_runner(int8, tmp)),
                        ("quantc_int8_fast", library_runner(fast_twin(int8), tmp)),
                        ("quantc_f32", library_runner(f32, tmp)),
                        ("quantc_f32_fast", library_runner(fast_twin(f32), tmp)),
                        ("ort_int8", ort_runner(ort_int8))]:
        texts = [ctc_text(runner({"input1": x[None]})[0]) for x in evaluation]
        accuracy[key] = {"texts_agree": float(np.mean([a == b for a, b in zip(texts, reference)]))}
    return timed_rows("ddddocr reader (64 x 160)", (int8, f32, ort_int8, model),
                      {"input1": evaluation[:1]}, tmp, threads, runs,
                      {"compile_int8_s": int8_s, "compile_int8_peak_mib": int8_mib,
                       "accuracy": accuracy})


class Samples(CalibrationDataReader):
    """ONNX Runtime's calibration reader over one-sample feeds."""

    def __init__(self, feeds):
        self.feeds = iter(feeds)

    def get_next(self):
        return next(self.feeds, None)


def magika(tmp, threads, runs):
    model = magika_model()
    calib, _ = corpus(seed=1, sources=48)
    evaluation, truth = corpus(seed=2, sources=48)
    np.savez(tmp / "magika_calib.npz", bytes=calib)
    shape = "bytes=1x2048"
    int8, f32 = tmp / "magika_int8.so", tmp / "magika_f32.so"
    int8_s, int8_mib = compile_int8(model, int8, shape, tmp / "magika_calib.npz")
    compile_f32(model, f32, shape)
    ort_int8 = tmp / "magika_ort_int8.onnx"
    quantize_static(str(model), str(ort_int8), Samples({"bytes": x[None]} for x in calib),
                    quant_format=QuantFormat.QDQ, activation_type=QuantType.QInt8,
                    weight_type=QuantType.QInt8, per_channel=False)
    labels = magika_labels(model)
    reference = ort_runner(model)({"bytes": evaluation})[0].argmax(1)
    accuracy = {}
    for key, runner in [("quantc_int8", library_runner(int8, tmp)),
                        ("quantc_int8_fast", library_runner(fast_twin(int8), tmp)),
                        ("quantc_f32", library_runner(f32, tmp)),
                        ("quantc_f32_fast", library_runner(fast_twin(f32), tmp)),
                        ("ort_int8", ort_runner(ort_int8)), ("ort_f32", ort_runner(model))]:
        types = np.array([runner({"bytes": x[None]})[0].argmax() for x in evaluation])
        accuracy[key] = {"types_agree": float(np.mean(types == reference)),
                         "true_types": float(np.mean([labels[t] == e
                                                      for t, e in zip(types, truth)]))}
    return timed_rows(f"magika content types ({len(evaluation)} files)",
                      (int8, f32, ort_int8, model), {"bytes": evaluation[:1]}, tmp,
                      threads, runs, {"compile_int8_s": int8_s,
                                      "compile_int8_peak_mib": int8_mib,
                                      "accuracy": accuracy})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--out", default=str(HERE / "results"))
    args = parser.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        rows = (silero(tmp, threads, args.runs) + ddddocr(tmp, threads, args.runs)
                + magika(tmp, threads, args.runs))
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "package_models.json").write_text(
        json.dumps({"cpu": cpu_model(), "rows": rows}, indent=1) + "\n")
    lines = ["# Models from PyPI packages: quantc vs ONNX Runtime", "",
             f"{cpu_model()}. ORT int8 is ONNX Runtime running the model quantized by its own "
             "tool: quantize_dynamic for Silero and ddddocr (8-bit weights; LSTMs as "
             "DynamicQuantizeLSTM), quantize_static (QDQ, per tensor) for magika. quantc int8 has "
             "int8 layers and float gates (`--scope=layers`) for Silero, and is integer "
             "throughout (`--scope=all`, the default) for ddddocr and magika; every library is "
             "calibrated on other data than measured.",
             "", "`int8 fast` is the int8 library compiled with `--float-mode=fast` (its float "
             "parts, such as recurrent gates and layer norms, with FMA and polynomial math); "
             "`f32 fast` the f32 library so compiled (also bf16 operands where the CPU has fast "
             "bf16 dot products).",
             "", "| model | threads | quantc int8 ms | quantc int8 fast ms | ORT int8 ms | "
             "ORT int8 / quantc int8 | ORT int8 / quantc int8 fast | quantc f32 ms | "
             "quantc f32 fast ms | ORT f32 ms | ORT f32 / quantc f32 | ORT f32 / quantc f32 fast | "
             "accuracy vs ORT f32 (quantc int8; int8 fast; f32 fast; ORT int8) | "
             "compile s (int8) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    keys = ("quantc_int8", "quantc_int8_fast", "quantc_f32_fast", "ort_int8")
    for r in rows:
        acc = r["accuracy"]
        if "decisions_agree" in acc["quantc_int8"]:
            note = "; ".join(f"{acc[k]['decisions_agree']:.0%} decisions, max Δp "
                             f"{acc[k]['max_probability_change']:.3f}" for k in keys)
        elif "texts_agree" in acc["quantc_int8"]:
            note = "; ".join(f"{acc[k]['texts_agree']:.0%} texts" for k in keys)
        else:
            note = "; ".join(f"{acc[k]['types_agree']:.0%} types" for k in keys)
            note += " (true types: " + ", ".join(f"{k} {acc[k]['true_types']:.0%}" for k in acc) + ")"
        lines.append(f"| {r['model']} | {r['threads']} | {r['quantc_int8_ms']:.3f} | "
                     f"{r['quantc_int8_fast_ms']:.3f} | {r['ort_int8_ms']:.3f} | "
                     f"{r['ort_int8_ms'] / r['quantc_int8_ms']:.2f}x | "
                     f"{r['ort_int8_ms'] / r['quantc_int8_fast_ms']:.2f}x | "
                     f"{r['quantc_f32_ms']:.3f} | {r['quantc_f32_fast_ms']:.3f} | "
                     f"{r['ort_f32_ms']:.3f} | {r['ort_f32_ms'] / r['quantc_f32_ms']:.2f}x | "
                     f"{r['ort_f32_ms'] / r['quantc_f32_fast_ms']:.2f}x | {note} | "
                     f"{r['compile_int8_s']:.1f} |")
    (out / "package_models.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
