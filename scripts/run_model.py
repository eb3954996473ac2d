"""The main job on the bundled digits CNN: import, calibrate on the
training-set calibration split, quantize to int8 (per-channel weights), fold
scales into integer arithmetic, compile to a native library for this CPU
(AVX-512 VNNI kernels), run it on the held-out digits, check it bit for bit
against the reference evaluator, and print the per-layer report; the float
model is checked against ONNX Runtime on the way. The same int8 graph is
compiled for CUDA GPUs too (tensor-core kernels in a fatbin), and run and
checked where an NVIDIA driver is. Then the same with mixed precision:
qc-assign-precision chooses every layer's precision under a budget of bits
per weight, and the report says why."""
import argparse
import ctypes
import json
import pathlib
import subprocess
import tempfile
import time

import numpy as np
import onnxruntime as ort

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run(cmd):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed:\n{proc.stderr}")
    return proc


def evaluate(binary, model, images, tmp):
    inputs, outputs = tmp / "in.npz", tmp / "out.npz"
    np.savez(inputs, image=images)
    start = time.perf_counter()
    run([binary / "quant-run", model, "--inputs", inputs, "--outputs", outputs])
    elapsed = time.perf_counter() - start
    with np.load(outputs) as out:
        return out["logits"], elapsed


def cuda_build(binary, int_ir, library, images, tmp, reference):
    """The int8 graph compiled for CUDA (sm_80); run where a driver is.
    Returns a line for the report and whether it disagrees with `reference`."""
    if not (binary.parent / "lib" / "libquantc_cuda.a").exists():
        return "not built: quantc was built without the CUDA toolkit", False
    start = time.perf_counter()
    run([binary / "quantc", int_ir, "--target", "cuda", "--gpu-arch", "sm_80", "-o", library])
    line = (f"{library.name} ({library.stat().st_size // 1024} KiB, one fatbin: sm_80 cubin "
            f"+ PTX) in {time.perf_counter() - start:.2f} s")
    try:
        ctypes.CDLL("libcuda.so.1")
    except OSError:
        return line + "; no NVIDIA driver here, so it is not run", False
    outputs, _ = evaluate(binary, library, images, tmp)
    exact = bool((outputs == reference).all())
    return line + f"; on the GPU, bit-exact with the reference: {exact}", not exact


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default=str(ROOT / "build" / "bin"))
    parser.add_argument("--model", default=str(ROOT / "models" / "digits_cnn.onnx"))
    parser.add_argument("--calibration", default=str(ROOT / "models" / "digits_calib.npz"))
    parser.add_argument("--data", default=str(ROOT / "models" / "digits_test.npz"))
    parser.add_argument("--estimator", default="minmax")
    parser.add_argument("--report-dir", default=str(ROOT / "build" / "report"),
                        help="where report.{json,md,svg} are written")
    parser.add_argument("--bits-per-weight", type=float, default=6.0,
                        help="budget of the mixed-precision build")
    args = parser.parse_args()
    binary = pathlib.Path(args.bin)
    report = pathlib.Path(args.report_dir)
    report.mkdir(parents=True, exist_ok=True)
    with np.load(args.data) as data:
        images, labels = data["image"], data["label"]

    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        float_ir, int_ir = tmp / "float.mlirbc", tmp / "int8.mlirbc"
        start = time.perf_counter()
        run([binary / "quant-opt", args.model, "--input-shape", "image=1x1x8x8",
             "--qc-simplify", "--emit-bytecode", "-o", float_ir])
        proc = run([
            binary / "quant-opt", float_ir,
            f"--qc-calibrate=data={args.calibration} estimator={args.estimator}",
            "--qc-quantize", "--qc-fold-scales",
            f"--qc-report=reference={float_ir} data={args.data} "
            f"json={report / 'report.json'} markdown={report / 'report.md'} "
            f"svg={report / 'report.svg'}",
            "--emit-bytecode", "-o", int_ir])
        compile_time = time.perf_counter() - start
        print(f"== {pathlib.Path(args.model).name}: int8, per-channel weights, "
              f"{args.estimator} calibration on {pathlib.Path(args.calibration).name}\n")
        print(proc.stderr)
        ours_float, float_time = evaluate(binary, float_ir, images, tmp)
        ours_int, int_time = evaluate(binary, int_ir, images, tmp)
        library = report / "digits_cnn_int8.so"
        start = time.perf_counter()
        run([binary / "quantc", int_ir, "-o", library])
        codegen_time = time.perf_counter() - start
        native, _ = evaluate(binary, library, images, tmp)
        np.savez(tmp / "one.npz", image=images[:1])
        latency = json.loads(run([binary / "quant-run", library, "--inputs", tmp / "one.npz",
                                  "--benchmark", "1000"]).stdout)["median_ms"]
        cuda_line, cuda_differs = cuda_build(binary, int_ir, report / "digits_cnn_int8_cuda.so",
                                             images, tmp, ours_int)

        # Mixed precision: each layer's precision chosen under the budget.
        mixed_ir = tmp / "mixed.mlirbc"
        mixed = run([
            binary / "quant-opt", float_ir,
            f"--qc-calibrate=data={args.calibration} estimator={args.estimator}",
            f"--qc-assign-precision=data={args.calibration} "
            f"bits-per-weight={args.bits_per_weight} "
            f"cache={report / 'sensitivities.json'} pareto={report / 'pareto.json'}",
            "--qc-quantize", "--qc-fold-scales",
            f"--qc-report=reference={float_ir} data={args.data} "
            f"markdown={report / 'mixed_report.md'}",
            "--emit-bytecode", "-o", mixed_ir])
        ours_mixed, _ = evaluate(binary, mixed_ir, images, tmp)
        mixed_library = report / "digits_cnn_mixed.so"
        run([binary / "quantc", mixed_ir, "-o", mixed_library])
        native_mixed, _ = evaluate(binary, mixed_library, images, tmp)

    theirs = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"]).run(
        None, {"image": images})[0]
    rel = np.max(np.abs(ours_float - theirs)) / np.max(np.abs(theirs))
    print(f"held-out images:                 {len(labels)}")
    print(f"float accuracy (ONNX Runtime):   {(theirs.argmax(1) == labels).mean():.4f}")
    print(f"float accuracy (reference):      {(ours_float.argmax(1) == labels).mean():.4f}"
          f"   max relative error vs ONNX Runtime {rel:.1e}")
    print(f"int8 accuracy (reference):       {(ours_int.argmax(1) == labels).mean():.4f}")
    print(f"int8 accuracy (native library):  {(native.argmax(1) == labels).mean():.4f}"
          f"   bit-exact with the reference: {bool((native == ours_int).all())}")
    print(f"int8 top-1 agreement with float: {(ours_int.argmax(1) == theirs.argmax(1)).mean():.4f}")
    print(f"import + calibrate + quantize:   {compile_time:.2f} s")
    print(f"code generation + link:          {codegen_time:.2f} s")
    print(f"reference evaluation (f32/int8): {float_time * 1000:.0f} ms / {int_time * 1000:.0f} ms")
    print(f"native int8 latency, one image:  {latency * 1000:.1f} us (median of 1000)")
    print(f"CUDA int8 library:               {cuda_line}")
    print(f"report written to                {report}/report.{{json,md,svg}}, "
          f"library {library} (+ .h, .json)")
    print(f"\n== mixed precision within {args.bits_per_weight} bits per weight "
          "(qc-assign-precision)\n")
    print(mixed.stderr)
    mixed_rel = np.max(np.abs(native_mixed - ours_mixed)) / np.max(np.abs(ours_mixed))
    print(f"mixed accuracy (reference):      {(ours_mixed.argmax(1) == labels).mean():.4f}")
    print(f"mixed accuracy (native library): {(native_mixed.argmax(1) == labels).mean():.4f}"
          f"   max relative difference from the reference {mixed_rel:.1e}")
    print(f"mixed report and Pareto front    {report}/mixed_report.md, {report}/pareto.{{json,svg}}")
    if not (native == ours_int).all():
        raise SystemExit("the native library differs from the reference evaluator")
    if cuda_differs:
        raise SystemExit("the CUDA library differs from the reference evaluator")
    if mixed_rel > 1e-5:
        raise SystemExit("the mixed-precision library differs from the reference evaluator")


if __name__ == "__main__":
    main()
