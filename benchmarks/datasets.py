"""Calibration and evaluation data for the bundled real models.

The digits models use their own splits (models/digits_calib.npz from the
training set, models/digits_test.npz held out). The detector and OCR models
use crops of the two photographs that ship with scikit-learn: calibration
crops from one, evaluation crops from the other, so the two never overlap.
"""
import importlib.util
import pathlib

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]


def package_file(package, relpath):
    spec = importlib.util.find_spec(package)
    if spec is None:
        return None
    return pathlib.Path(spec.origin).parent / relpath


def photo_crops(photo, count, shape, seed):
    """`count` random crops of sample photo `photo` (0 or 1), resized to
    `shape` (H, W), as N x 3 x H x W floats in [0, 1]."""
    from PIL import Image
    from sklearn.datasets import load_sample_images
    image = load_sample_images().images[photo]
    rng = np.random.default_rng(seed)
    height, width = shape
    crops = []
    for _ in range(count):
        scale = rng.uniform(0.4, 1.0)
        ch, cw = int(image.shape[0] * scale), int(image.shape[1] * scale)
        y = rng.integers(0, image.shape[0] - ch + 1)
        x = rng.integers(0, image.shape[1] - cw + 1)
        crop = Image.fromarray(image[y:y + ch, x:x + cw]).resize(
            (width, height), Image.BILINEAR)
        crops.append(np.asarray(crop, np.float32).transpose(2, 0, 1) / 255.0)
    return np.stack(crops)


class Model:
    """A real model with its calibration and evaluation inputs."""

    def __init__(self, name, path, input_name, shape, task):
        self.name, self.path, self.input_name = name, path, input_name
        self.shape, self.task = shape, task
        self.labels = None

    def calibration(self):
        raise NotImplementedError

    def evaluation(self):
        raise NotImplementedError


class Digits(Model):
    def __init__(self, name):
        super().__init__(name, ROOT / "models" / f"{name}.onnx", "image",
                         (1, 1, 8, 8), "classification")
        with np.load(ROOT / "models" / "digits_test.npz") as data:
            self.labels = data["label"]

    def calibration(self):
        with np.load(ROOT / "models" / "digits_calib.npz") as data:
            return data["image"]

    def evaluation(self):
        with np.load(ROOT / "models" / "digits_test.npz") as data:
            return data["image"]


class Photo(Model):
    def __init__(self, name, package, relpath, input_name, shape, task,
                 calibration_count=16, evaluation_count=8):
        super().__init__(name, package_file(package, relpath), input_name,
                         shape, task)
        self.counts = calibration_count, evaluation_count

    def calibration(self):
        return photo_crops(0, self.counts[0], self.shape[2:], seed=0)

    def evaluation(self):
        return photo_crops(1, self.counts[1], self.shape[2:], seed=1)


def real_models():
    """Every real model that is installed."""
    models = [
        Digits("digits_mlp"),
        Digits("digits_cnn"),
        Photo("yolov8n-nudenet", "nudenet", "320n.onnx", "images",
              (1, 3, 320, 320), "detection"),
        Photo("ppocr-cls", "rapidocr_onnxruntime",
              "models/ch_ppocr_mobile_v2.0_cls_infer.onnx", "x",
              (1, 3, 48, 192), "classification", 32, 64),
        Photo("ppocr-det", "rapidocr_onnxruntime",
              "models/ch_PP-OCRv4_det_infer.onnx", "x", (1, 3, 160, 160),
              "segmentation"),
        Photo("ppocr-rec", "rapidocr_onnxruntime",
              "models/ch_PP-OCRv4_rec_infer.onnx", "x", (1, 3, 48, 160),
              "sequence", 16, 16),
    ]
    return [m for m in models if m.path is not None and m.path.exists()]
