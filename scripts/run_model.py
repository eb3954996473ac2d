"""The main job on the bundled digits CNN: import + qc-simplify + reference
evaluation of the held-out digits, checked against ONNX Runtime, with a
per-layer report of the simplified graph."""
import argparse
import pathlib
import subprocess
import tempfile
import time

import numpy as np
import onnxruntime as ort

ROOT = pathlib.Path(__file__).resolve().parents[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=str(ROOT / "build" / "bin"))
    parser.add_argument("--model", default=str(ROOT / "models" / "digits_cnn.onnx"))
    parser.add_argument("--data", default=str(ROOT / "models" / "digits_test.npz"))
    args = parser.parse_args()
    binary = pathlib.Path(args.bin)
    with np.load(args.data) as data:
        images, labels = data["image"], data["label"]
    shape = "image=" + "x".join(map(str, images.shape))

    ir = subprocess.run([str(binary / "quant-opt"), args.model, "--input-shape", shape,
                         "--qc-simplify"], check=True, capture_output=True, text=True).stdout
    print(f"== {pathlib.Path(args.model).name}: layers after qc-simplify")
    print(f"{'#':>3}  {'op':<18} result type")
    layer = 0
    for line in ir.splitlines():
        line = line.strip()
        if "= qc." in line and "qc.constant" not in line:
            op = line.split("= ", 1)[1].split(" ", 1)[0]
            layer += 1
            print(f"{layer:>3}  {op:<18} {line.rsplit('-> ', 1)[-1].rsplit(': ', 1)[-1]}")

    with tempfile.TemporaryDirectory() as tmp:
        inputs, outputs = pathlib.Path(tmp) / "in.npz", pathlib.Path(tmp) / "out.npz"
        np.savez(inputs, image=images)
        start = time.perf_counter()
        subprocess.run([str(binary / "quant-run"), "--reference", args.model,
                        "--input-shape", shape, "--inputs", str(inputs),
                        "--outputs", str(outputs)], check=True)
        elapsed = time.perf_counter() - start
        with np.load(outputs) as out:
            ours = out["logits"]
    theirs = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"]).run(
        None, {"image": images})[0]
    rel = np.max(np.abs(ours - theirs)) / np.max(np.abs(theirs))
    print(f"\nheld-out images:            {len(labels)}")
    print(f"reference accuracy:         {(ours.argmax(1) == labels).mean():.4f}")
    print(f"ONNX Runtime accuracy:      {(theirs.argmax(1) == labels).mean():.4f}")
    print(f"top-1 agreement:            {(ours.argmax(1) == theirs.argmax(1)).mean():.4f}")
    print(f"max relative error vs ORT:  {rel:.2e}")
    print(f"quant-run wall time:        {elapsed * 1000:.1f} ms (import + simplify + evaluate)")
    print("\nCalibration, precision assignment, quantization and compilation join this "
          "job as their passes land.")


if __name__ == "__main__":
    main()
