"""Files of known content types for magika's content-type model: the
project's own sources and documents, and binary formats written here by the
Python standard library and Pillow. Each comes with the label magika should
give it, so the model's accuracy is a real task metric, and with the
model's input features (magika's feature extraction v2: the first and last
1024 bytes of the first and last 4096, whitespace stripped, padded with
token 256)."""
import bz2
import gzip
import io
import json
import pathlib
import pickle
import sqlite3
import tarfile
import tempfile
import wave
import zipfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOURCE_LABELS = {".py": "python", ".cpp": "cpp", ".md": "markdown", ".json": "json",
                 ".sh": "shell", ".toml": "toml", ".yml": "yaml", ".yaml": "yaml",
                 ".csv": "csv", ".html": "html", ".xml": "xml"}
FEATURE_SIZE, BLOCK_SIZE, PADDING = 1024, 4096, 256


def features(data):
    """The model's 2048 input tokens for the bytes of one file."""
    head, tail = data[:BLOCK_SIZE], data[-BLOCK_SIZE:]
    if len(data) <= BLOCK_SIZE:
        head = tail = data.strip()
    else:
        head, tail = head.lstrip(), tail.rstrip()
    beg = list(head[:FEATURE_SIZE]) + [PADDING] * max(0, FEATURE_SIZE - len(head))
    end = [PADDING] * max(0, FEATURE_SIZE - len(tail)) + list(tail[-FEATURE_SIZE:])
    return np.array(beg + end, np.int32)


def source_files(seed, count):
    """`count` of the project's text files with a known label, drawn by `seed`."""
    rng = np.random.default_rng(seed)
    files = sorted(p for p in ROOT.rglob("*")
                   if p.is_file() and p.suffix in SOURCE_LABELS and p.stat().st_size > 64
                   and not {".git", "build"} & set(p.relative_to(ROOT).parts))
    chosen = rng.choice(len(files), size=min(count, len(files)), replace=False)
    return [(files[i].read_bytes(), SOURCE_LABELS[files[i].suffix]) for i in sorted(chosen)]


def _image(rng, fmt, size=(96, 64), **options):
    from PIL import Image
    yy, xx = np.mgrid[:size[1], :size[0]]
    pixels = np.stack([np.sin(xx / rng.uniform(3, 12)) * 120 + 128,
                       np.cos(yy / rng.uniform(3, 12)) * 120 + 128,
                       rng.uniform(0, 255, (size[1], size[0]))], -1).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, fmt, **options)
    return out.getvalue()


def _zip(payload):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.txt", payload)
        archive.writestr("notes.md", payload[::-1])
    return out.getvalue()


def _tar(payload):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        info = tarfile.TarInfo("data.txt")
        info.size = len(payload)
        archive.addfile(info, io.BytesIO(payload))
    return out.getvalue()


def _wav(rng):
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        tone = np.sin(np.arange(8000) * rng.uniform(0.01, 0.2)) * 8000
        w.writeframes(tone.astype("<i2").tobytes())
    return out.getvalue()


def _sqlite(rng):
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "db.sqlite"
        db = sqlite3.connect(path)
        db.execute("create table t (id integer primary key, name text, score real)")
        db.executemany("insert into t (name, score) values (?, ?)",
                       [(f"row{i}", float(v)) for i, v in enumerate(rng.uniform(size=50))])
        db.commit()
        db.close()
        return path.read_bytes()


def _npy(rng):
    out = io.BytesIO()
    np.save(out, rng.standard_normal((32, 8)).astype(np.float32))
    return out.getvalue()


def binary_files(seed):
    """One file of each binary format, its contents drawn by `seed`."""
    rng = np.random.default_rng(seed)
    text = json.dumps({"seed": seed, "values": rng.uniform(size=64).tolist()}).encode()
    return [(_image(rng, "PNG"), "png"), (_image(rng, "JPEG", quality=85), "jpeg"),
            (_image(rng, "GIF"), "gif"), (_image(rng, "BMP"), "bmp"),
            (_image(rng, "TIFF"), "tiff"), (_image(rng, "PDF"), "pdf"),
            (gzip.compress(text, mtime=0), "gzip"), (bz2.compress(text), "bzip"),
            (_zip(text), "zip"), (_tar(text), "tar"), (_wav(rng), "wav"),
            (_sqlite(rng), "sqlite"), (_npy(rng), "npy"),
            (pickle.dumps({"values": rng.uniform(size=16).tolist()}, protocol=4), "pickle")]


def corpus(seed, sources):
    """(features N x 2048, expected labels) of `sources` project files and
    one file per binary format."""
    files = source_files(seed, sources) + binary_files(seed)
    return np.stack([features(data) for data, _ in files]), [label for _, label in files]
