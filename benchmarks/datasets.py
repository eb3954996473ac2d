"""Calibration and evaluation data for the bundled real models.

The digits models use their own splits (models/digits_calib.npz from the
training set, models/digits_test.npz held out). The detector uses crops of the
two photographs that ship with scikit-learn: calibration crops from one,
evaluation crops from the other, so the two never overlap. The OCR models see
text rendered (with Pillow's default font) onto lightened crops of the same
photographs: the text detector whole lines on a square, the recognizer and
the orientation classifier one line per strip, half of them upside down for
the classifier.
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


WORDS = ("quantc", "int8", "model", "2026", "scale", "zero", "point", "tensor",
         "calibrate", "ONNX", "layer", "report", "compiler", "MLIR", "VNNI",
         "accuracy", "latency", "budget", "kernel", "Hello", "world")


def text_images(photo, count, shape, seed, lines=1, flip_half=False):
    """`count` images of `shape` (H, W) with random words on a lightened
    photo crop, as N x 3 x H x W floats in [0, 1], and what was drawn: per
    image a dict with "lines" (per line, the text that fits in the image and
    its box (x0, y0, x1, y1) in pixels) and "flipped" (rotated by 180
    degrees)."""
    from PIL import Image, ImageDraw, ImageFont
    rng = np.random.default_rng(seed)
    backgrounds = photo_crops(photo, count, shape, seed)
    height, width = shape
    images, annotations = [], []
    for i in range(count):
        image = Image.fromarray(
            (255 * (0.35 * backgrounds[i] + 0.65)).astype(np.uint8).transpose(1, 2, 0))
        draw = ImageDraw.Draw(image)
        line_height = height / lines
        drawn = []
        for line in range(lines):
            size = int(line_height * rng.uniform(0.45, 0.7))
            font = ImageFont.load_default(size=size)
            text = " ".join(rng.choice(WORDS, size=rng.integers(1, 4)))
            x = int(rng.uniform(0, 0.15) * width)
            y = int(line * line_height + rng.uniform(0.05, 0.3) * line_height)
            color = tuple(int(c) for c in rng.integers(0, 80, size=3))
            draw.text((x, y), text, fill=color, font=font)
            # Only what fits: the longest prefix inside the image.
            visible = text
            while visible and draw.textbbox((x, y), visible, font=font)[2] > width:
                visible = visible[:-1]
            box = draw.textbbox((x, y), visible.rstrip(), font=font)
            drawn.append((visible.strip(), tuple(min(v, lim) for v, lim in
                                                  zip(box, (width, height) * 2))))
        flipped = bool(flip_half and i % 2)
        if flipped:
            image = image.rotate(180)
        images.append(np.asarray(image, np.float32).transpose(2, 0, 1) / 255.0)
        annotations.append({"lines": drawn, "flipped": flipped})
    return np.stack(images), annotations


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


IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)[:, None, None]
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)[:, None, None]


class Text(Model):
    """A PP-OCR model with the input normalization rapidocr applies: ImageNet
    mean and deviation for the detector, (x - 0.5) / 0.5 for the others."""

    def __init__(self, name, package, relpath, input_name, shape, task,
                 counts, lines=1, flip_half=False, imagenet=False):
        super().__init__(name, package_file(package, relpath), input_name,
                         shape, task)
        self.counts, self.lines, self.flip_half = counts, lines, flip_half
        self.imagenet = imagenet

    def images(self, photo, count, seed):
        x, annotations = text_images(photo, count, self.shape[2:], seed,
                                     self.lines, self.flip_half)
        if self.imagenet:
            x = (x - IMAGENET_MEAN) / IMAGENET_STD
        else:
            x = (x - 0.5) / 0.5
        return x, annotations

    def calibration(self):
        return self.images(0, self.counts[0], seed=0)[0]

    def evaluation(self):
        return self.images(1, self.counts[1], seed=1)[0]

    def ground_truth(self):
        """What was drawn on each evaluation image (see text_images)."""
        return self.images(1, self.counts[1], seed=1)[1]


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
        Text("ppocr-cls", "rapidocr_onnxruntime",
             "models/ch_ppocr_mobile_v2.0_cls_infer.onnx", "x",
             (1, 3, 48, 192), "classification", (32, 64), flip_half=True),
        Text("ppocr-det", "rapidocr_onnxruntime",
             "models/ch_PP-OCRv4_det_infer.onnx", "x", (1, 3, 160, 160),
             "segmentation", (16, 8), lines=4, imagenet=True),
        Text("ppocr-rec", "rapidocr_onnxruntime",
             "models/ch_PP-OCRv4_rec_infer.onnx", "x", (1, 3, 48, 160),
             "sequence", (16, 16)),
    ]
    return [m for m in models if m.path is not None and m.path.exists()]
