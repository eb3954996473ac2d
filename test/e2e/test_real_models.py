"""Trained models, not random ones: the digits MLP and CNN the project trains
itself, and detector/OCR models shipped inside Python packages. Each imports,
simplifies and evaluates with outputs matching ONNX Runtime."""
import importlib.util
import pathlib

import numpy as np
import pytest

from conftest import ROOT, assert_parity, ort_run, quant_run


def package_model(package, relpath):
    spec = importlib.util.find_spec(package)
    if spec is None:
        pytest.skip(f"{package} is not installed")
    return pathlib.Path(spec.origin).parent / relpath


def digits():
    with np.load(ROOT / "models" / "digits_test.npz") as data:
        return data["image"], data["label"]


@pytest.mark.parametrize("name", ["digits_mlp", "digits_cnn"])
def test_digits_model(name, tmp_path):
    images, labels = digits()
    model = ROOT / "models" / f"{name}.onnx"
    inputs = {"image": images}
    shape = ["--input-shape", "image=" + "x".join(map(str, images.shape))]
    ours = quant_run(model, inputs, tmp_path, shape)["logits"]
    theirs = ort_run(model, inputs)["logits"]
    rel = np.max(np.abs(ours - theirs)) / np.max(np.abs(theirs))
    assert rel <= 1e-4
    assert (ours.argmax(1) == theirs.argmax(1)).all()
    # The trained models are good: the held-out accuracy is a real check.
    assert (ours.argmax(1) == labels).mean() >= 0.93


IMAGE_RNG = np.random.default_rng(7)

PACKAGE_MODELS = {
    "yolov8n-nudenet": ("nudenet", "320n.onnx", "images", (1, 3, 320, 320)),
    "ppocr-cls": ("rapidocr_onnxruntime", "models/ch_ppocr_mobile_v2.0_cls_infer.onnx",
                  "x", (1, 3, 48, 192)),
    "ppocr-det": ("rapidocr_onnxruntime", "models/ch_PP-OCRv4_det_infer.onnx",
                  "x", (1, 3, 160, 160)),
    "ppocr-rec": ("rapidocr_onnxruntime", "models/ch_PP-OCRv4_rec_infer.onnx",
                  "x", (1, 3, 48, 160)),
}


@pytest.mark.parametrize("name", sorted(PACKAGE_MODELS))
def test_package_model(name, tmp_path):
    package, relpath, input_name, shape = PACKAGE_MODELS[name]
    model = package_model(package, relpath)
    # A smooth synthetic image in [0, 1]: realistic activations, no file needed.
    yy, xx = np.meshgrid(np.linspace(0, 1, shape[2]), np.linspace(0, 1, shape[3]),
                         indexing="ij")
    image = np.stack([np.sin(6 * xx + c) * np.cos(4 * yy) * 0.5 + 0.5 for c in range(3)])
    image = image[None].astype(np.float32) + IMAGE_RNG.uniform(0, 0.05, shape).astype(np.float32)
    spec = f"{input_name}=" + "x".join(map(str, shape))
    # Outputs are probabilities or logits: errors are measured relative to a
    # scale of at least 1 (a text-free image gives detection scores near 1e-7,
    # where ONNX Runtime itself is off from exact by 7e-8).
    assert_parity(model, {input_name: image}, tmp_path, tol=1e-4,
                  extra=["--input-shape", spec], floor=1.0)
