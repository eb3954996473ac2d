"""Trained models, not random ones: the digits MLP and CNN the project trains
itself, and detector/OCR models shipped inside Python packages. Each imports,
simplifies and evaluates with outputs matching ONNX Runtime."""
import importlib.util
import json
import pathlib
import subprocess

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from conftest import BIN, ROOT, assert_parity, ort_run, quant_run
from magika_corpus import corpus


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


# Recurrent and branching models: Silero VAD (If, LSTM; its state carried
# from chunk to chunk) and ddddocr's captcha reader (CNN + bidirectional LSTM).
# The full model takes 8 and 16 kHz in branches on `sr`: it compiles for one
# rate with `sr` bound (--bind-inputs).
SILERO_VARIANTS = ["silero_vad", "silero_vad_16k_op15", "silero_vad_op18_ifless",
                   "silero_vad_openvino_16k"]
SILERO_WINDOW, SILERO_CONTEXT = 512, 64


def speech_like(seconds, seed, rate=16000):
    """Voiced syllables (a glottal pulse train through vowel formants) with
    pauses between them, over faint noise."""
    rng = np.random.default_rng(seed)
    out = 0.003 * rng.standard_normal(int(seconds * rate))
    vowels = [(730, 1090, 2440), (270, 2290, 3010), (300, 870, 2240), (530, 1840, 2480)]
    pos = int(0.3 * rate)
    while pos < out.size - rate // 4:
        length = int(rng.uniform(0.15, 0.35) * rate)
        t = np.arange(length) / rate
        phase = 2 * np.pi * np.cumsum(rng.uniform(100, 180) * (1 + 0.05 * np.sin(8 * np.pi * t))) / rate
        source = sum(np.sin(k * phase) / k for k in range(1, 30))
        freqs = np.fft.rfftfreq(length, 1 / rate)
        gain = sum(1 / (1 + ((freqs - f) / 80) ** 2) for f in vowels[rng.integers(len(vowels))])
        voiced = np.fft.irfft(np.fft.rfft(source) * gain, length)
        out[pos:pos + length] += 0.3 * voiced / np.abs(voiced).max() * np.sin(np.pi * t / t[-1]) ** 0.5
        pos += length + int(rng.uniform(0.05, 0.4) * rate)
    return out.astype(np.float32)


def silero_windows(audio):
    """The model's inputs: each 512-sample chunk after the 64 samples before it."""
    padded = np.concatenate([np.zeros(SILERO_CONTEXT, np.float32), audio])
    for start in range(0, audio.size - SILERO_WINDOW + 1, SILERO_WINDOW):
        yield padded[start:start + SILERO_CONTEXT + SILERO_WINDOW][None]


def silero_stream(run, model_path, audio):
    """Speech probabilities of every chunk, the state carried by `run`."""
    names = {i.name for i in onnx.load(str(model_path), load_external_data=False).graph.input}
    state = np.zeros((2, 1, 128), np.float32)
    probabilities, feeds = [], []
    for window in silero_windows(audio):
        feed = {"input": window, "state": state}
        if "sr" in names:
            feed["sr"] = np.array(16000, np.int64)
        feeds.append(feed)
        probability, state = run(feed)
        probabilities.append(float(probability.ravel()[0]))
    return np.array(probabilities), feeds


def ort_runner(model_path):
    sess = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    return lambda feed: sess.run(None, feed)


def bind_sample_rate(tmp_path):
    """--bind-inputs for the full model's `sr`: 16 kHz, fixed at compile time."""
    path = tmp_path / "sr.npz"
    np.savez(path, sr=np.array(16000, np.int64))
    return ["--bind-inputs", str(path)]


def quant_runner(path, tmp_path, variant):
    """Runs quant-run on `path`; the full model's `sr` is bound, not fed."""
    extra = bind_sample_rate(tmp_path) if variant == "silero_vad" and str(path).endswith(".onnx") else []
    def run(feed):
        if variant == "silero_vad":
            feed = {k: v for k, v in feed.items() if k != "sr"}
        return list(quant_run(path, feed, tmp_path, extra).values())
    return run


@pytest.mark.parametrize("variant", SILERO_VARIANTS)
def test_silero_vad_stream(variant, tmp_path):
    model = package_model("silero_vad", f"data/{variant}.onnx")
    audio = speech_like(1.2, seed=3)
    theirs, _ = silero_stream(ort_runner(model), model, audio)
    ours, _ = silero_stream(quant_runner(model, tmp_path, variant), model, audio)
    assert np.max(np.abs(ours - theirs)) <= 1e-4
    # The audio has speech and pauses, and the model hears both.
    assert (theirs > 0.5).any() and (theirs < 0.5).any()


def silero_calibration(model, tmp_path):
    """A calibration folder: every other chunk of a stream (its state
    carried) that the tests then do not measure on."""
    _, feeds = silero_stream(ort_runner(model), model, speech_like(2.0, seed=4))
    calib = tmp_path / "calib"
    calib.mkdir()
    for i, feed in enumerate(feeds[::2]):
        np.savez(calib / f"{i:03d}.npz", **feed)
    return calib


@pytest.mark.parametrize("variant", SILERO_VARIANTS)
def test_silero_vad_int8_library(variant, tmp_path):
    """Calibrated on one stream, compiled with int8 layers, run on another
    with the state carried through the library: speech decisions as in
    float."""
    model = package_model("silero_vad", f"data/{variant}.onnx")
    calib = silero_calibration(model, tmp_path)
    library = tmp_path / "vad.so"
    proc = subprocess.run([str(BIN / "quantc"), str(model), "--calib", str(calib),
                           "--input-shape", f"input=1x{SILERO_WINDOW + SILERO_CONTEXT}",
                           "--input-shape", "state=2x1x128",
                           "--dim", "batch=1", "--scope=layers", "-o", str(library),
                           *(bind_sample_rate(tmp_path) if variant == "silero_vad" else [])],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    audio = speech_like(2.0, seed=5)
    theirs, _ = silero_stream(ort_runner(model), model, audio)
    ours, _ = silero_stream(quant_runner(library, tmp_path, variant), model, audio)
    assert np.mean((ours > 0.5) == (theirs > 0.5)) >= SILERO_INT8_AGREEMENT
    assert np.max(np.abs(ours - theirs)) <= SILERO_INT8_MAX_ERROR


def test_silero_vad_sample_rate_at_run_time(tmp_path):
    """The full model with `sr` fed at run time: its If on the rate is an
    scf.if. Compiled for 16 kHz windows, it follows ONNX Runtime at 16 kHz;
    the 8 kHz branch cannot take those shapes (ONNX Runtime fails there
    too), so quantc warns and the library's run fails if it is taken."""
    model = package_model("silero_vad", "data/silero_vad.onnx")
    library = tmp_path / "vad.so"
    proc = subprocess.run([str(BIN / "quantc"), str(model), "--input-shape",
                           f"input=1x{SILERO_WINDOW + SILERO_CONTEXT}",
                           "--input-shape", "state=2x1x128", "-o", str(library)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "else_branch of 'If_0' cannot run with these input shapes" in proc.stderr
    audio = speech_like(1.2, seed=3)
    theirs, feeds = silero_stream(ort_runner(model), model, audio)
    ours, _ = silero_stream(lambda feed: list(quant_run(library, feed, tmp_path).values()),
                            model, audio)
    assert np.max(np.abs(ours - theirs)) <= 1e-4
    np.savez(tmp_path / "eight.npz", **{**feeds[0], "sr": np.array(8000, np.int64)})
    failed = subprocess.run([str(BIN / "quant-run"), str(library), "--inputs",
                             str(tmp_path / "eight.npz"), "--outputs", str(tmp_path / "out.npz")],
                            capture_output=True, text=True)
    assert failed.returncode != 0
    assert "took a branch that cannot run with the shapes it was compiled for" in failed.stderr
    assert not (tmp_path / "out.npz").exists()


def test_silero_vad_qdq_export(tmp_path):
    """The full model written as ONNX QDQ (--target onnx-qdq), `sr` fed at
    run time: its layers' pairs sit inside the branches of its If on the
    rate, and ONNX Runtime, running the exported model over a stream with
    the state carried, makes the float model's speech decisions."""
    model = package_model("silero_vad", "data/silero_vad.onnx")
    calib = silero_calibration(model, tmp_path)
    qdq = tmp_path / "vad.qdq.onnx"
    proc = subprocess.run([str(BIN / "quantc"), str(model), "--calib", str(calib),
                           "--target", "onnx-qdq", "--input-shape",
                           f"input=1x{SILERO_WINDOW + SILERO_CONTEXT}",
                           "--input-shape", "state=2x1x128", "--dim", "batch=1", "-o", str(qdq)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    exported = onnx.load(str(qdq))
    branches = {a.name: a.g for n in exported.graph.node if n.op_type == "If" for a in n.attribute}
    assert not any(n.op_type == "QuantizeLinear" for n in exported.graph.node)
    assert sum(n.op_type == "QuantizeLinear" for n in branches["then_branch"].node) >= 10
    audio = speech_like(2.0, seed=5)
    theirs, _ = silero_stream(ort_runner(model), model, audio)
    ours, _ = silero_stream(ort_runner(qdq), model, audio)
    assert np.mean((ours > 0.5) == (theirs > 0.5)) >= SILERO_QDQ_AGREEMENT
    assert np.max(np.abs(ours - theirs)) <= SILERO_QDQ_MAX_ERROR


# ONNX Runtime on the QDQ export (the LSTM's gates stay float inside the
# node): every decision agrees and probabilities move by at most 0.16
# (measured).
SILERO_QDQ_AGREEMENT = 0.95
SILERO_QDQ_MAX_ERROR = 0.25


# Int8 layers with float gates and state (--scope=layers): every decision
# agrees with float and probabilities move by at most 0.18 (measured).
SILERO_INT8_AGREEMENT = 0.98
SILERO_INT8_MAX_ERROR = 0.25


def captcha_images(count, seed, width=160):
    """Dark strokes of random words on a light, noisy background, as the
    reader's normalized grayscale input N x 1 x 64 x width."""
    from PIL import Image, ImageDraw
    rng = np.random.default_rng(seed)
    images = []
    for _ in range(count):
        image = Image.new("L", (width, 64), int(rng.integers(200, 250)))
        draw = ImageDraw.Draw(image)
        text = "".join(rng.choice(list("abcdefghkmnpqrstuvwxyz23456789"), 5))
        draw.text((int(rng.integers(4, 30)), int(rng.integers(14, 30))), text, fill=20,
                  font_size=28)
        pixels = np.asarray(image, np.float32) / 255 + rng.normal(0, 0.03, (64, width))
        images.append(((pixels - 0.5) / 0.5)[None])
    return np.stack(images).astype(np.float32)


def test_ddddocr_reader(tmp_path):
    model = package_model("ddddocr", "common.onnx")
    image = captcha_images(1, seed=0)
    theirs = ort_run(model, {"input1": image})
    ours = quant_run(model, {"input1": image}, tmp_path)
    (name, expected), = theirs.items()
    got = next(iter(ours.values()))
    assert got.shape == expected.shape
    assert np.max(np.abs(got - expected)) / np.max(np.abs(expected)) <= 1e-4
    assert (got.argmax(-1) == expected.argmax(-1)).all()


def ctc_text(logits):
    """Greedy CTC: best class per step, repeats merged, blanks (0) dropped."""
    best = logits.argmax(-1).ravel()
    return [int(c) for i, c in enumerate(best) if c and (i == 0 or c != best[i - 1])]


def test_ddddocr_int8_library(tmp_path):
    """Calibrated on some captchas and compiled integer throughout (the LSTM's
    gates as tables): the library equals the evaluator on its integer graph
    and reads the texts the float model reads on others."""
    model = package_model("ddddocr", "common.onnx")
    np.savez(tmp_path / "calib.npz", input1=captcha_images(16, seed=0))
    ir, library = tmp_path / "int8.mlir", tmp_path / "ocr.so"
    proc = subprocess.run([str(BIN / "quantc"), str(model), "--calib", str(tmp_path / "calib.npz"),
                           "--input-shape", "input1=1x1x64x160", "--save-ir", str(ir),
                           "-o", str(library)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    images = captcha_images(DDDDOCR_IMAGES, seed=1)
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    agree = []
    for i, image in enumerate(images):
        feed = {"input1": image[None]}
        ours = next(iter(quant_run(library, feed, tmp_path).values()))
        if i == 0:
            np.testing.assert_array_equal(ours, next(iter(quant_run(ir, feed, tmp_path).values())))
        agree.append(ctc_text(ours) == ctc_text(session.run(None, feed)[0]))
    assert np.mean(agree) >= DDDDOCR_INT8_AGREEMENT


# Texts the int8 library reads as the float model does (measured: 60 of 64;
# 15 of these 16).
DDDDOCR_IMAGES, DDDDOCR_INT8_AGREEMENT = 16, 0.8


# magika's content-type model (bytes one-hot, a dense layer and GELU, a 1-d
# convolution, layer norms) on real files of known type (magika_corpus.py).
MAGIKA_SOURCES = 24


def magika_model():
    return package_model("magika", "models/standard_v3_3/model.onnx")


def magika_labels(model):
    config = json.loads((model.parent / "config.min.json").read_text())
    return config["target_labels_space"]


def test_magika_content_types(tmp_path):
    model = magika_model()
    features, expected = corpus(seed=0, sources=MAGIKA_SOURCES)
    feed = {"bytes": features}
    theirs = ort_run(model, feed)["target_label"]
    ours = quant_run(model, feed, tmp_path,
                     ["--input-shape", f"bytes={len(features)}x2048"])["target_label"]
    # Its layer norms take E[x^2] - E[x]^2 over 512 values, where the order
    # of the sums moves probabilities by up to 3e-4 (measured on other files).
    assert np.max(np.abs(ours - theirs)) <= 1e-3
    assert (ours.argmax(1) == theirs.argmax(1)).all()
    labels = magika_labels(model)
    accuracy = np.mean([labels[i] == e for i, e in zip(ours.argmax(1), expected)])
    assert accuracy >= 0.9


def test_magika_int8_library(tmp_path):
    """Calibrated on some files, compiled to int8 (scope=all: the GELUs are
    tables, the dense layer's bias is in its accumulator), run on others:
    the library equals the evaluator on its integer graph, and the content
    types are those of the float model."""
    model = magika_model()
    calib, _ = corpus(seed=1, sources=MAGIKA_SOURCES)
    features, expected = corpus(seed=2, sources=MAGIKA_SOURCES)
    np.savez(tmp_path / "calib.npz", bytes=calib)
    ir, library = tmp_path / "int8.mlir", tmp_path / "magika.so"
    proc = subprocess.run([str(BIN / "quantc"), str(model), "--calib", str(tmp_path / "calib.npz"),
                           "--input-shape", f"bytes={len(features)}x2048",
                           "--save-ir", str(ir), "-o", str(library)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    text = ir.read_text()
    assert "qc.tanh" not in text and text.count("qc.lookup_table") == 2
    feed = {"bytes": features}
    ours = quant_run(library, feed, tmp_path)["target_label"]
    np.testing.assert_array_equal(ours, quant_run(ir, feed, tmp_path)["target_label"])
    reference = ort_run(model, feed)["target_label"]
    assert np.mean(ours.argmax(1) == reference.argmax(1)) >= MAGIKA_INT8_AGREEMENT
    labels = magika_labels(model)
    assert np.mean([labels[i] == e for i, e in zip(ours.argmax(1), expected)]) >= 0.85


# Content types of the int8 library that match the float model's (measured:
# 38 of 38 on this machine).
MAGIKA_INT8_AGREEMENT = 0.9
